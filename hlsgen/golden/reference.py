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
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def session_options(optimized_path: str | None = None):
    """The reference session options (shared by everything that asks onnxruntime)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.qdqisint8allowed", "1")
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if optimized_path is not None:
        opts.optimized_model_filepath = optimized_path
    return opts


def session(model):
    """An onnxruntime CPU session for MODEL (a path or serialized bytes)."""
    import onnxruntime as ort

    if isinstance(model, os.PathLike):
        model = str(model)
    return ort.InferenceSession(model, sess_options=session_options(), providers=["CPUExecutionProvider"])


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
        ort.InferenceSession(src, sess_options=session_options(out), providers=["CPUExecutionProvider"])
        model = onnx.load(out)
    return [f"{n.domain}:{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
            for n in model.graph.node]
