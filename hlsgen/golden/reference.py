"""onnxruntime as the reference everything is compared to.

The session runs on the CPU with the options that make onnxruntime execute its
fused integer kernels:

* ``session.qdqisint8allowed=1``: on x86 onnxruntime fuses
  DequantizeLinear -> op -> QuantizeLinear with int8 activations (S8S8) only
  with this option; U8S8 fuses without it.
* graph optimization level ``ORT_ENABLE_EXTENDED`` or higher: the QDQ
  propagation / fusion transformers run at the extended level (the default,
  ``ORT_ENABLE_ALL``, includes it).  ``ort_optimized_ops`` shows what the
  optimized graph really runs, so tests can prove the fusion happened.
* ``session.x64quantprecision=1`` for models with uint8 activations: on x86 CPUs without VNNI (AVX2,
  AVX-512 without VNNI) onnxruntime's default U8S8 kernels add pairs of uint8 x int8 products in 16
  bits (VPMADDUBSW) and saturate; this option rewrites the int8 weights to uint8 (zero point + 128)
  so that its exact U8U8 kernels run (on VNNI CPUs nothing changes).  The engine and the golden model
  compute the exact int32 sum, which is what onnxruntime computes on every x86 CPU with this option:
  the reference is exact arithmetic, not one instruction set's saturation.  Models with int8
  activations (S8S8, exact on every x86 CPU) must not get it: onnxruntime has no S8U8 kernels.
  The frontend's fusion session (hlsgen.frontend.fuse) never sets it: the IR keeps the model's weights.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def session_options(optimized_path: str | None = None, exact_u8s8: bool = False):
    """The reference session options (shared by everything that asks onnxruntime); EXACT_U8S8: the
    exact kernels for uint8 x int8 products (see the module notes; only for uint8 activations)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.qdqisint8allowed", "1")
    if exact_u8s8:
        opts.add_session_config_entry("session.x64quantprecision", "1")
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if optimized_path is not None:
        opts.optimized_model_filepath = optimized_path
    return opts


def session(model, optimized_path=None):
    """An onnxruntime CPU session for MODEL (a path or serialized bytes); OPTIMIZED_PATH: where
    onnxruntime writes the model it optimized."""
    import onnxruntime as ort

    if isinstance(model, os.PathLike):
        model = str(model)
    opts = session_options(None if optimized_path is None else str(optimized_path),
                           exact_u8s8=uint8_activations(model))
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])


_ACTIVATION_ZERO_POINT = {"QuantizeLinear": 2, "QLinearConv": 2, "QLinearMatMul": 2, "QGemm": 2}


def uint8_activations(model) -> bool:
    """MODEL (a path or serialized bytes) quantizes no activation to int8: the exact U8S8 option applies."""
    import onnx

    m = onnx.load_model_from_string(model) if isinstance(model, bytes) else onnx.load(str(model))
    types = {i.name: i.data_type for i in m.graph.initializer}
    for node in m.graph.node:
        k = _ACTIVATION_ZERO_POINT.get(node.op_type)
        if k is not None and len(node.input) > k and types.get(node.input[k]) == onnx.TensorProto.INT8:
            return False
    return True


def ort_run(model_path, x: np.ndarray) -> list:
    """Run MODEL on the float32 NCHW batch X; return onnxruntime's outputs."""
    sess = session(model_path)
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: np.ascontiguousarray(x, dtype=np.float32)})


def ort_optimized_ops(model_path) -> list:
    """Op types (``domain:op`` for non-ONNX domains) of the graph onnxruntime really runs."""
    import onnx
    import onnxruntime as ort

    if isinstance(model_path, bytes):
        src = model_path
    else:
        src = str(model_path)
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "optimized.onnx")
        ort.InferenceSession(src, sess_options=session_options(out, exact_u8s8=uint8_activations(src)),
                             providers=["CPUExecutionProvider"])
        model = onnx.load(out)
    return [f"{n.domain}:{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
            for n in model.graph.node]
