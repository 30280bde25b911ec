"""Golden model == onnxruntime, op by op, with 0 mismatching elements.

Each hypothesis case builds a tiny QOperator model (QuantizeLinear -> op ->
DequantizeLinear, every integer tensor also exposed as an output) and the
matching IR graph from the same parameters (hlsgen.golden.twin), runs
onnxruntime and golden.run_tensors, and counts mismatching elements.
Shapes, kernels, strides, paddings, zero points, scales and dtypes are drawn by
hypothesis; array contents come from numpy seeded by hypothesis.  A one-off run
with HLSGEN_GOLDEN_EXAMPLES=1500 (16,500 cases, 9.4M elements) found 0 mismatches.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hlsgen import ir
from hlsgen.golden import ops
from hlsgen.golden.reference import session
from hlsgen.golden.twin import Net
from testkit import qparams

# 200 fixed cases per op family in the fast suite; HLSGEN_GOLDEN_EXAMPLES=N runs N fresh random ones.
_EXAMPLES = int(os.environ.get("HLSGEN_GOLDEN_EXAMPLES", "0"))
CASES = settings(max_examples=_EXAMPLES or 200, deadline=None, derandomize=not _EXAMPLES, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

DTYPES = st.sampled_from(["uint8", "int8"])
SEEDS = st.integers(0, 2**32 - 1)


def float_input(rng, q: ir.QParams, shape, n=2):
    """Floats that quantize onto the whole integer range of Q (plus a few that saturate)."""
    ints = rng.integers(q.qmin, q.qmax + 1, (n,) + tuple(shape))
    x = ((ints - q.zero_point) * q.scale).astype(np.float32)
    x.flat[:: max(1, x.size // 3)] *= 1.5       # some beyond the range: saturation
    return x


def weights(rng, wdtype, shape, per_channel):
    lo, hi = ir.DTYPE_RANGE[wdtype]
    o = shape[0]
    w = rng.integers(lo, hi + 1, shape).astype(wdtype)
    n_zp = o if per_channel else 1
    if wdtype == "uint8":
        zp = rng.integers(lo, hi + 1, n_zp)
    else:                         # symmetric as quantizers make them, sometimes not
        zp = rng.integers(-16, 17, n_zp) if rng.integers(0, 3) == 0 else 0
    scale = 2.0 ** rng.uniform(-9, -3, o if per_channel else 1)
    return w, np.broadcast_to(zp, (o,)), np.broadcast_to(scale, (o,)).astype(np.float32)


def output_q(rng, dtype, qx, w_scale, k):
    """An output quantization that spreads a K-term accumulator over the 8-bit range."""
    spread = 64 / (5000 * np.sqrt(k)) * 2.0 ** rng.uniform(-1.5, 1.5)
    lo, hi = ir.DTYPE_RANGE[dtype]
    return ir.QParams(qx.scale * float(np.mean(w_scale)) / spread, int(rng.integers(lo, hi + 1)), dtype)


def chw(data, c_max, hw_max):
    """A drawn per-sample feature-map shape (C, H, W)."""
    return (data.draw(st.integers(1, c_max)), data.draw(st.integers(1, hw_max)), data.draw(st.integers(1, hw_max)))


def assert_exact(net, x, out):
    bad, total = net.check(x, out)
    assert total > 0
    assert bad == 0, f"{bad} of {total} elements differ from onnxruntime"


def conv_case(data, depthwise):
    rng = np.random.default_rng(data.draw(SEEDS))
    xdt, wdt = data.draw(st.sampled_from([("uint8", "int8"), ("int8", "int8"), ("uint8", "uint8")]))
    k = data.draw(st.integers(1, 7))
    kw = data.draw(st.sampled_from([k, data.draw(st.integers(1, 7))]))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (1, 1) if data.draw(st.booleans()) else (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    pads = tuple(data.draw(st.integers(0, max(0, kk - 1))) for kk in (k, kw, k, kw))
    h = data.draw(st.integers(max(1, d[0] * (k - 1) + 1 - pads[0] - pads[2]), 14))
    w = data.draw(st.integers(max(1, d[1] * (kw - 1) + 1 - pads[1] - pads[3]), 14))
    c = data.draw(st.integers(1, 12))
    if depthwise:
        groups, o = c, c * data.draw(st.integers(1, 2))
    else:
        groups, o = 1, data.draw(st.integers(1, 12))
    per_channel = data.draw(st.booleans())
    qx = qparams(rng, xdt)
    wt, wzp, wsc = weights(rng, wdt, (o, c // groups, k, kw), per_channel)
    qy = output_q(rng, xdt, qx, wsc, c // groups * k * kw)
    big = data.draw(st.integers(0, 9)) == 0      # accumulators beyond 2^24: float32 rounds acc
    b = rng.integers(-2**30, 2**30, o) if big else rng.integers(-30000, 30000, o)
    if big:
        qy = ir.QParams(qy.scale * 2.0**15, qy.zero_point, qy.dtype)
    act = None
    if data.draw(st.integers(0, 3)) == 0:        # an absorbed ReLU / clip
        act = (qy.zero_point, int(rng.integers(qy.zero_point, qy.qmax + 1)))
    net = Net((c, h, w))
    xq = net.quantize("x", qx)
    y = net.conv(xq, wt, wzp, wsc, b, qy, s, pads, d, groups, act)
    assert_exact(net, float_input(rng, qx, (c, h, w)), net.dequantize(y))


@CASES
@given(st.data())
def test_conv(data):
    conv_case(data, depthwise=False)


@CASES
@given(st.data())
def test_conv_depthwise(data):
    conv_case(data, depthwise=True)


@CASES
@given(st.data(), DTYPES, st.booleans(), st.booleans())
def test_matmul(data, dtype, per_channel, flatten):
    rng = np.random.default_rng(data.draw(SEEDS))
    wdt = "uint8" if dtype == "uint8" and data.draw(st.booleans()) else "int8"
    shape = (data.draw(st.integers(1, 8)), data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))) \
        if flatten else (data.draw(st.integers(1, 300)),)
    i, o = int(np.prod(shape)), data.draw(st.integers(1, 40))
    qx = qparams(rng, dtype)
    w, wzp, wsc = weights(rng, wdt, (o, i), per_channel)
    qy = output_q(rng, dtype, qx, wsc, i)
    net = Net(shape)
    t = net.quantize("x", qx)
    if flatten:
        t = net.flatten(t)
    y = net.matmul(t, w, wzp, wsc, qy)
    assert_exact(net, float_input(rng, qx, shape), net.dequantize(y))


@CASES
@given(st.data(), DTYPES, st.booleans())
def test_qgemm(data, dtype, per_channel):
    rng = np.random.default_rng(data.draw(SEEDS))
    wdt = "uint8" if dtype == "uint8" and data.draw(st.booleans()) else "int8"
    i, o = data.draw(st.integers(1, 600)), data.draw(st.integers(1, 40))
    qx = qparams(rng, dtype)
    w, wzp, wsc = weights(rng, wdt, (o, i), per_channel)
    qy = output_q(rng, dtype, qx, wsc, i)
    b = rng.integers(-2**28, 2**28, o) if data.draw(st.booleans()) else rng.integers(-30000, 30000, o)
    net = Net((i,))
    y = net.qgemm(net.quantize("x", qx), w, wzp, wsc, b, qy)
    assert_exact(net, float_input(rng, qx, (i,)), net.dequantize(y))


def conv1x1(net, rng, t, c, qy):
    """A 1x1 conv with random weights: an operand independent of T's values."""
    w, wzp, wsc = weights(rng, "int8", (c, c, 1, 1), True)
    return net.conv(t, w, wzp, wsc, rng.integers(-3000, 3000, c), qy)


@CASES
@given(st.data(), DTYPES)
def test_add(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    c, h, w = chw(data, 8, 9)
    qx, qb, qy = (qparams(rng, dtype, -6, 0) for _ in range(3))
    if data.draw(st.booleans()):                  # equal scales, common in residual nets
        qb = ir.QParams(qx.scale, qb.zero_point, dtype)
    net = Net((c, h, w))
    a = net.quantize("x", qx)
    b = conv1x1(net, rng, a, c, qb) if data.draw(st.booleans()) else net.quantize("x", qb)
    first, second = (a, b) if data.draw(st.booleans()) else (b, a)
    assert_exact(net, float_input(rng, qx, (c, h, w)), net.dequantize(net.add(first, second, qy)))


def pool_geometry(data, max_k=5):
    k = (data.draw(st.integers(1, max_k)), data.draw(st.integers(1, max_k)))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    pads = tuple(data.draw(st.integers(0, kk - 1)) for kk in (k[0], k[1], k[0], k[1]))
    h = data.draw(st.integers(max(1, k[0] - pads[0] - pads[2]), 12))
    w = data.draw(st.integers(max(1, k[1] - pads[1] - pads[3]), 12))
    return k, s, pads, (data.draw(st.integers(1, 6)), h, w)


@CASES
@given(st.data(), DTYPES, st.booleans())
def test_avgpool(data, dtype, count_include_pad):
    rng = np.random.default_rng(data.draw(SEEDS))
    k, s, pads, shape = pool_geometry(data)
    qx = qparams(rng, dtype, -6, 0)
    qy = ir.QParams(qx.scale * 2.0 ** rng.uniform(-1.5, 1.5), int(rng.integers(*ir.DTYPE_RANGE[dtype])), dtype)
    net = Net(shape)
    y = net.avgpool(net.quantize("x", qx), qy, k, s, pads, count_include_pad)
    assert_exact(net, float_input(rng, qx, shape), net.dequantize(y))


@CASES
@given(st.data(), DTYPES)
def test_gavgpool(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    shape = chw(data, 16, 14)
    qx = qparams(rng, dtype, -6, 0)
    qy = ir.QParams(qx.scale * 2.0 ** rng.uniform(-2, 1), int(rng.integers(*ir.DTYPE_RANGE[dtype])), dtype)
    net = Net(shape)
    y = net.gavgpool(net.quantize("x", qx), qy)
    assert_exact(net, float_input(rng, qx, shape), net.dequantize(y))


@CASES
@given(st.data(), DTYPES)
def test_maxpool(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    k, s, pads, shape = pool_geometry(data)
    qx = qparams(rng, dtype)
    net = Net(shape)
    y = net.maxpool(net.quantize("x", qx), k, s, pads)
    assert_exact(net, float_input(rng, qx, shape), net.dequantize(y))


@CASES
@given(st.data(), DTYPES)
def test_concat(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    h, w = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 8))
    c = data.draw(st.integers(1, 6))
    qx, qy = qparams(rng, dtype, -6, 0), qparams(rng, dtype, -6, 0)
    net = Net((c, h, w))
    a = net.quantize("x", qx)
    parts = [a]
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["same_as_output", "other", "input"]))
        if kind == "input":
            parts.append(a)
        else:
            parts.append(conv1x1(net, rng, a, c, qy if kind == "same_as_output" else qparams(rng, dtype, -6, 0)))
    order = data.draw(st.permutations(parts))
    assert_exact(net, float_input(rng, qx, (c, h, w)), net.dequantize(net.concat(order, qy)))


@CASES
@given(st.data(), DTYPES)
def test_quantize_dequantize(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    shape = chw(data, 8, 8)
    q = qparams(rng, dtype, -20, 10)
    x = float_input(rng, q, shape)
    x += (rng.normal(0, 1, x.shape) * q.scale).astype(np.float32)       # off-grid values
    x.flat[::7] = ((np.round(x.flat[::7] / q.scale) + 0.5) * q.scale)   # near ties
    net = Net(shape)
    assert_exact(net, x, net.dequantize(net.quantize("x", q)))


@CASES
@given(st.data(), DTYPES)
def test_clip(data, dtype):
    rng = np.random.default_rng(data.draw(SEEDS))
    shape = chw(data, 6, 6)
    q = qparams(rng, dtype)
    lo = data.draw(st.integers(q.qmin, q.qmax))
    hi = data.draw(st.integers(lo, q.qmax))
    net = Net(shape)
    assert_exact(net, float_input(rng, q, shape), net.dequantize(net.clip(net.quantize("x", q), lo, hi)))


# -- QLinearAdd over every input pair --------------------------------------------

def add_model(qa, qb, qy):
    from onnx import TensorProto, helper, numpy_helper
    elem = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}[qa.dtype]
    consts = []
    for name, q in (("a", qa), ("b", qb), ("y", qy)):
        consts += [numpy_helper.from_array(np.float32(q.scale), f"{name}_s"),
                   numpy_helper.from_array(np.array(q.zero_point, q.dtype), f"{name}_z")]
    node = helper.make_node("QLinearAdd", ["A", "a_s", "a_z", "B", "b_s", "b_z", "y_s", "y_z"], ["Y"],
                            domain="com.microsoft")
    g = helper.make_graph([node], "add", [helper.make_tensor_value_info("A", elem, [65536]),
                                          helper.make_tensor_value_info("B", elem, [65536])],
                          [helper.make_tensor_value_info("Y", elem, [65536])], consts)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                               helper.make_opsetid("com.microsoft", 1)],
                             ir_version=8).SerializeToString()


def all_pairs(dtype):   # every input pair as two flat arrays (test_golden_requant's: two broadcastable columns)
    lo, hi = ir.DTYPE_RANGE[dtype]
    v = np.arange(lo, hi + 1)
    return np.repeat(v, 256).astype(dtype), np.tile(v, 256).astype(dtype)


@pytest.mark.parametrize("case", range(40))
def test_add_all_pairs(case):
    """ops.add == QLinearAdd for all 65536 input pairs."""
    rng = np.random.default_rng(1000 + case)
    dtype = ("uint8", "int8")[case % 2]
    qa, qb, qy = (qparams(rng, dtype, -8, 0) for _ in range(3))
    if case % 4 == 1:
        qb = ir.QParams(qa.scale, qb.zero_point, dtype)
    a, b = all_pairs(dtype)
    want = session(add_model(qa, qb, qy)).run(None, {"A": a, "B": b})[0]
    got = ops.add(a, qa, b, qb, qy, qy.qmin, qy.qmax)
    assert int(np.sum(got != want)) == 0


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_conv_large(dtype):
    """A layer-sized conv (262k outputs per case), with seeds where a single-rounding
    requantization (acc * s in float64, one rounding) would differ from onnxruntime
    (measured: 1 output for uint8, 3 for int8): the double rounding is really tested."""
    rng = np.random.default_rng(14 if dtype == "uint8" else 5)
    c, h, w, o = 64, 32, 32, 64
    qx = ir.QParams(0.02, 3 if dtype == "int8" else 128, dtype)
    wt = rng.integers(-127, 128, (o, c, 3, 3)).astype(np.int8)
    wsc = (2.0 ** rng.uniform(-9, -5, o)).astype(np.float32)
    qy = ir.QParams(qx.scale * float(wsc.mean()) * 5000 * 24 / 64, 5, dtype)
    net = Net((c, h, w))
    y = net.conv(net.quantize("x", qx), wt, np.zeros(o), wsc, rng.integers(-3000, 3000, o), qy,
                 (1, 1), (1, 1, 1, 1))
    x = (rng.normal(0, 50, (4, c, h, w)) * qx.scale).astype(np.float32)
    assert_exact(net, x, net.dequantize(y))
