"""Shared steps of every example: L1 filter pruning, ONNX export, onnxruntime static quantization.

Everything is deterministic: the same model and calibration data give the same bytes.
"""
from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from torch import nn

from ..errors import UserError
from ..util import check_output_file, output_file

FORMATS = ("qop", "qdq", "float")
ACT_DTYPES = ("int8", "uint8")
OPSET = 17


def check_prune(prune: float) -> float:
    prune = float(prune)
    if not 0.0 <= prune < 1.0:
        raise UserError(f"--prune {prune}: expected a fraction in [0, 1)")
    return prune


def check_output(path) -> Path:
    """Fail early (before a long build) when model file PATH cannot be written."""
    path = check_output_file(path, "-o")
    parent = path.parent if str(path.parent) else Path(".")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write in folder {parent}")
    return path


def metadata(path) -> dict:
    """The metadata_props of ONNX model PATH as a dict."""
    m = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def pruned_count(filters: int, prune: float) -> int:
    """Filters zeroed out of FILTERS at level PRUNE (at least one filter always stays)."""
    return min(filters - 1, int(np.floor(prune * filters + 1e-9)))


def check_round_to(round_to) -> int | None:
    """--round-to N: None, or a positive integer."""
    if round_to is None:
        return None
    if isinstance(round_to, bool) or not isinstance(round_to, (int, np.integer)) or round_to < 1:
        raise UserError(f"--round-to {round_to}: expected a positive integer")
    return int(round_to)


def kept_count(filters: int, prune: float, round_to: int | None = None) -> int:
    """Filters that stay out of FILTERS at level PRUNE; with ROUND_TO a multiple of it (rounded up, at
    most FILTERS: a layer not a multiple of ROUND_TO keeps every filter rather than an odd count)."""
    keep = filters - pruned_count(filters, prune)
    if round_to:
        keep = -(-keep // round_to) * round_to
        if keep > filters:
            keep = filters
    return keep


@torch.no_grad()
def l1_filter_masks(model: nn.Module, prune: float, round_to: int | None = None) -> dict:
    """{conv module: bool keep-mask over output filters}, lowest L1 norm zeroed first (ties: lower index);
    ROUND_TO: see ``kept_count``."""
    masks = {}
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            norms = m.weight.abs().sum(dim=(1, 2, 3)).numpy()
            order = np.argsort(norms, kind="stable")
            keep = np.ones(len(norms), dtype=bool)
            keep[order[:len(norms) - kept_count(len(norms), prune, round_to)]] = False
            masks[m] = keep
    return masks


@torch.no_grad()
def apply_masks(masks: dict, zero_bias: bool = True) -> None:
    """Zero the weights (and biases when ZERO_BIAS) of the pruned filters, in place."""
    for m, keep in masks.items():
        dead = torch.from_numpy(~keep)
        m.weight[dead] = 0.0
        if zero_bias and m.bias is not None:
            m.bias[dead] = 0.0


def prune_filters(model: nn.Module, prune: float, zero_bias: bool = True) -> dict:
    """Zero whole conv filters by L1 rank at level PRUNE (classifier untouched); returns the masks."""
    masks = l1_filter_masks(model, prune)
    apply_masks(masks, zero_bias)
    return masks


@torch.no_grad()
def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm2d into the Conv2d registered right before it in the same parent.

    The BN is replaced by Identity (which the export drops), so the ONNX graph has no BN.
    """
    for parent in list(model.modules()):
        prev = None
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                if not isinstance(prev, nn.Conv2d):
                    raise ValueError(f"BatchNorm2d {name!r} does not follow a Conv2d")
                scale = child.weight / torch.sqrt(child.running_var + child.eps)
                bias = prev.bias if prev.bias is not None else torch.zeros_like(scale)
                prev.weight.mul_(scale.view(-1, 1, 1, 1))
                prev.bias = nn.Parameter((bias - child.running_mean) * scale + child.bias)
                setattr(parent, name, nn.Identity())
            prev = child
    return model


def export_onnx(model: nn.Module, input_shape: tuple, path: Path) -> None:
    """Export MODEL (eval mode) to ONNX with a dynamic batch and static C, H, W."""
    model.eval()
    x = torch.zeros((1, *input_shape), dtype=torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), opset_version=OPSET, dynamo=False,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          do_constant_folding=True)
    m = onnx.load(str(path))
    m.producer_name, m.producer_version, m.doc_string = "hlsgen.examples", "", ""
    onnx.save(m, str(path))


class _Calibration(CalibrationDataReader):
    """Calibration data: a fixed float32 batch, one sample at a time."""

    def __init__(self, x: np.ndarray, input_name: str = "input"):
        self._it = iter([{input_name: x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self._it, None)


def quantize(float_path: Path, out_path: Path, calib: np.ndarray, fmt: str = "qop",
             per_channel: bool = False, act_dtype: str = "int8") -> None:
    """onnxruntime quantize_static: weights int8 (symmetric), activations ACT_DTYPE, MinMax on CALIB."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_static warns about pre-processing we do not need
    try:
        quantize_static(str(float_path), str(out_path), _Calibration(calib.astype(np.float32)),
                        quant_format=QuantFormat.QOperator if fmt == "qop" else QuantFormat.QDQ,
                        per_channel=per_channel,
                        activation_type=QuantType.QInt8 if act_dtype == "int8" else QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def write_model(model: nn.Module, input_shape: tuple, path, calib: np.ndarray, fmt: str = "qop",
                per_channel: bool = False, act_dtype: str = "int8", metadata: dict | None = None) -> Path:
    """Export MODEL, quantize it (unless fmt == 'float') and write it atomically to PATH.

    METADATA: extra ONNX metadata_props (str -> str) recorded in the written model.
    """
    if fmt not in FORMATS:
        raise UserError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if act_dtype not in ACT_DTYPES:
        raise UserError(f"act_dtype {act_dtype!r}: expected one of {', '.join(ACT_DTYPES)}")
    path = check_output(path)
    with output_file(path) as tmp, tempfile.TemporaryDirectory(prefix="hlsgen-export-") as work:
        float_path = Path(work) / "float.onnx"
        export_onnx(model, input_shape, float_path)
        result = float_path
        if fmt != "float":
            result = Path(work) / "quant.onnx"
            quantize(float_path, result, calib, fmt, per_channel, act_dtype)
        m = onnx.load(str(result))
        onnx.helper.set_model_props(m, {k: str(v) for k, v in (metadata or {}).items()})
        onnx.save(m, str(tmp))
    return path
