"""Emitters: turn a Plan into the files of the accelerator project."""
from __future__ import annotations


def emit_all(plan, folder) -> None:
    """Render every emitter's files into FOLDER (the build folder that holds plan.json)."""
    from . import hls, rtl
    hls.emit(plan, folder)
    rtl.emit(plan, folder)
