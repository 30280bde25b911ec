"""Emitters: turn a Plan into the files of the accelerator project."""
from __future__ import annotations

KERNELS = ("both", "hls", "rtl")     # hlsgen build --kernel


def write_project(plan, folder, kernel: str = "both") -> tuple:
    """The whole accelerator project in FOLDER: plan.json, weights.bin, report.md and every emitter's
    files (HLS kernel, host program, Vitis build files, RTL twin; KERNEL 'rtl' or 'both': the RTL kernel).
    Returns the Vitis kernels written ('hls', 'rtl')."""
    from . import hls, rtl
    kernels = tuple(k for k in ("hls", "rtl") if kernel in (k, "both"))
    flow = "rtl" if kernel == "rtl" else "hls"
    plan.write(folder)
    hls.emit(plan, folder, rtl_kernel="rtl" in kernels, flow=flow)
    rtl.emit(plan, folder, kernel="rtl" in kernels)
    return kernels
