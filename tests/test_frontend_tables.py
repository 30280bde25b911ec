"""Element-wise regions -> ``table`` layers (hlsgen.frontend.tables): hand-built ONNX models in QDQ form
(DequantizeLinear -> float function -> QuantizeLinear) and QOperator form (QLinearSigmoid,
QLinearLeakyRelu, QLinearMul), int8 and uint8, each loaded through the frontend and run by the golden
model against onnxruntime on the same file (0 mismatching elements); random quantizations and op
parameters over all 256 input values; what stays refused; the hswish / dense / fire test networks."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_frontend_ops import DT, Net, check, conv_out_scale, ops_of
from testkit import assert_refused, hlsgen

from hlsgen.examples import testnets
from hlsgen.frontend import load, model_file, table_nodes
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run
from hlsgen.golden.run import run_tensors
from hlsgen.prune import analyze, compact_with
from hlsgen.prune.onnx_export import bias_foldable, export

MS = "com.microsoft"
C = 3
BN = {"scale": [1.5, -0.7, 0.3], "bias": [0.1, -0.2, 0.05], "mean": [0.2, -0.1, 0.0], "var": [0.5, 2.0, 1.0]}
# op -> the forms it is written in: 'float' (DQ -> float ops -> Q), 'qop' (QOperator nodes),
# 'qdq' (each float op between its own DQ and Q: onnxruntime fuses them into QOperator nodes)
FORMS = {"hardsigmoid": ["float"], "hardswish": ["float"], "sigmoid": ["float", "qop"], "tanh": ["float"],
         "leakyrelu": ["float", "qop"], "silu": ["float", "qdq", "qop"], "bn": ["float"],
         "requant": ["float"]}
CASES = [(op, form) for op, forms in FORMS.items() for form in forms]


def float_ops(net, op, d, p):
    """The float function of OP on the dequantized value D (P: op parameters)."""
    if op == "hardsigmoid":
        return net.node("HardSigmoid", [d], alpha=p.get("alpha", 0.2), beta=p.get("beta", 0.5))
    if op == "hardswish":
        return net.node("HardSwish", [d])
    if op in ("sigmoid", "tanh"):
        return net.node(op.capitalize(), [d])
    if op == "leakyrelu":
        return net.node("LeakyRelu", [d], alpha=p.get("alpha", 0.1))
    if op == "silu":
        return net.node("Mul", [d, net.node("Sigmoid", [d])])
    if op == "bn":
        v = {k: net.const(np.float32(p.get(k, BN[k]))) for k in BN}
        return net.node("BatchNormalization", [d, v["scale"], v["bias"], v["mean"], v["var"]])
    return d   # requant: DequantizeLinear -> QuantizeLinear


def region(net, op, form, x, xq, yq, p=None, act=None):
    """OP on the integer tensor X (quantization XQ) in FORM; its output quantized as YQ."""
    p = p or {}
    act = act or net.act
    if form == "float":
        return net.quantize(float_ops(net, op, net.dequantize(x, *xq, act), p), *yq, act)
    if form == "qdq":   # silu: x * q(sigmoid(x)), every op quantized on its own
        sq = (1 / 256, DT[act][1])
        s = net.quantize(net.node("Sigmoid", [net.dequantize(x, *xq, act)]), *sq, act)
        mul = net.node("Mul", [net.dequantize(x, *xq, act), net.dequantize(s, *sq, act)])
        return net.quantize(mul, *yq, act)
    ins = [x, *net.scalar_q(*xq, act)]
    if op == "leakyrelu":
        return net.node("QLinearLeakyRelu", [*ins, *net.scalar_q(*yq, act)], domain=MS, alpha=p.get("alpha", 0.1))
    sq = (1 / 256, DT[act][1]) if op == "silu" else yq
    s = net.node("QLinearSigmoid", [*ins, *net.scalar_q(*sq, act)], domain=MS)
    if op == "sigmoid":
        return s
    return net.node("QLinearMul", [*ins, s, *net.scalar_q(*sq, act), *net.scalar_q(*yq, act)], domain=MS)


def out_q(op, act):
    """A typical output quantization of OP."""
    lo = DT[act][1]
    if op in ("sigmoid", "hardsigmoid"):
        return 1 / 256, lo
    if op == "tanh":
        return 1 / 128, 0 if act == "int8" else 128
    return 0.03, (-20 if act == "int8" else 100)


def qconv(net, cout=C, k=3):
    """QLinearConv of the input, per-tensor int8 weights: (output, its (scale, zero point))."""
    cin = net.shape[0]
    xs, xz = net.xq
    ys = conv_out_scale(xs, 0.008, cin * k * k)
    yz = 3 if net.act == "int8" else 131
    ins = [net.x, *net.scalar_q(xs, xz), net.const(net.weights((cout, cin, k, k)), "w"),
           net.const(np.float32(0.008), "ws"), net.const(np.int8(0), "wz"), *net.scalar_q(ys, yz)]
    return net.node("QLinearConv", ins, name="conv", kernel_shape=[k, k], pads=[k // 2] * 4), (ys, yz)


def tables_of(g):
    return [layer for layer in g.layers if layer.op == "table"]


# -- each op in each form, after a conv ----------------------------------------------------

@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("op,form", CASES)
def test_region_after_a_conv_is_one_table(tmp_path, op, form, act):
    net = Net((2, 6, 6), act)
    y, yq_conv = qconv(net)
    yq = out_q(op, act)
    net.dequantize(region(net, op, form, y, yq_conv, yq), *yq)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert ops_of(g) == ["quantize", "conv", "table", "dequantize"]
    t = tables_of(g)[0]
    assert t.inputs == g.layer("conv").outputs
    assert t.params["table"].dtype == np.int32 and t.params["table"].shape == ((C, 256) if op == "bn" else (1, 256))
    q = g.tensor(t.outputs[0]).q
    assert (q.scale, q.zero_point, q.dtype) == (float(np.float32(yq[0])), yq[1], act)
    lo, hi = DT[act][1:]
    assert lo <= t.params["table"].min() and t.params["table"].max() <= hi
    src = {"hardsigmoid": "HardSigmoid", "hardswish": "HardSwish", "sigmoid": "Sigmoid", "tanh": "Tanh",
           "leakyrelu": "LeakyRelu", "silu": "Sigmoid+Mul", "bn": "BatchNormalization",
           "requant": "DequantizeLinear+QuantizeLinear"}[op]
    if form == "qop":
        src = "+".join("QLinear" + s for s in src.split("+"))
    assert t.attrs["source"] == src


def test_chained_regions_merge_and_a_value_also_read_outside_splits_them(tmp_path):
    """sigmoid -> tanh is one table; when the sigmoid's output also feeds a max pool, two tables."""
    for shared in (False, True):
        net = Net((C, 6, 6))
        y, q = qconv(net)
        s = region(net, "sigmoid", "float", y, q, out_q("sigmoid", "int8"))
        t = region(net, "tanh", "float", s, out_q("sigmoid", "int8"), out_q("tanh", "int8"))
        if shared:
            pooled = net.node("MaxPool", [s], kernel_shape=[1, 1])
            both = net.node("QLinearConcat", [*net.scalar_q(*out_q("tanh", "int8")), t,
                                              *net.scalar_q(*out_q("tanh", "int8")), pooled,
                                              *net.scalar_q(*out_q("sigmoid", "int8"))], domain=MS, axis=1)
            net.dequantize(both, *out_q("tanh", "int8"))
        else:
            net.dequantize(t, *out_q("tanh", "int8"))
        g = check(net.model("y", tmp_path / f"m{shared}.onnx"))
        assert [t.attrs["source"] for t in tables_of(g)] == (["Sigmoid", "Tanh"] if shared else ["Sigmoid+Tanh"])


def test_vector_input_and_per_channel_constants(tmp_path):
    """A region on a flattened (N, C) tensor, with a per-channel Mul and Add: one row per channel."""
    net = Net((4, 1, 1))
    flat = net.node("Flatten", [net.x], axis=1)
    d = net.dequantize(flat, *net.xq)
    v = net.node("Add", [net.node("Mul", [d, net.const(np.float32([[1.0, -2.0, 0.5, 3.0]]))]),
                         net.const(np.float32([0.1]))])
    yq = (0.05, 7)
    net.dequantize(net.quantize(net.node("Tanh", [v]), *yq), *yq)
    g = check(net.model("y", tmp_path / "m.onnx", rank=2))
    assert ops_of(g) == ["quantize", "flatten", "table", "dequantize"]
    assert tables_of(g)[0].params["table"].shape == (4, 256)


# -- random quantizations and parameters: every input value ------------------------------

def all_values_model(tmp_path, op, form, act, xq, yq, p):
    """Q(input) -> MaxPool 1x1 -> region -> DQ on a (C, 1, 256) input that quantizes to every value."""
    net = Net((C, 1, 256), act, scale=xq[0], zp=xq[1])
    pooled = net.node("MaxPool", [net.x], kernel_shape=[1, 1])
    net.dequantize(region(net, op, form, pooled, xq, yq, p), *yq)
    path = net.model("y", tmp_path / "m.onnx")
    lo, hi = DT[act][1:]
    v = np.arange(lo, hi + 1, dtype=np.float32)
    x = np.broadcast_to((v - np.float32(xq[1])) * np.float32(xq[0]), (1, C, 1, 256)).astype(np.float32)
    return path, x


scales = st.floats(1e-3, 0.5).map(lambda s: float(np.float32(s)))


@st.composite
def quantization(draw, op):
    act = draw(st.sampled_from(["int8", "uint8"]))
    lo, hi = DT[act][1:]
    xq = (draw(scales), draw(st.integers(lo, hi)))
    yq = (draw(scales), draw(st.integers(lo, hi)))
    p = {}
    if op == "hardsigmoid":
        p = {"alpha": draw(st.floats(0.01, 1.0)), "beta": draw(st.floats(-1.0, 1.5))}
    elif op == "leakyrelu":
        p = {"alpha": draw(st.floats(0.0, 1.0))}
    elif op == "bn":
        f = st.lists(st.floats(-2.0, 2.0), min_size=C, max_size=C)
        p = {"scale": draw(f), "bias": draw(f), "mean": draw(f),
             "var": draw(st.lists(st.floats(0.01, 4.0), min_size=C, max_size=C))}
    return draw(st.sampled_from(FORMS[op])), act, xq, yq, p


@pytest.mark.parametrize("op", sorted(FORMS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_input_value_matches_onnxruntime(tmp_path_factory, op, data):
    form, act, xq, yq, p = data.draw(quantization(op))
    assume(op != "requant" or xq != yq)       # the same quantization is no function: no table
    path, x = all_values_model(tmp_path_factory.mktemp("t"), op, form, act, xq, yq, p)
    g = load(path)
    assert "table" in ops_of(g)
    values = run_tensors(g, x)
    src = tables_of(g)[0].inputs[0]
    assert len(np.unique(values[src])) == 256          # every input byte goes through the table
    got, want = values[g.outputs[0]], ort_run(path, x)[0]
    assert int((got != want).sum()) == 0, f"{int((got != want).sum())} of {got.size} differ"


# -- what stays refused ----------------------------------------------------------------------

def refused(tmp_path, net, out, match):
    net.dequantize(out, 0.02, -5)
    assert_refused(net.model("y", tmp_path / "m.onnx"), match)


def test_refuses_a_float_softmax(tmp_path):
    net = Net((C, 4, 4))
    d = net.dequantize(net.x, *net.xq)
    refused(tmp_path, net, net.quantize(net.node("Softmax", [d], name="sm", axis=1), 0.02, -5),
            r"node 'sm' \(Softmax\): operator not supported")


def test_refuses_a_float_add_of_two_maps(tmp_path):
    """Two different maps added in float (onnxruntime leaves the Add unfused: a Sigmoid reads it)."""
    net = Net((C, 4, 4))
    a, q = qconv(net)
    b = net.node("MaxPool", [net.x], kernel_shape=[1, 1])
    s = net.node("Add", [net.dequantize(a, *q), net.dequantize(b, *net.xq)], name="add")
    refused(tmp_path, net, net.quantize(net.node("Sigmoid", [s]), 0.02, -5),
            r"node 'add' \(Add\) computes in float")


def test_refuses_a_constant_that_varies_across_positions(tmp_path):
    net = Net((C, 4, 4))
    d = net.dequantize(net.x, *net.xq)
    m = net.node("Mul", [d, net.const(np.linspace(0.5, 2, 16, dtype=np.float32).reshape(1, 1, 4, 4))], name="mul")
    refused(tmp_path, net, net.quantize(net.node("Tanh", [m]), 0.02, -5),
            r"node 'mul' \(Mul\): operand .* varies along more than the channel axis")


def test_product_of_two_maps_keeps_its_sigmoid_table_but_is_refused(tmp_path):
    """QLinearMul of a map by another computed map of the same shape is not element-wise in one tensor,
    and the engine multiplies a map only by a per-channel vector (squeeze-and-excitation:
    tests/test_plan_families.py)."""
    net = Net((C, 4, 4))
    y, q = qconv(net)
    gate = net.node("QLinearSigmoid", [y, *net.scalar_q(*q), *net.scalar_q(1 / 256, -128)], domain=MS, name="gate")
    prod = net.node("QLinearMul", [net.x, *net.scalar_q(*net.xq), gate, *net.scalar_q(1 / 256, -128),
                                   *net.scalar_q(0.02, -5)], domain=MS, name="excite")
    refused(tmp_path, net, prod, r"node 'excite' \(QLinearMul\): multiplies per-sample shapes \(3, 4, 4\) and "
                                 r"\(3, 4, 4\); hlsgen takes a feature map times a per-channel vector")


# -- test networks -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,sources", [("hswish", ["HardSwish", "Sigmoid", "Sigmoid+Mul"]),
                                          ("dense", ["BatchNormalization"] * 2), ("fire", [])])
@pytest.mark.parametrize("fmt", ["qdq", "qop"])
@pytest.mark.parametrize("act_dtype", ["int8", "uint8"])
def test_network_loads_and_matches_onnxruntime(testnet, tmp_path, kind, sources, fmt, act_dtype):
    path = testnet(kind, out=tmp_path / "m.onnx", fmt=fmt, act_dtype=act_dtype, per_channel=kind == "dense")
    g = load(path)
    x = testnets.random_input(path, n=4)
    got, want = run(g, x)[0], ort_run(path, x)[0]
    assert got.shape == want.shape and int((got != want).sum()) == 0
    shown = [t.attrs["source"].replace("QLinear", "") for t in tables_of(g)]
    assert shown == sources
    if kind == "dense":   # per-channel BatchNorm: one row per channel
        assert [t.params["table"].shape[0] for t in tables_of(g)] == [8, 16]
    if kind in ("dense", "fire"):
        assert "concat" in ops_of(g)


# -- pruning through tables ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["hswish", "dense"])
@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_pruned_channels_leave_through_tables_exactly(testnet, tmp_path, kind, fmt):
    """Dead conv channels are constants a table maps (row c at the constant's byte); removed, they leave a
    per-channel table's rows and the exported model's per-channel constants (BatchNorm), exactly."""
    path = testnet(kind, out=tmp_path / "m.onnx", fmt=fmt, prune=0.5, per_channel=fmt == "qdq")
    g, model = load(path), onnx.load(str(path))
    a = analyze(g, foldable=bias_foldable(model))
    g2, report = compact_with(g, a)
    assert report["totals"]["channels_removed"] > 0
    x = testnets.random_input(path, n=3)
    want = ort_run(path, x)[0]
    assert np.array_equal(run(g2, x)[0], want)
    for before, after in zip(tables_of(g), tables_of(g2)):
        rows = before.params["table"]
        if len(rows) > 1:
            assert np.array_equal(after.params["table"], rows[a.keep[before.outputs[0]]])
            assert len(after.params["table"]) < len(rows)
    onnx.save(export(model, g, a), tmp_path / "s.onnx")
    assert np.array_equal(ort_run(tmp_path / "s.onnx", x)[0], want)


# -- inspect: which operators run ----------------------------------------------------------------

def test_inspect_counts_an_op_as_run_only_where_a_table_takes_it(testnet, tmp_path):
    """Squeeze-and-excitation in QDQ form: its Sigmoid is a table, its Mul of two maps is not; inspect lists
    Sigmoid as run and Mul as not, then the one-line error naming the Mul."""
    net = Net((C, 4, 4))
    y, q = qconv(net)
    sq = (1 / 256, -128)
    gate = net.quantize(net.node("Sigmoid", [net.dequantize(y, *q)], name="gate"), *sq)
    prod = net.node("Mul", [net.dequantize(net.x, *net.xq), net.dequantize(gate, *sq)], name="excite")
    net.dequantize(net.quantize(prod, 0.02, -5), 0.02, -5)
    path = net.model("y", tmp_path / "se.onnx")
    ops = {o["op"]: o["runs"] for o in model_file.operators(onnx.load(str(path)), table_nodes(path))}
    assert ops["Sigmoid"] and not ops["Mul"] and ops["QLinearConv"]
    p = hlsgen("inspect", path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "'excite' (Mul)" in p.stderr, p.stderr
    listed = {line.split()[0]: line.split()[2] for line in p.stdout.splitlines()[1:]}
    assert listed["Sigmoid"] == "runs" and listed["Mul"] == "NOT", p.stdout
    hswish = testnet("hswish", out=tmp_path / "h.onnx", fmt="qdq")
    ops = model_file.operators(onnx.load(str(hswish)), table_nodes(hswish))
    assert all(o["runs"] for o in ops) and {"HardSwish", "Sigmoid", "Mul"} <= {o["op"] for o in ops}


@pytest.mark.parametrize("kind,sources", [("hswish", 3), ("dense", 2)])
def test_float_model_quantized_on_the_way_in_keeps_its_functions_as_tables(testnet, tmp_path, kind, sources):
    path = testnet(kind, out=tmp_path / "f.onnx", fmt="float")
    g = load(path, calibrate="random")
    assert len(tables_of(g)) == sources and g.source_format == "float"


def test_qlinear_add_of_a_constant_is_a_table_and_of_two_maps_stays_an_add(tmp_path):
    net = Net((C, 4, 4))
    y, q = qconv(net)
    bias = net.const(np.array([10, -20, 30], np.int8).reshape(1, C, 1, 1))
    shifted = net.node("QLinearAdd", [y, *net.scalar_q(*q), bias, *net.scalar_q(0.05, 0), *net.scalar_q(*q)],
                       domain=MS, name="shift")
    twice = net.node("QLinearAdd", [shifted, *net.scalar_q(*q), shifted, *net.scalar_q(*q), *net.scalar_q(*q)],
                     domain=MS, name="twice")         # still a function of y: the same table
    both = net.node("QLinearAdd", [twice, *net.scalar_q(*q), net.x, *net.scalar_q(*net.xq), *net.scalar_q(*q)],
                    domain=MS, name="residual")      # (twice + y would still be a function of y)
    net.dequantize(both, *q)
    g = check(net.model("y", tmp_path / "m.onnx"))
    assert ops_of(g) == ["quantize", "conv", "table", "add", "dequantize"]
    assert g.layer("twice").params["table"].shape == (C, 256)
    assert g.layer("twice").attrs["source"] == "QLinearAdd"


def test_reduce_mean_is_refused_with_the_reason(tmp_path, capsys):
    """ReduceMean over H and W stays float in onnxruntime (no QLinear form, Eigen's summation order):
    one line naming the node and what to use instead, exit status 2, nothing written."""
    from hlsgen import cli
    net = Net((C, 4, 4))
    y, q = qconv(net)
    r = net.node("ReduceMean", [net.dequantize(y, *q)], name="mean", axes=[2, 3], keepdims=1)   # opset 17
    net.dequantize(net.quantize(r, 0.02, -5), 0.02, -5)
    path = net.model("y", tmp_path / "m.onnx")
    assert cli.main(["build", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "node 'mean' (ReduceMean)" in err and "AdaptiveAvgPool2d(1)" in err
    assert not (tmp_path / "out").exists()
