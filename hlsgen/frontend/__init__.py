"""ONNX -> integer IR.

``load(path, calibrate=None)`` reads a QOperator, QDQ or (with ``calibrate``) float model:

1. ``model_file``: parse and check the file, its one float32 NCHW input (static C, H, W) and
   its outputs; reject operators hlsgen does not take, naming the node.
2. ``calibrate``: a float model is first quantized by onnxruntime's ``quantize_static``.
3. ``fuse``: onnxruntime's optimizer turns QDQ patterns into the integer operators it really runs
   (QOperator models pass through unchanged), so the IR describes onnxruntime's fused execution.
4. ``tables``: element-wise functions of one integer tensor (DequantizeLinear -> HardSwish / Sigmoid /
   BatchNormalization ... -> QuantizeLinear, QLinearSigmoid, x * sigmoid(x)) become ``table`` layers whose
   entries onnxruntime computes itself.
5. ``channels``: channel shuffles (Reshape -> Transpose -> Reshape), Splits and Slices along the channels
   become ``gather`` layers (a Slice onnxruntime leaves in float between DequantizeLinear and QuantizeLinear
   is first moved onto the integers).
6. ``convert`` / ``ops``: the rest of the fused graph becomes an ``ir.Graph`` (one converter per operator).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .. import ir
from ..errors import UserError
from . import model_file
from .calibrate import quantize_float_model
from .convert import to_ir
from .fuse import fused_model

__all__ = ["load", "table_nodes"]


def load(path, calibrate=None) -> ir.Graph:
    """Read the ONNX model at PATH as an ir.Graph; UserError (one line) on anything hlsgen cannot take.

    calibrate: None for quantized models; 'random' or a folder of .npy inputs to quantize a float model.
    """
    path = Path(path)
    model = model_file.read(path)
    input_name, shape, batch = model_file.interface(model, path)
    fmt = model_file.source_format(model)
    if fmt == "float":
        if calibrate is None:
            raise UserError(f"{path}: a float model (no quantized operators); quantize it on the way in "
                            "with --calibrate random or --calibrate DIR")
        model_file.check_ops(model, path, model_file.FLOAT_MODEL_OPS)
        with tempfile.TemporaryDirectory(prefix="hlsgen-calibrate-") as tmp:
            quantized = Path(tmp) / "quantized.onnx"
            quantize_float_model(path, quantized, calibrate, path, input_name, shape)
            return _load_quantized(quantized, model_file.read(quantized), path, "float", input_name, shape, batch)
    if calibrate is not None:
        raise UserError(f"{path}: already quantized ({fmt}); --calibrate applies to float models only")
    return _load_quantized(path, model, path, fmt, input_name, shape, batch)


def _load_quantized(path, model, label, fmt, input_name, shape, batch) -> ir.Graph:
    model_file.check_ops(model, label, model_file.QUANTIZED_MODEL_OPS)
    original_ops = {n.name: n.op_type for n in model.graph.node if n.name}
    original_outputs = {o: n.op_type for n in model.graph.node for o in n.output if o}
    return to_ir(fused_model(path, label), label, input_name=input_name, input_shape=shape, batch=batch,
                 source_format=fmt, name=Path(label).stem, original_ops=original_ops,
                 original_outputs=original_outputs)


def table_nodes(path) -> set:
    """Names and output tensors of the nodes of the model at PATH that table layers take
    (``tables.find`` on onnxruntime's fused graph); empty when onnxruntime cannot load it."""
    from . import tables
    try:
        fused = fused_model(path, path)
    except UserError:
        return set()
    nodes = [fused.graph.node[k] for r in tables.find(fused) for k in r.nodes]
    return {n.name for n in nodes if n.name} | {o for n in nodes for o in n.output}
