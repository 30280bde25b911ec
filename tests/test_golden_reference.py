"""The onnxruntime reference session runs the fused integer kernels, whatever the optimization level."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from hlsgen.examples.testnets import make, random_input
from hlsgen.golden.reference import ort_optimized_ops, ort_run, session_options, uint8_activations

FLOAT_COMPUTE = {"Conv", "Gemm", "MatMul", "Add", "AveragePool", "GlobalAveragePool"}


@pytest.fixture(scope="module")
def qdq_models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    return {(kind, dt): make(kind, tmp / f"{kind}_{dt}.onnx", fmt="qdq", act_dtype=dt, per_channel=True)
            for kind in ("resnet", "vgg") for dt in ("int8", "uint8")}


@pytest.mark.parametrize("kind", ["resnet", "vgg"])
@pytest.mark.parametrize("act_dtype", ["int8", "uint8"])
def test_qdq_model_runs_fused_integer_kernels(qdq_models, kind, act_dtype):
    ops = ort_optimized_ops(qdq_models[kind, act_dtype])
    assert "com.microsoft:QLinearConv" in ops or "QLinearConv" in ops
    assert not FLOAT_COMPUTE & set(ops), sorted(set(ops))


def test_s8s8_fusion_needs_the_session_option(qdq_models, tmp_path):
    """Without session.qdqisint8allowed, x86 onnxruntime leaves int8 (S8S8) convs in float."""
    opts = ort.SessionOptions()
    opts.optimized_model_filepath = str(tmp_path / "plain.onnx")
    ort.InferenceSession(str(qdq_models["resnet", "int8"]), opts, providers=["CPUExecutionProvider"])
    plain = {n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node}
    assert "Conv" in plain


@pytest.mark.parametrize("kind", ["resnet", "vgg"])
@pytest.mark.parametrize("act_dtype", ["int8", "uint8"])
def test_layout_transform_keeps_the_arithmetic(qdq_models, kind, act_dtype):
    """ORT_ENABLE_ALL (the reference: NHWC integer kernels) == ORT_ENABLE_EXTENDED (NCHW kernels)."""
    model = qdq_models[kind, act_dtype]
    x = random_input(model, n=3, seed=4)
    opts = session_options(exact_u8s8=uint8_activations(model))
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    extended = sess.run(None, {sess.get_inputs()[0].name: x})
    for a, b in zip(ort_run(model, x), extended):
        assert a.dtype == b.dtype and np.array_equal(a, b)
