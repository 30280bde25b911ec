"""Quantizing a float model on the way in, with onnxruntime's own static quantizer.

``--calibrate random`` calibrates on seeded standard-normal inputs (the range of normalized
images); ``--calibrate DIR`` on every ``*.npy`` file in DIR, each one sample (C, H, W) or a batch
(N, C, H, W).  The result is a QDQ model with int8 activations and per-channel int8 weights
(onnxruntime's recommended x86 setting), which the frontend then reads like any QDQ model.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from ..errors import UserError
from .arrays import read_npy

RANDOM_SAMPLES = 16


def calibration_data(calibrate, shape: tuple) -> np.ndarray:
    """The calibration batch (N, C, H, W) float32 for the option value CALIBRATE."""
    if str(calibrate) == "random":
        return np.random.default_rng(0).standard_normal((RANDOM_SAMPLES, *shape)).astype(np.float32)
    folder = Path(calibrate)
    if not folder.is_dir():
        raise UserError(f"--calibrate {calibrate}: expected 'random' or a folder of .npy inputs")
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise UserError(f"--calibrate {folder}: the folder holds no .npy files")
    batches = []
    for f in files:
        x = read_npy(f)
        batch = x[None] if x.ndim == len(shape) else x
        if batch.shape[1:] != tuple(shape):
            raise UserError(f"{f}: {x.dtype} array of shape {x.shape}; the model takes float32 "
                            f"(N, {', '.join(map(str, shape))}) inputs")
        x = batch
        batches.append(x.astype(np.float32))
    x = np.concatenate(batches)
    if not np.all(np.isfinite(x)):
        raise UserError(f"--calibrate {folder}: the inputs hold NaN or infinite values")
    return x


class _Samples(CalibrationDataReader):
    """The calibration batch, one sample at a time."""

    def __init__(self, input_name: str, x: np.ndarray):
        self._feeds = iter([{input_name: x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self._feeds, None)


def quantize_float_model(path, out_path, calibrate, label, input_name: str, shape: tuple) -> None:
    """Write to OUT_PATH the float model at PATH quantized by onnxruntime.quantization.quantize_static."""
    reader = _Samples(input_name, calibration_data(calibrate, shape))
    pre = Path(out_path).with_suffix(".pre.onnx")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice on every call
    try:
        quant_pre_process(str(path), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out_path), reader, quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    except UserError:
        raise
    except Exception as e:  # the quantizer fails with assorted exception types on models it cannot take
        raise UserError(f"{label}: onnxruntime's quantizer failed: {type(e).__name__}: "
                        f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}") from None
    finally:
        root.setLevel(level)
