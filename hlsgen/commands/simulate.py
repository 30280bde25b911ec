"""hlsgen simulate OUT --engine csim|verilator|tiled --input X.npy --output Y.npy [--workers N | --scheduler ADDR].

Runs a built project on a batch: ``csim`` compiles and runs the generated HLS
kernel and host program (hlsgen.sim.csim), ``verilator`` the RTL twin
(hlsgen.sim.verilator), ``tiled`` the plan's invocations on the numpy engine
model (hlsgen.plan.tiled).  Y is what onnxruntime returns for the model (a
model with several outputs writes a .npz under their output names).  With --workers N (a
LocalCluster) or --scheduler (a Dask cluster) the images are split over the workers
(hlsgen.sim.split): the same outputs, merged in order.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import cluster, sim
from ..errors import UserError
from ..sim import split
from ..util import atomic_file


def _plan(project: Path) -> dict:
    if not project.is_dir():
        raise UserError(f"{project}: no such folder (give the folder written by 'hlsgen build')")
    try:
        return json.loads((project / "plan.json").read_text())
    except (OSError, ValueError) as e:
        raise UserError(f"{project}: not a built project ({type(e).__name__}: plan.json)") from None


def _input(path: Path, plan: dict) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        raise UserError(f"{path}: not a readable .npy array") from None
    want = tuple(plan["inputs"][0]["shape"])
    if x.dtype.kind not in "fiu" or x.ndim != 1 + len(want) or tuple(x.shape[1:]) != want or not len(x):
        raise UserError(f"{path}: {x.dtype} array of shape {x.shape}; the model takes float32 (N, "
                        f"{', '.join(map(str, want))})")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise UserError(f"{path}: holds NaN or infinite values")
    return x


def main(args) -> int:
    project, out = Path(args.project), Path(args.output)
    plan = _plan(project)
    x = _input(Path(args.input), plan)
    names = [o["name"] for o in plan["outputs"]]
    if out.is_dir():
        raise UserError(f"--output {out}: is a folder, expected a file path")
    if len(names) > 1 and out.suffix != ".npz":
        raise UserError(f"--output {out}: the model has {len(names)} outputs; give a .npz path")
    scheduler, workers = getattr(args, "scheduler", None), getattr(args, "workers", None)
    cluster.check_options(scheduler, workers)
    trace = bool(getattr(args, "trace", False))
    if trace and (scheduler or (workers or 1) > 1):
        raise UserError("--trace: writes one waveform of one simulator run; run it without --workers or --scheduler")
    layers = args.layers.split(",") if getattr(args, "layers", None) else None
    project = project.resolve()      # the simulators run in other folders (and processes)
    with cluster.open_pool(scheduler, workers, "simulate") as pool:
        if pool.in_process:
            ys = sim.run(args.engine, project, x, layers=layers, trace=trace)
        else:
            ys = split.simulate(pool, args.engine, project, x, layers=layers)
    with atomic_file(out) as tmp:
        with open(tmp, "wb") as f:
            if len(names) == 1:
                np.save(f, ys[0])
            else:
                np.savez(f, **dict(zip(names, ys)))
    return 0
