"""Where the package keeps its non-Python files.

The repository keeps them at the top level (templates/, sim/) and pyproject.toml installs them inside
the package as ``hlsgen.templates`` and ``hlsgen.testbench``, found through importlib.resources (a
wheel, an editable install).  The one exception: hlsgen imported from a source checkout that is not
the installed one (PYTHONPATH pointing at another clone) uses that checkout's own folders, so that
its code and its templates always go together.
"""
from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=None)
def _folder(package: str, checkout_name: str) -> Path:
    own = _CHECKOUT / checkout_name
    if (own / "__init__.py").is_file() and (_CHECKOUT / "pyproject.toml").is_file():
        return own
    return Path(str(files(package)))


def templates() -> Path:
    """The jinja2 templates (kernel/, host/, hw/, project/, rtl/)."""
    return _folder("hlsgen.templates", "templates")


def testbench() -> Path:
    """The cocotb bench and the simulation-only Verilog."""
    return _folder("hlsgen.testbench", "sim")
