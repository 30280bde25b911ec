"""Let onnxruntime itself decide what runs as an integer operator.

onnxruntime fuses DequantizeLinear -> op -> QuantizeLinear into QLinearConv, QGemm, QLinearAdd, ...
only for some patterns and type combinations (DESIGN.md, "QDQ models").  Rather than re-implement
those rules, hlsgen asks onnxruntime's graph optimizer for the fused graph (the reference
session's options, at the extended level where the QDQ transformers run) and reads that: what
remains in float is exactly what onnxruntime would run in float.
Fused nodes keep the name of the node they replace.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import onnx

from ..errors import UserError
from ..golden.reference import session_options


def fused_model(path, label) -> onnx.ModelProto:
    """The graph onnxruntime runs for the model at PATH, after its QDQ fusions."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="hlsgen-fuse-") as tmp:
        opts = session_options(str(Path(tmp) / "fused.onnx"))
        # the reference's level (all) would also rewrite layouts (NHWC); extended stops after the fusions
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        try:
            ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types with long messages
            raise UserError(f"{label}: onnxruntime cannot load the model: {_first_line(e)}") from None
        return onnx.load(opts.optimized_model_filepath)


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    # drop onnxruntime's '[ONNXRuntimeError] : 1 : FAIL : ' prefix and C++ source locations
    text = _SOURCE_LOCATION.sub("", text.split(" : ")[-1])
    return text[:300]


_SOURCE_LOCATION = re.compile(r"/?onnxruntime_src/\S+:\d+ \S+?\(.*?\) ")
