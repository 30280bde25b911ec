"""hlsgen run MODEL --input X.npy --output Y.npy: run the golden model on a batch.

X is what the ONNX model takes (float32 NCHW; other real dtypes are cast): N images, each one
inference, whatever batch size the model file declares (the same rule as ``simulate`` and
``compare``).  Y is what onnxruntime returns for each image, stacked; a model with several outputs
writes them to a .npz file under their output names.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..frontend import load
from ..frontend.arrays import read_batch
from ..util import check_output_file, output_file


def check_output(path, names: list, same_as=None) -> Path:
    """PATH, once it is sure it can take the result (checked before the run)."""
    path = check_output_file(path, "--output")
    if same_as is not None and path.exists() and os.path.samefile(path, same_as):
        raise UserError(f"--output {path}: is the input file")
    if len(names) > 1 and path.suffix != ".npz":
        raise UserError(f"--output {path}: the model has {len(names)} outputs; give a .npz path")
    return path


def write_outputs(path: Path, names: list, ys: list) -> None:
    """One output to .npy (any file name), several to a .npz archive keyed by output name."""
    with output_file(path, "--output") as tmp, open(tmp, "wb") as f:
        ys = [np.ascontiguousarray(y) for y in ys]     # the same bytes from every engine
        if len(ys) == 1:
            np.save(f, ys[0])
        else:
            np.savez(f, **dict(zip(names, ys)))


def main(args) -> int:
    from ..golden import run

    graph = load(args.model, args.calibrate)
    x = read_batch(args.input, graph.tensor(graph.inputs[0]).shape)
    out = check_output(args.output, list(graph.outputs), same_as=args.input)
    write_outputs(out, list(graph.outputs), run(graph, x))
    return 0
