"""hlsgen simulate OUT --engine csim|verilator|tiled --input X.npy --output Y.npy.

Runs a built project on a batch: ``csim`` compiles and runs the generated HLS
kernel and host program (hlsgen.sim.csim), ``verilator`` the RTL twin
(hlsgen.sim.verilator), ``tiled`` the plan's invocations on the numpy engine
model (hlsgen.plan.tiled).  Y is what onnxruntime returns for the model (a
model with several outputs writes a .npz under their output names).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UserError
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


def _run(engine: str, project: Path, x: np.ndarray, args) -> list:
    if engine == "csim":
        from ..sim import csim
        return csim.simulate(project, x)
    if engine == "verilator":
        from ..sim import verilator
        layers = args.layers.split(",") if getattr(args, "layers", None) else None
        return verilator.simulate(project, x, layers=layers, trace=bool(getattr(args, "trace", False)))
    from ..plan import tiled
    from ..plan.planner import Plan
    return tiled.run(Plan.load(project), x)


def main(args) -> int:
    project, out = Path(args.project), Path(args.output)
    plan = _plan(project)
    x = _input(Path(args.input), plan)
    names = [o["name"] for o in plan["outputs"]]
    if out.is_dir():
        raise UserError(f"--output {out}: is a folder, expected a file path")
    if len(names) > 1 and out.suffix != ".npz":
        raise UserError(f"--output {out}: the model has {len(names)} outputs; give a .npz path")
    ys = _run(args.engine, project, x, args)
    with atomic_file(out) as tmp:
        with open(tmp, "wb") as f:
            if len(names) == 1:
                np.save(f, ys[0])
            else:
                np.savez(f, **dict(zip(names, ys)))
    return 0
