"""QLinearMul (a map times a per-channel vector: squeeze-and-excitation): the golden float path and
its integer-only form equal onnxruntime on every pair of input bytes, over random quantizations."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from hlsgen.golden import ops, requant
from hlsgen.ir import QParams

ONNX = {"uint8": TensorProto.UINT8, "int8": TensorProto.INT8}


def _ort_mul(qa, qb, qy, a, b):
    dt = qa.dtype
    inits = []
    for n, q in (("a", qa), ("b", qb), ("y", qy)):
        inits += [numpy_helper.from_array(np.float32(q.scale), n + "s"),
                  numpy_helper.from_array(np.array(q.zero_point, dt), n + "z")]
    node = helper.make_node("QLinearMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"],
                            domain="com.microsoft")
    g = helper.make_graph([node], "mul", [helper.make_tensor_value_info("a", ONNX[dt], list(a.shape)),
                                          helper.make_tensor_value_info("b", ONNX[dt], list(b.shape))],
                          [helper.make_tensor_value_info("y", ONNX[dt], None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)],
                          ir_version=8)
    s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {"a": a, "b": b})[0].astype(np.int32)


def _q(draw, dt):
    lo, hi = (0, 255) if dt == "uint8" else (-128, 127)
    return QParams(float(np.float32(2.0 ** draw(st.floats(-10, 0)))), draw(st.integers(lo, hi)), dt)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from(["uint8", "int8"]))
def test_mul_every_byte_pair(data, dt):
    """All 65536 (map byte, vector byte) pairs, the vector broadcast per channel as in SE: 0 mismatches."""
    qa, qb, qy = (_q(data.draw, dt) for _ in range(3))
    a = np.tile(np.arange(256, dtype=np.uint8).view(dt), (256, 1)).reshape(1, 256, 1, 256)
    b = np.arange(256, dtype=np.uint8).view(dt).reshape(1, 256, 1, 1)
    want = _ort_mul(qa, qb, qy, a, b)
    assert np.array_equal(ops.mul(a, qa, b, qb, qy), want)
    got = requant.mul_int(a, b, qa.zero_point, qb.zero_point, requant.mul_ratio(qa, qb, qy), qy.zero_point,
                          qy.qmin, qy.qmax)
    assert np.array_equal(got, want)
