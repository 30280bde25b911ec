"""Frontend, one operator at a time: hand-built ONNX models (QOperator and QDQ) -> IR -> golden
model, compared with onnxruntime on the same file (0 mismatching elements), plus the IR's view
of each node (shapes, attributes, quantization)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from hlsgen.errors import UserError
from hlsgen.frontend import load
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run
from testkit import assert_refused

DT = {"int8": (np.int8, -128, 127), "uint8": (np.uint8, 0, 255)}


class Net:
    """A tiny ONNX graph under construction: float input -> QuantizeLinear -> ... -> DequantizeLinear."""

    def __init__(self, shape, act="int8", scale=0.02, zp=None, batch="N"):
        self.shape, self.act, self.batch = tuple(shape), act, batch
        self.nodes, self.inits, self.k = [], [], 0
        self.rng = np.random.default_rng(len(shape) * 7 + sum(shape))
        self.xq = (scale, zp if zp is not None else (-5 if act == "int8" else 120))   # the input's quantization
        self.x = self.quantize("x", *self.xq)

    def name(self, base):
        self.k += 1
        return f"{base}{self.k}"

    def const(self, value, base="c"):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def scalar_q(self, scale, zp, dtype=None):
        return self.const(np.float32(scale), "s"), self.const(DT[dtype or self.act][0](zp), "z")

    def node(self, op, inputs, domain="", name=None, outputs=1, **attrs):
        outs = [self.name("t") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op) if name is None else name,
                                           domain=domain, **attrs))
        return outs[0] if outputs == 1 else outs

    def quantize(self, src, scale, zp, dtype=None):
        return self.node("QuantizeLinear", [src, *self.scalar_q(scale, zp, dtype)])

    def dequantize(self, src, scale, zp, dtype=None):
        return self.node("DequantizeLinear", [src, *self.scalar_q(scale, zp, dtype)])

    def weights(self, shape, dtype=np.int8):
        lo, hi = (-60, 61) if dtype == np.int8 else (70, 190)
        return self.rng.integers(lo, hi, shape).astype(dtype)

    def model(self, out, path, rank=4):
        inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [self.batch, *self.shape])
        outp = helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", *(f"d{i}" for i in range(1, rank))])
        self.nodes[-1].output[0] = out
        g = helper.make_graph(self.nodes, "test", [inp], [outp], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
                              ir_version=8)
        onnx.checker.check_model(m)
        onnx.save(m, str(path))
        return path


def q_act(act):
    """(scale, zero point) of a typical activation tensor."""
    return (0.03, 3) if act == "int8" else (0.03, 131)


def conv_out_scale(x_scale, w_scale, fan_in):
    """An output scale that spreads the conv's outputs over the int8 range (some saturate)."""
    return float(np.float32(x_scale * w_scale * 60 * np.sqrt(fan_in)))


def check(path, n=3, seed=0, lo=-3.0, hi=3.0):
    """Load PATH, run golden and onnxruntime on the same batch, require 0 mismatches; return the IR."""
    g = load(path)
    shape = g.tensor(g.inputs[0]).shape
    x = np.random.default_rng(seed).uniform(lo, hi, (n, *shape)).astype(np.float32)
    want = ort_run(path, x)
    got = run(g, x)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert int((a != b).sum()) == 0, f"{int((a != b).sum())} of {a.size} elements differ"
    return g


def ops_of(g):
    return [layer.op for layer in g.layers]


# -- QLinearConv (QOperator) ----------------------------------------------------

pad_modes = st.one_of(st.tuples(*[st.integers(0, 2)] * 4),
                      st.sampled_from(["SAME_UPPER", "SAME_LOWER", "VALID"]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cin=st.integers(1, 5), cout=st.integers(1, 6), h=st.integers(3, 9), w=st.integers(3, 9),
       k=st.sampled_from([1, 2, 3, 5]), stride=st.integers(1, 3), pads=pad_modes,
       grouping=st.sampled_from(["dense", "depthwise", "depthwise x2", "grouped"]),
       act=st.sampled_from(["int8", "uint8"]), per_channel=st.booleans(), bias=st.booleans())
def test_qlinear_conv(tmp_path, cin, cout, h, w, k, stride, pads, grouping, act, per_channel, bias):
    groups = {"dense": 1, "depthwise": cin, "depthwise x2": cin, "grouped": 2 if cin % 2 == 0 else 1}[grouping]
    cout = {"depthwise": cin, "depthwise x2": 2 * cin}.get(grouping, groups * -(-cout // groups))
    if isinstance(pads, tuple):
        pads = tuple(min(p, k - 1) for p in pads)
        if any(n + p0 + p1 < k for n, p0, p1 in ((h, pads[0], pads[2]), (w, pads[1], pads[3]))):
            pads = (k // 2,) * 4
    elif pads == "VALID" and k > min(h, w):
        pads = "SAME_UPPER"
    net = Net((cin, h, w), act)
    wq = net.weights((cout, cin // groups, k, k))
    ws = (np.linspace(0.004, 0.012, cout) if per_channel else np.full(1, 0.008)).astype(np.float32)
    xs, xz = net.xq
    ys = conv_out_scale(xs, 0.008, cin // groups * k * k)
    yz = q_act(act)[1]
    ins = [net.x, *net.scalar_q(xs, xz), net.const(wq, "w"), net.const(ws if per_channel else ws[0], "ws"),
           net.const(np.int8(0), "wz"), *net.scalar_q(ys, yz)]
    if bias:
        ins.append(net.const(net.rng.integers(-3000, 3000, cout).astype(np.int32), "b"))
    attrs = {"auto_pad": pads} if isinstance(pads, str) else {"pads": list(pads)}
    y = net.node("QLinearConv", ins, name="conv", kernel_shape=[k, k], strides=[stride, stride],
                 group=groups, **attrs)
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    conv = g.layer("conv")
    assert conv.op == "conv" and conv.attrs["groups"] == groups and conv.attrs["kernel"] == (k, k)
    assert conv.params["w"].dtype == np.int8 and conv.params["w_scale"].shape == (cout,)
    assert g.tensor(conv.outputs[0]).q.dtype == act


# -- QDQ Conv: what onnxruntime fuses --------------------------------------------

def qdq_conv_net(act="int8", per_channel=True, relu=None, k=3, cin=4, cout=6, hw=8):
    """DQ(x) -> Conv(DQ(w), DQ(bias)) [-> Relu] -> Q -> DQ.

    relu: None; 'quantizer' (no Relu node, Q's zero point at qmin: the clamp is the ReLU);
    'explicit' (a Relu node, zero point at qmin: onnxruntime drops the Relu); 'float' (a Relu node
    with another zero point: onnxruntime runs the conv in float)."""
    net = Net((cin, hw, hw), act)
    xs, xz = net.xq
    xf = net.dequantize(net.x, xs, xz)
    ws = (np.linspace(0.004, 0.012, cout) if per_channel else np.full(cout, 0.008)).astype(np.float32)
    wq = net.weights((cout, cin, k, k))
    wf = net.node("DequantizeLinear", [net.const(wq, "w"), net.const(ws if per_channel else ws[:1].reshape(()), "ws"),
                                       net.const(np.zeros(cout, np.int8) if per_channel else np.int8(0), "wz")],
                  axis=0)
    bs = (np.float32(xs) * ws).astype(np.float32)
    bf = net.node("DequantizeLinear", [net.const(net.rng.integers(-2000, 2000, cout).astype(np.int32), "b"),
                                       net.const(bs if per_channel else bs[0], "bs"),
                                       net.const(np.zeros(cout, np.int32) if per_channel else np.int32(0), "bz")],
                  axis=0)
    y = net.node("Conv", [xf, wf, bf], name="conv", kernel_shape=[k, k], pads=[k // 2] * 4)
    ys = conv_out_scale(xs, 0.008, cin * k * k)
    yz = q_act(act)[1]
    if relu in ("explicit", "float"):
        y = net.node("Relu", [y], name="relu")
    if relu in ("quantizer", "explicit"):
        yz = DT[act][1]
    yq = net.quantize(y, ys, yz)
    net.dequantize(yq, ys, yz)
    return net


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("relu", [None, "quantizer", "explicit"])
def test_qdq_conv(tmp_path, act, per_channel, relu):
    g = check(qdq_conv_net(act, per_channel, relu).model("y", tmp_path / "m.onnx"))
    assert g.source_format == "qdq"
    assert ops_of(g) == ["quantize", "conv", "dequantize"]
    conv = g.layer("conv")
    assert conv.params["w_scale"].shape == (6,) and conv.params["b"].dtype == np.int32
    assert len(set(conv.params["w_scale"].tolist())) == (6 if per_channel else 1)
    if relu is not None:  # the quantizer's clamp at zero point == qmin is the ReLU
        assert g.tensor(conv.outputs[0]).q.zero_point == DT[act][1]


def test_qdq_conv_with_a_relu_onnxruntime_runs_in_float_is_rejected(tmp_path):
    path = qdq_conv_net("int8", relu="float").model("y", tmp_path / "m.onnx")
    with pytest.raises(UserError, match=r"node 'conv' \(Conv\) computes in float"):
        load(path)


# -- fully connected --------------------------------------------------------------

def flat_input(net):
    return (net.node("Flatten", [net.x], axis=1), *net.xq)


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("form", ["QLinearMatMul", "QGemm", "QGemm-transB", "QDQ-Gemm", "QDQ-MatMul"])
def test_fully_connected(tmp_path, act, form):
    net = Net((3, 2, 2), act)
    v, xs, xz = flat_input(net)
    w = net.weights((12, 7))                     # (K, M)
    ws = np.linspace(0.005, 0.01, 7).astype(np.float32)
    ys, yz = conv_out_scale(xs, 0.008, 12), q_act(act)[1]
    b = net.rng.integers(-500, 500, 7).astype(np.int32)
    if form == "QLinearMatMul":
        y = net.node("QLinearMatMul", [v, *net.scalar_q(xs, xz), net.const(w), net.const(ws),
                                       net.const(np.zeros(7, np.int8)), *net.scalar_q(ys, yz)], name="fc")
    elif form.startswith("QGemm"):
        t = form.endswith("transB")
        y = net.node("QGemm", [v, *net.scalar_q(xs, xz), net.const(w.T.copy() if t else w), net.const(ws),
                               net.const(np.zeros(7, np.int8)), net.const(b), *net.scalar_q(ys, yz)],
                     domain="com.microsoft", name="fc", transB=int(t))
    else:
        vf = net.dequantize(v, xs, xz)
        wf = net.node("DequantizeLinear", [net.const(w), net.const(ws), net.const(np.zeros(7, np.int8))], axis=1)
        if form == "QDQ-Gemm":
            bf = net.node("DequantizeLinear", [net.const(b), net.const((np.float32(xs) * ws).astype(np.float32)),
                                               net.const(np.zeros(7, np.int32))], axis=0)
            yf = net.node("Gemm", [vf, wf, bf], name="fc")
        else:
            yf = net.node("MatMul", [vf, wf], name="fc")
        y = net.quantize(yf, ys, yz)
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx", rank=2))
    fc = g.layer("fc")
    assert fc.op == "gemm" and fc.params["w"].shape == (7, 12)
    np.testing.assert_array_equal(fc.params["w"], w.T)
    np.testing.assert_array_equal(fc.params["w_scale"], ws)
    assert ops_of(g) == ["quantize", "flatten", "gemm", "dequantize"]


# -- add, pools, concat ---------------------------------------------------------------

@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("qdq", [False, True])
def test_add(tmp_path, act, qdq):
    net = Net((3, 5, 5), act)
    xs, xz = net.xq
    other = net.node("MaxPool", [net.x], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    ys, yz = 0.035, q_act(act)[1]
    if qdq:
        s = net.node("Add", [net.dequantize(net.x, xs, xz), net.dequantize(other, xs, xz)], name="add")
        y = net.quantize(s, ys, yz)
    else:
        y = net.node("QLinearAdd", [net.x, *net.scalar_q(xs, xz), other, *net.scalar_q(xs, xz),
                                    *net.scalar_q(ys, yz)], domain="com.microsoft", name="add")
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert g.layer("add").op == "add" and len(g.layer("add").inputs) == 2


@pytest.mark.parametrize("qdq", [False, True])
@pytest.mark.parametrize("k,stride,pads,include", [(2, 2, (0, 0, 0, 0), 0), (3, 1, (1, 1, 1, 1), 1),
                                                    (3, 2, (1, 0, 1, 0), 0), (3, 2, "SAME_UPPER", 1),
                                                    (2, 2, "ceil_mode", 0)])
def test_average_pool(tmp_path, qdq, k, stride, pads, include):
    act = "uint8" if include else "int8"
    net = Net((3, 7, 7), act)
    xs, xz = net.xq
    ys, yz = 0.017, q_act(act)[1]
    modes = {"SAME_UPPER": {"auto_pad": "SAME_UPPER"}, "ceil_mode": {"ceil_mode": 1}}
    attrs = dict(kernel_shape=[k, k], strides=[stride, stride], count_include_pad=include,
                 **(modes[pads] if isinstance(pads, str) else {"pads": list(pads)}))
    if qdq:
        y = net.quantize(net.node("AveragePool", [net.dequantize(net.x, xs, xz)], name="pool", **attrs), ys, yz)
    else:
        y = net.node("QLinearAveragePool", [net.x, *net.scalar_q(xs, xz), *net.scalar_q(ys, yz)],
                     domain="com.microsoft", name="pool", **attrs)
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    pool = g.layer("pool")
    assert pool.op == "avgpool" and pool.attrs["count_include_pad"] == include
    if pads in modes:    # 7x7 -> 4x4, padded at the end (ceil_mode: the last window is cut short)
        assert pool.attrs["pads"] == {"SAME_UPPER": (1, 1, 1, 1), "ceil_mode": (0, 0, 1, 1)}[pads]
        assert g.tensor(pool.outputs[0]).shape == (3, 4, 4)


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("qdq", [False, True])
def test_global_average_pool(tmp_path, act, qdq):
    net = Net((4, 6, 5), act)
    xs, xz = net.xq
    ys, yz = 0.011, q_act(act)[1]
    if qdq:
        y = net.quantize(net.node("GlobalAveragePool", [net.dequantize(net.x, xs, xz)], name="gap"), ys, yz)
    else:
        y = net.node("QLinearGlobalAveragePool", [net.x, *net.scalar_q(xs, xz), *net.scalar_q(ys, yz)],
                     domain="com.microsoft", name="gap")
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert g.layer("gap").op == "gavgpool" and g.tensor(g.layer("gap").outputs[0]).shape == (4, 1, 1)


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("qdq", [False, True])
def test_concat(tmp_path, act, qdq):
    net = Net((2, 5, 5), act)
    xs, xz = net.xq
    a = net.node("MaxPool", [net.x], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    # a second branch with another quantization: a 1x1 depthwise QLinearConv
    bs, bz = 0.045, (10 if act == "int8" else 100)
    b = net.node("QLinearConv", [net.x, *net.scalar_q(xs, xz), net.const(np.full((2, 1, 1, 1), 50, np.int8)),
                                 net.const(np.float32(0.01)), net.const(np.int8(0)), *net.scalar_q(bs, bz)],
                 group=2)
    ys, yz = 0.03, q_act(act)[1]
    if qdq:
        cat = net.node("Concat", [net.dequantize(net.x, xs, xz), net.dequantize(a, xs, xz),
                                  net.dequantize(b, bs, bz)], name="cat", axis=1)
        y = net.quantize(cat, ys, yz)
    else:
        y = net.node("QLinearConcat", [*net.scalar_q(ys, yz), net.x, *net.scalar_q(xs, xz), a,
                                       *net.scalar_q(xs, xz), b, *net.scalar_q(bs, bz)],
                     domain="com.microsoft", name="cat", axis=-3)
    net.dequantize(y, ys, yz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    cat = g.layer("cat")
    assert cat.op == "concat" and cat.attrs["axis"] == 0 and g.tensor(cat.outputs[0]).shape == (6, 5, 5)


# -- ops on quantized tensors ------------------------------------------------------------

@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("qdq", [False, True])
@pytest.mark.parametrize("attrs,out_hw", [({"kernel_shape": [2, 2], "strides": [2, 2]}, (3, 4)),
                                          ({"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, (4, 4)),
                                          ({"kernel_shape": [3, 2], "auto_pad": "SAME_LOWER"}, (7, 8)),
                                          ({"kernel_shape": [2, 3], "strides": [2, 2], "ceil_mode": 1}, (4, 4))])
def test_max_pool(tmp_path, act, qdq, attrs, out_hw):
    net = Net((3, 7, 8), act)
    xs, xz = net.xq
    if qdq:
        y = net.quantize(net.node("MaxPool", [net.dequantize(net.x, xs, xz)], name="pool", **attrs), xs, xz)
    else:
        y = net.node("MaxPool", [net.x], name="pool", **attrs)
    net.dequantize(y, xs, xz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert g.layer("pool").op == "maxpool" and g.tensor(g.layer("pool").outputs[0]).shape == (3, *out_hw)


@pytest.mark.parametrize("form", [("Flatten", None), ("Reshape", [0, -1]), ("Reshape", [-1, 48]),
                                  ("Constant", [0, 48])])
def test_flatten_and_reshape(tmp_path, form):
    net = Net((3, 4, 4))
    op, shape = form
    if op == "Flatten":
        y = net.node("Flatten", [net.x], name="flat")
    elif op == "Reshape":
        y = net.node("Reshape", [net.x, net.const(np.array(shape, np.int64))], name="flat")
    else:   # the target shape from a Constant node, as some exporters write it
        target = net.node("Constant", [], value=numpy_helper.from_array(np.array(shape, np.int64)))
        y = net.node("Reshape", [net.x, target], name="flat")
    net.dequantize(y, 0.02, -5)
    g = check(net.model("y", tmp_path / "m.onnx", rank=2))
    assert g.layer("flat").op == "flatten" and g.tensor(g.layer("flat").outputs[0]).shape == (48,)


@pytest.mark.parametrize("op,act,bounds,expect", [("Relu", "int8", None, (0, 127)),
                                                  ("Clip", "int8", (-20, 40), (-20, 40)),
                                                  ("Clip", "uint8", (100, 250), (100, 250)),
                                                  ("Clip", "int8", (-20, None), (-20, 127))])
def test_relu_and_clip_on_quantized_tensors(tmp_path, op, act, bounds, expect):
    net = Net((2, 4, 4), act)
    xz = net.xq[1]
    ins = [net.x]
    if bounds:
        ins += [net.const(DT[act][0](b)) for b in bounds if b is not None]
    y = net.node(op, ins, name="act")
    net.dequantize(y, 0.02, xz)
    g = check(net.model("y", tmp_path / "m.onnx"))
    layer = g.layer("act")
    assert layer.op == "clip" and (layer.attrs["act_min"], layer.attrs["act_max"]) == expect


# -- names --------------------------------------------------------------------------------

def test_unnamed_nodes_get_invented_names_that_collide_with_none(tmp_path):
    net = Net((2, 4, 4))
    a = net.node("MaxPool", [net.x], name="", kernel_shape=[2, 2])          # node 1: would be op_1
    b = net.node("MaxPool", [a], name="op_1", kernel_shape=[1, 1])
    net.dequantize(b, 0.02, -5)
    g = check(net.model("y", tmp_path / "m.onnx"))
    names = [layer.name for layer in g.layers]
    assert len(set(names)) == len(names) == 4
    assert names[2] == "op_1" and names[1].startswith("op_1_")


# -- what the frontend refuses (in-process; the CLI's side is in test_cli_errors.py) ------

def refuse(tmp_path, build, match):
    net = Net((2, 6, 6))
    out = build(net)
    net.dequantize(out, 0.02, -5)
    assert_refused(net.model("y", tmp_path / "m.onnx"), match)


def test_refuses_dilation(tmp_path):
    refuse(tmp_path, lambda n: n.node("MaxPool", [n.x], name="mp", kernel_shape=[2, 2], dilations=[2, 2]),
           r"node 'mp' \(MaxPool\): dilations")


def test_refuses_average_pool_ceil_mode_that_changes_the_output(tmp_path):
    refuse(tmp_path, lambda n: n.node("QLinearAveragePool", [n.x, *n.scalar_q(*n.xq), *n.scalar_q(0.02, 0)],
                                      domain="com.microsoft", name="ap", kernel_shape=[4, 4], strides=[4, 4],
                                      ceil_mode=1, count_include_pad=1),
           r"node 'ap' \(QLinearAveragePool\): ceil_mode gives output \(2, 2\) instead of \(1, 1\)")


def test_refuses_reshape_that_is_not_a_flatten(tmp_path):
    refuse(tmp_path, lambda n: n.node("Reshape", [n.x, n.const(np.array([0, 2, 36], np.int64))], name="r"),
           r"node 'r' \(Reshape\).*flatten")


def test_refuses_a_tensor_read_with_another_quantization(tmp_path):
    refuse(tmp_path, lambda n: n.node("QLinearGlobalAveragePool", [n.x, *n.scalar_q(0.05, -5), *n.scalar_q(0.02, 0)],
                                      domain="com.microsoft", name="gap"),
           r"node 'gap' \(QLinearGlobalAveragePool\): reads .* scale 0.05")


def test_refuses_unsupported_operator(tmp_path):
    refuse(tmp_path, lambda n: n.node("QLinearSoftmax", [n.x, *n.scalar_q(0.02, -5), *n.scalar_q(1 / 256, -128)],
                                      domain="com.microsoft", name="softmax", axis=1, opset=13),
           r"node 'softmax' \(QLinearSoftmax\): operator not supported")


def test_requantization_in_float_is_a_table(tmp_path):
    # DequantizeLinear -> QuantizeLinear with other parameters: onnxruntime runs it in float, a function
    # of one integer tensor (tests/test_frontend_tables.py has the other element-wise regions)
    net = Net((2, 6, 6))
    pooled = net.node("MaxPool", [net.x], kernel_shape=[2, 2])   # (right after the input, onnxruntime
    net.dequantize(net.quantize(net.dequantize(pooled, 0.02, -5), 0.03, 7), 0.03, 7)   # moves it there)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert ops_of(g) == ["quantize", "maxpool", "table", "dequantize"]


def test_refuses_undequantized_output(tmp_path):
    net = Net((2, 4, 4))
    net.node("MaxPool", [net.x], kernel_shape=[2, 2])
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4])
    net.nodes[-1].output[0] = "y"
    g = helper.make_graph(net.nodes, "t", [inp], [helper.make_tensor_value_info("y", TensorProto.INT8, ["N", 2, 2, 2])],
                          net.inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), tmp_path / "m.onnx")
    with pytest.raises(UserError, match="output 'y' is a quantized int8 tensor"):
        load(tmp_path / "m.onnx")


def test_static_batch_is_recorded(tmp_path):
    net = Net((2, 4, 4), batch=1)
    net.dequantize(net.node("MaxPool", [net.x], kernel_shape=[2, 2]), 0.02, -5)
    g = check(net.model("y", tmp_path / "m.onnx"), n=1)
    assert g.meta["batch"] == 1 and g.tensor("x").shape == (2, 4, 4)
