"""Emitters: turn a Plan into the files of the accelerator project."""
from __future__ import annotations


def write_project(plan, folder) -> None:
    """The whole accelerator project in FOLDER: plan.json, weights.bin, report.md and every emitter's
    files (HLS kernel, host program, Vitis build files, RTL twin)."""
    from . import hls, rtl
    plan.write(folder)
    hls.emit(plan, folder)
    rtl.emit(plan, folder)
