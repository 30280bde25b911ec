"""hlsgen run MODEL --input X.npy --output Y.npy: run the golden model on a batch.

X is what the ONNX model takes (float32 NCHW; other real dtypes are cast).  Y is what onnxruntime
returns for the same model and batch, same dtype and shape; a model with several outputs writes
them to a .npz file under their output names.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import ir
from ..errors import UserError
from ..frontend import load
from ..frontend.arrays import read_npy
from ..util import atomic_file


def read_input(path, graph: ir.Graph) -> np.ndarray:
    """The batch in PATH as float32, checked against GRAPH's input (one-line errors naming the file)."""
    x = read_npy(path)
    want = graph.tensor(graph.inputs[0]).shape
    batch = graph.meta.get("batch")
    shown = f"({batch or 'N'}, {', '.join(map(str, want))})"
    if x.ndim != 1 + len(want) or tuple(x.shape[1:]) != tuple(want) or x.shape[0] == 0 \
            or (batch is not None and x.shape[0] != batch):
        raise UserError(f"{path}: shape {x.shape}; the model takes {shown}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise UserError(f"{path}: holds NaN or infinite values")
    return x


def check_output(path, graph: ir.Graph) -> Path:
    """PATH, once it is sure it can take the result (checked before the run)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"--output {path}: is a folder, expected a file path")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise UserError(f"--output {path}: the folder {path.parent} does not exist")
    if len(graph.outputs) > 1 and path.suffix != ".npz":
        raise UserError(f"--output {path}: the model has {len(graph.outputs)} outputs; give a .npz path")
    return path


def write_outputs(path: Path, graph: ir.Graph, ys: list) -> None:
    """One output to .npy (any file name), several to a .npz archive keyed by output name."""
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        if len(ys) == 1:
            np.save(f, ys[0])
        else:
            np.savez(f, **dict(zip(graph.outputs, ys)))


def main(args) -> int:
    from ..golden import run

    graph = load(args.model, args.calibrate)
    x = read_input(args.input, graph)
    out = check_output(args.output, graph)
    write_outputs(out, graph, run(graph, x))
    return 0
