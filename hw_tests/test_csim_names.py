"""The name sanitizer every emitter uses (hlsgen.emit.names), on arbitrary strings."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from hlsgen.emit import names

HOSTILE = st.one_of(st.text(max_size=400), st.sampled_from(
    ['"', "*/", "/*", "\\", "\n", "int", "main", "??/", "x" * 300, "名前", "_", "9", "", "a b"]))


@settings(max_examples=400, deadline=None)
@given(HOSTILE, HOSTILE)
def test_identifier(a, b):
    ident = names.identifier(a)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", ident) and len(ident) <= names.MAX_LEN + 9
    assert ident not in names._CPP_KEYWORDS
    if a != b:
        assert ident != names.identifier(b)


@settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_text_and_string_literal(name):
    t = names.text(name)
    assert t.isascii() and t.isprintable() and len(t) <= names.MAX_LEN + 10
    for bad in ('"', "\\", "*", "??", "\n", "'"):
        assert bad not in t
    assert names.c_string(name) == f'"{t}"'


def test_plain_names_stay_readable():
    assert names.identifier("conv1") == "conv1"
    assert names.text("layer1.0/conv") == "layer1.0/conv"
