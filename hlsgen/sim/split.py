"""A batch simulated in parts on workers (``hlsgen simulate --workers N`` / ``--scheduler``).

The simulator is compiled once here, in the project (the cache a serial run uses). The project's
files and that one executable travel to the workers as a tar image; each part unpacks it into its
own temporary folder (so parts never share a build or run folder), simulates its consecutive
slice of the images and returns the outputs (and the Verilator report). The outputs are joined in
image order: the same arrays as one serial run. Verilator reports merge with
``verilator.merge_reports`` into PROJECT/sim/verilator.json.
"""
from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .. import cluster
from . import RTL_ENGINES, run

CACHES = ("sim", "csim")     # build and run folders: only the executable the engine needs travels


def compiled(engine: str, project: Path) -> list:
    """Compile ENGINE's simulator of PROJECT (or reuse it); the files a copy needs to run it."""
    if engine == "csim":
        from . import csim
        return [csim.build(project)]
    if engine in RTL_ENGINES:
        from ..emit import rtl
        from ..plan.plan_file import Plan
        from . import verilator
        kernel = engine == "rtl-kernel"
        _, build_dir = verilator.build(project, rtl.ensure(Plan.load(project).data, project, kernel=kernel),
                                       kernel=kernel)
        return [build_dir / (verilator.KERNEL_TOP if kernel else verilator.TOP), build_dir / "hlsgen.key"]
    return []


def pack(project: Path, extra: list) -> bytes:
    """A tar image of PROJECT's files outside its build folders, plus EXTRA (files inside them)."""
    files = [f for f in sorted(project.rglob("*")) if f.is_file()
             and f.relative_to(project).parts[0] not in CACHES] + list(extra)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for f in files:
            tar.add(f, arcname=str(f.relative_to(project)), recursive=False)
    return buf.getvalue()


def run_part(image: bytes, engine: str, x: np.ndarray, layers=None) -> tuple:
    """The task: unpack IMAGE into a temporary project, simulate X; (outputs, Verilator report or None)."""
    with tempfile.TemporaryDirectory(prefix="hlsgen-part-") as tmp:
        project = Path(tmp) / "project"
        with tarfile.open(fileobj=io.BytesIO(image)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(project, filter="data")
            else:
                tar.extractall(project)  # noqa: S202 - our own image
        ys = run(engine, project, x, layers=layers)
        report = None
        if engine in RTL_ENGINES:
            from . import verilator
            report = json.loads(verilator.report_file(project, engine == "rtl-kernel").read_text())
        return ys, report


def simulate(pool, engine: str, project, x: np.ndarray, layers=None) -> list:
    """ENGINE's outputs on batch X, the images split over POOL's workers (PROJECT: an absolute path)."""
    project = Path(project)
    image = pool.share(pack(project, compiled(engine, project)))
    parts = cluster.spans(len(x), pool.n_workers)
    results = pool.ordered(run_part, [(image, engine, x[a:b], layers) for a, b in parts])
    ys = [np.concatenate([r[0][k] for r in results]) for k in range(len(results[0][0]))]
    if engine in RTL_ENGINES:
        from . import verilator
        verilator.write_report(project, verilator.merge_reports([r[1] for r in results]), engine == "rtl-kernel")
    return ys
