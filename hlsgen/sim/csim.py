"""C simulation of a built project: the HLS kernel and the host program compiled with g++.

The host program is the one a user runs on the card, linked with the csim
device backend (direct calls to the kernel function) instead of XRT; it is
compiled against Xilinx's own ap_int / hls_stream headers from the hls4ml wheel.
The executable is cached in ``OUT/csim/`` under a hash of its sources and flags.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..plan.plan_file import Plan
from ..util import atomic_file, is_owned, record

CXX = os.environ.get("CXX", "g++")
# -Wno-unknown-pragmas: '#pragma HLS' is for Vitis HLS; GCC < 13 cannot silence it per file.
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wno-unknown-pragmas"]
CXXFLAGS = ["-O2", "-std=c++17", *WARNINGS]          # the host program (hex float literals)
KERNEL_CXXFLAGS = ["-O2", "-std=c++14", *WARNINGS]   # the kernel: the C++ standard Vitis HLS documents (UG1399)
CSIM_SOURCES = ("kernel/engine.cpp", "host/host.cpp", "host/npy.cpp", "host/device_csim.cpp")


def ap_include() -> Path:
    """Folder of Xilinx's ap_int.h / hls_stream.h as shipped in the hls4ml wheel."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.origin:
        raise UserError("C simulation needs the 'sim' extra (hls4ml, which ships Xilinx's ap_int / hls_stream "
                        "headers, is not installed): pip install 'hlsgen[sim]'")
    path = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    if not (path / "ap_int.h").is_file():
        raise UserError(f"{path}: ap_int.h not found in the hls4ml wheel")
    return path


def compile_command(sources, exe, includes=(), flags=CXXFLAGS, compile_only=False) -> list:
    """g++ command line that builds EXE (an object with COMPILE_ONLY) from SOURCES against the Xilinx headers."""
    cmd = [CXX, *flags, "-isystem", str(ap_include())]
    cmd += [f"-I{inc}" for inc in includes]
    return cmd + (["-c"] if compile_only else []) + [str(s) for s in sources] + ["-o", str(exe)]


def compile_program(sources, exe, includes=()) -> None:
    """Build EXE from SOURCES: the kernel's sources (in a folder named kernel) as C++14 objects, the rest
    as C++17, linked together; raises RuntimeError with the compiler's messages on failure."""
    exe = Path(exe)
    kernel = [Path(s) for s in sources if Path(s).parent.name == "kernel"]
    objects = [exe.with_name(f"{exe.name}.{Path(s).stem}.o") for s in kernel]
    cmds = [compile_command([s], o, includes, KERNEL_CXXFLAGS, compile_only=True) for s, o in zip(kernel, objects)]
    cmds.append(compile_command([s for s in sources if Path(s) not in kernel] + objects, exe, includes))
    try:
        for cmd in cmds:
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"C simulation build failed:\n{done.stderr[-4000:]}")
    finally:
        for o in objects:
            o.unlink(missing_ok=True)


def _digest(project: Path) -> str:
    h = hashlib.sha256(" ".join([CXX, *CXXFLAGS, *KERNEL_CXXFLAGS]).encode())
    for folder in ("kernel", "host"):
        for f in sorted((project / folder).glob("*")):
            if f.suffix in (".h", ".cpp"):
                h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def build(project) -> Path:
    """Compile (or reuse) the csim host program of PROJECT; returns the executable."""
    project = Path(project).resolve()
    missing = [s for s in CSIM_SOURCES if not (project / s).is_file()]
    if missing:
        raise UserError(f"{project / missing[0]}: missing; rebuild with 'hlsgen build'")
    exe = project / "csim" / f"host_csim_{_digest(project)}"
    if exe.is_file():
        return exe
    exe.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(exe) as tmp:
        compile_program([project / s for s in CSIM_SOURCES], tmp, [project / "host"])
    for old in exe.parent.glob("host_csim_*"):
        if old != exe and is_owned(project, old):
            old.unlink()
    record(project, [exe])
    return exe


def simulate(project, x: np.ndarray) -> list:
    """Run the csim host program on batch X (float32 NCHW); returns the model's outputs."""
    from ..plan.plan_file import Plan
    project = Path(project).resolve()
    Plan.load(project)                     # a damaged plan.json or weights.bin: one line naming it
    exe = build(project)
    work = Path(tempfile.mkdtemp(prefix="hlsgen-csim-"))
    try:
        np.save(work / "x.npy", np.ascontiguousarray(x, dtype=np.float32))
        n_out = len(list_outputs(project))
        outs = [work / f"y{i}.npy" for i in range(n_out)]
        cmd = [str(exe), "--weights", str(project / "weights.bin"), "--input", str(work / "x.npy")]
        for o in outs:
            cmd += ["--output", str(o)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"C simulation failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        return [np.load(o) for o in outs]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def list_outputs(project: Path) -> list:
    """Names of the model outputs, in the order the host program writes them (plan.json ``outputs``)."""
    return [o.name for o in Plan.load(project).data.outputs]
