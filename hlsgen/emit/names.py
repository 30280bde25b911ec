"""The one sanitizer between model names and generated text.

Node and tensor names come from the ONNX file and may hold anything: quotes,
``*/``, newlines, backslashes, C++ keywords, hundreds of characters, non-ASCII.
Every emitter passes them through these functions before they reach a source
file, a comment, a string literal or a file name.
"""
from __future__ import annotations

import hashlib
import re

MAX_LEN = 48

_CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq main module input output wire reg logic begin end
""".split())


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _plain(name: str) -> str:
    """ASCII letters, digits and underscores only; runs of anything else become one '_'."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def identifier(name: str) -> str:
    """A C/C++/Verilog identifier (and portable file name stem) for NAME: readable, bounded,
    never a keyword or reserved.

    Names that needed changes get a short hash of the original so that two
    different names never map to the same identifier.
    """
    base = _plain(name)[:MAX_LEN] or "n"
    if base[0].isdigit():
        base = "n_" + base
    if base != name or base in _CPP_KEYWORDS or base.startswith("_"):
        base = f"{base[:MAX_LEN]}_{_digest(name)}"
    return base


def text(name: str) -> str:
    """NAME as printable ASCII safe inside a comment or a string literal.

    Keeps letters, digits and ``_.-:/ +=,()[]``; anything else (quotes,
    backslashes, ``*``, newlines, non-ASCII) becomes '?' (runs of '?' collapse); long names are cut
    and tagged with a hash.
    """
    safe = re.sub(r"[^A-Za-z0-9_.\-:/ +=,()\[\]]", "?", name)
    safe = re.sub(r"\?+", "?", safe)  # no trigraphs
    if len(safe) > MAX_LEN:
        safe = f"{safe[:MAX_LEN]}..{_digest(name)}"
    return safe


def c_string(name: str) -> str:
    """A C++ string literal (quotes included) for NAME."""
    return f'"{text(name)}"'
