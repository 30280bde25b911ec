"""Where the installed package keeps its non-Python files.

The repository keeps them at the top level (templates/, sim/) and pyproject.toml installs them inside
the package as ``hlsgen.templates`` and ``hlsgen.testbench``: one lookup, through importlib.resources,
serves a wheel and an editable checkout alike.
"""
from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path


@functools.lru_cache(maxsize=None)
def _folder(package: str) -> Path:
    return Path(str(files(package)))


def templates() -> Path:
    """The jinja2 templates (kernel/, host/, hw/, project/, rtl/)."""
    return _folder("hlsgen.templates")


def testbench() -> Path:
    """The cocotb bench and the simulation-only Verilog."""
    return _folder("hlsgen.testbench")
