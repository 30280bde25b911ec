"""Reading input batches (.npy) for ``hlsgen run``, ``simulate`` and ``--calibrate DIR``, with one-line errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError

NPY_MAGIC = b"\x93NUMPY"


def read_npy(path) -> np.ndarray:
    """The real-valued array in the .npy file PATH (UserError naming the file otherwise)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a .npy file")
    with open(path, "rb") as f:
        if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
            raise UserError(f"{path}: not a .npy file")
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{path}: not a readable .npy array ({why})") from None
    if x.dtype.kind not in "fiu":
        raise UserError(f"{path}: {x.dtype} values cannot be cast to float32")
    return x


def read_batch(path, shape) -> np.ndarray:
    """The images in PATH as float32 (N, *SHAPE): one-line errors naming the file."""
    x = read_npy(path)
    shape = tuple(shape)
    if x.ndim != 1 + len(shape) or tuple(x.shape[1:]) != shape or not len(x):
        raise UserError(f"{path}: shape {x.shape}; the model takes (N, {', '.join(map(str, shape))}): "
                        "N images, each one inference")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise UserError(f"{path}: holds NaN or infinite values")
    return x
