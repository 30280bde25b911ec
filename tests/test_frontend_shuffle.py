"""Channel shuffles, Splits and Slices along the channels (ShuffleNetV2) -> ``gather`` layers.

Hand-built ONNX models (the shuffle pattern; Split with sizes as an input, as an attribute, opset 18's
num_outputs, equal parts; Slice; a Slice onnxruntime runs in float between DequantizeLinear and
QuantizeLinear) and the ``shuffle`` test network in QDQ and QOperator form, int8 and uint8: golden ==
onnxruntime with 0 mismatching elements; what stays refused, in one line naming the node. Pruning through
gathers: compaction exact, the written (simplified) model's Split sizes, Slice bounds and shuffle Reshapes
follow the channels left, and what they cannot express is one line naming the node. The planner
(``hlsgen.plan.gather``): no gather is left in a plan (folded into convs, pushed behind channel-wise
layers, or a selection conv), the tiled golden equal to the golden model for several DSP budgets."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper
from test_frontend_ops import Net, check, conv_out_scale, ops_of
from testkit import assert_refused

from hlsgen import ir
from hlsgen.cli import main as cli
from hlsgen.errors import UserError
from hlsgen.examples import testnets
from hlsgen.examples.quantize import write_model
from hlsgen.frontend import load
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run
from hlsgen.plan import make_plan, tiled
from hlsgen.plan.gather import without_gathers
from hlsgen.prune import analyze, compact, compact_with
from hlsgen.prune.onnx_export import bias_foldable, export

MS = "com.microsoft"
BIG = np.iinfo(np.int64).max


def save(net, out, path, opset=17):
    """NET's graph with output OUT as a model of the given default-domain OPSET."""
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [net.batch, *net.shape])
    net.nodes[-1].output[0] = "y"
    outp = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "c", "h", "w"])
    g = helper.make_graph(net.nodes, "test", [inp], [outp], net.inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(MS, 1)],
                          ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return path


def concat(net, parts):
    """QLinearConcat of PARTS along the channels, all in the input's quantization."""
    ins = [*net.scalar_q(*net.xq)]
    for p in parts:
        ins += [p, *net.scalar_q(*net.xq)]
    return net.node("QLinearConcat", ins, domain=MS, axis=1)


def shuffle(net, x, g, c, hw, first=-1):
    r = net.node("Reshape", [x, net.const(np.array([first, g, c // g, *hw], np.int64))])
    t = net.node("Transpose", [r], name="shuffle", perm=[0, 2, 1, 3, 4])
    return net.node("Reshape", [t, net.const(np.array([first, c, *hw], np.int64))])


def gathers(g):
    return [layer for layer in g.layers if layer.op == "gather"]


# -- channel shuffle ---------------------------------------------------------------------------

@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("groups,first", [(2, -1), (3, 0), (6, -1)])
def test_channel_shuffle_is_one_gather(tmp_path, act, groups, first):
    net = Net((6, 3, 4), act)
    net.dequantize(shuffle(net, net.x, groups, 6, (3, 4), first), *net.xq)
    g = check(save(net, "y", tmp_path / "m.onnx"))
    assert ops_of(g) == ["quantize", "gather", "dequantize"]
    layer = gathers(g)[0]
    assert layer.name == "shuffle"
    assert layer.attrs["index"] == tuple(np.arange(6).reshape(groups, 6 // groups).T.ravel())
    assert g.tensor(layer.outputs[0]).q == g.tensor(layer.inputs[0]).q


def test_shuffle_of_a_conv_output_feeding_a_conv(tmp_path):
    from test_frontend_tables import qconv
    net = Net((3, 5, 5))
    y, yq = qconv(net, cout=4, k=1)
    s = shuffle(net, y, 2, 4, (5, 5))
    net.dequantize(s, *yq)
    g = check(save(net, "y", tmp_path / "m.onnx"))
    assert gathers(g)[0].attrs["index"] == (0, 2, 1, 3)


# -- Split and Slice ---------------------------------------------------------------------------

SPLITS = {  # form -> (opset, node inputs / attributes, expected index ranges of the outputs)
    "sizes input": (13, {"split": [2, 5, 1]}, [(0, 2), (2, 7), (7, 8)]),
    "sizes attribute": (11, {"attr": [3, 5]}, [(0, 3), (3, 8)]),
    "num_outputs": (18, {"num_outputs": 3}, [(0, 3), (3, 6), (6, 8)]),
    "equal parts": (13, {"outputs": 4}, [(0, 2), (2, 4), (4, 6), (6, 8)]),
}


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("form", sorted(SPLITS))
def test_split_outputs_are_gathers_of_ranges(tmp_path, form, act):
    opset, p, ranges = SPLITS[form]
    net = Net((8, 3, 3), act)
    ins, attrs = [net.x], {"axis": 1 if form != "equal parts" else -3}
    if "split" in p:
        ins.append(net.const(np.array(p["split"], np.int64)))
    if "attr" in p:
        attrs["split"] = p["attr"]
    if "num_outputs" in p:
        attrs["num_outputs"] = p["num_outputs"]
    outs = net.node("Split", ins, name="split", outputs=len(ranges), **attrs)
    net.dequantize(concat(net, outs[::-1]), *net.xq)      # the parts in reverse order
    g = check(save(net, "y", tmp_path / "m.onnx", opset))
    got = gathers(g)
    assert [layer.name for layer in got] == [f"split:{i}" for i in range(len(ranges))]
    assert [layer.attrs["index"] for layer in got] == [tuple(range(a, b)) for a, b in ranges]


@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("starts,ends,steps,index", [
    (2, 5, None, (2, 3, 4)), (-3, BIG, None, (5, 6, 7)), (0, 8, 3, (0, 3, 6)), (6, -BIG, -2, (6, 4, 2, 0))])
def test_slice_is_a_gather(tmp_path, act, starts, ends, steps, index):
    net = Net((8, 3, 3), act)
    ins = [net.x, net.const(np.array([starts], np.int64)), net.const(np.array([ends], np.int64)),
           net.const(np.array([1], np.int64))]
    if steps is not None:
        ins.append(net.const(np.array([steps], np.int64)))
    net.dequantize(net.node("Slice", ins, name="slice"), *net.xq)
    g = check(save(net, "y", tmp_path / "m.onnx"))
    assert ops_of(g) == ["quantize", "gather", "dequantize"] and gathers(g)[0].attrs["index"] == index


def test_slice_between_dequantize_and_quantize_is_a_gather_and_a_table(tmp_path):
    """QOperator quantizers leave a Slice whose output quantization differs in float: onnxruntime runs
    DequantizeLinear -> Slice -> QuantizeLinear; the frontend moves the Slice onto the integers and the
    requantization becomes a table. The other half keeps its quantization (no table)."""
    net = Net((6, 3, 3))
    d = net.dequantize(net.x, *net.xq)
    ins = lambda a, b: [d, net.const(np.array([a], np.int64)), net.const(np.array([b], np.int64)),  # noqa: E731
                        net.const(np.array([1], np.int64))]
    first = net.quantize(net.node("Slice", ins(0, 3), name="s0"), 0.03, 7)
    second = net.quantize(net.node("Slice", ins(3, 6), name="s1"), *net.xq)
    both = net.node("QLinearConcat", [*net.scalar_q(0.03, 7), first, *net.scalar_q(0.03, 7),
                                      second, *net.scalar_q(*net.xq)], domain=MS, axis=1)
    net.dequantize(both, 0.03, 7)
    g = check(save(net, "y", tmp_path / "m.onnx"))
    assert sorted(layer.name for layer in gathers(g)) == ["s0", "s1"]
    assert ops_of(g).count("table") == 1


# -- refused ------------------------------------------------------------------------------------

def refuse(tmp_path, build, match, opset=17):
    net = Net((4, 3, 3))
    net.dequantize(build(net), *net.xq)
    assert_refused(save(net, "y", tmp_path / "m.onnx", opset), match)


def test_refuses_split_along_another_axis(tmp_path):
    refuse(tmp_path, lambda n: n.node("Split", [n.x, n.const(np.array([1, 2], np.int64))], name="sp", outputs=2,
                                      axis=2)[0], r"node 'sp' \(Split\): splits along axis 2 .*channels \(axis 1\)")


def test_refuses_slice_along_another_axis(tmp_path):
    refuse(tmp_path, lambda n: n.node("Slice", [n.x, n.const(np.array([0], np.int64)), n.const(np.array([2], np.int64)),
                                                n.const(np.array([3], np.int64))], name="sl"),
           r"node 'sl' \(Slice\): slices along axis 3 ")


def test_refuses_slice_of_several_axes(tmp_path):
    refuse(tmp_path, lambda n: n.node("Slice", [n.x, n.const(np.array([0, 0], np.int64)),
                                                n.const(np.array([2, 2], np.int64))], name="sl"),
           r"node 'sl' \(Slice\): slices axes \[0, 1\]")


def test_refuses_a_transpose_that_is_not_a_shuffle(tmp_path):
    def build(n):
        r = n.node("Reshape", [n.x, n.const(np.array([-1, 2, 2, 3, 3], np.int64))])
        t = n.node("Transpose", [r], name="tr", perm=[0, 1, 2, 4, 3])
        return n.node("Reshape", [t, n.const(np.array([-1, 4, 3, 3], np.int64))])
    refuse(tmp_path, build, r"node '.*' \(Reshape\): reshapes per-sample \(4, 3, 3\) to \(-1, 2, 2, 3, 3\)")
    refuse(tmp_path, lambda n: n.node("Transpose", [n.x], name="tr", perm=[0, 1, 3, 2]),
           r"node 'tr' \(Transpose\): hlsgen takes Transpose only inside a channel shuffle")


def test_refuses_a_shuffle_that_moves_pixels(tmp_path):
    def build(n):
        r = n.node("Reshape", [n.x, n.const(np.array([-1, 2, 2, 9, 1], np.int64))], name="r1")
        t = n.node("Transpose", [r], perm=[0, 2, 1, 3, 4])
        return n.node("Reshape", [t, n.const(np.array([-1, 4, 3, 3], np.int64))])
    refuse(tmp_path, build, r"node 'r1' \(Reshape\): reshapes per-sample \(4, 3, 3\) to \(2, 2, 9, 1\)")


def test_refusal_exits_2_naming_the_node(tmp_path, capsys):
    net = Net((4, 3, 3))
    net.dequantize(net.node("Split", [net.x], name="sp", outputs=2, axis=0)[0], *net.xq)
    path = save(net, "y", tmp_path / "m.onnx")
    assert cli(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "node 'sp' (Split): splits along axis 0" in err


# -- the ShuffleNetV2 test network -----------------------------------------------------------------

@pytest.fixture(scope="module")
def shuffle_nets(tmp_path_factory):
    d = tmp_path_factory.mktemp("shuffle")
    return {(fmt, act): testnets.make("shuffle", d / f"{fmt}-{act}.onnx", fmt=fmt, act_dtype=act)
            for fmt in ("qop", "qdq") for act in ("int8", "uint8")}


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
@pytest.mark.parametrize("act", ["int8", "uint8"])
def test_shuffle_net_golden_equals_onnxruntime(shuffle_nets, fmt, act):
    path = shuffle_nets[fmt, act]
    g = load(path)
    assert [layer.attrs["index"] for layer in gathers(g)] == [
        tuple(range(4)), tuple(range(4, 8)), (0, 4, 1, 5, 2, 6, 3, 7),
        tuple(np.arange(16).reshape(2, 8).T.ravel())]
    x = testnets.random_input(path, n=4)
    for a, b in zip(run(g, x), ort_run(path, x)):
        assert a.shape == b.shape and int((a != b).sum()) == 0


class _TorchvisionUnit(testnets.ShuffleUnit):
    """torchvision's forward: x.chunk and x.size(); exported with a static batch, the shapes are Shape /
    Gather / arithmetic nodes onnxruntime folds, and the QOperator quantizer leaves the chunk's first half
    a float Slice between DequantizeLinear and QuantizeLinear."""

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        b, c, h, w = out.size()
        return out.view(b, 2, c // 2, h, w).transpose(1, 2).contiguous().view(b, -1, h, w)


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_torchvision_style_export_with_a_static_batch(tmp_path, fmt, monkeypatch):
    import warnings

    from hlsgen.examples.quantize import quantize
    monkeypatch.setattr(testnets, "ShuffleUnit", _TorchvisionUnit)
    net = testnets.Shuffle(3, 16, 8, 10).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, 16, 16),), str(tmp_path / "f.onnx"), opset_version=17,
                          dynamo=False, input_names=["input"], output_names=["logits"])
    assert {"Shape", "Gather", "Slice"} <= {n.op_type for n in onnx.load(str(tmp_path / "f.onnx")).graph.node}
    quantize(tmp_path / "f.onnx", tmp_path / "q.onnx", testnets.random_input((3, 16, 16), n=4), fmt)
    g = check(tmp_path / "q.onnx", n=1, lo=-1, hi=1)
    assert len(gathers(g)) == 4
    assert ops_of(g).count("table") == (1 if fmt == "qop" else 0)     # the float Slice's requantization


def test_inspect_lists_the_shuffle_ops_as_run(shuffle_nets, capsys):
    assert cli(["inspect", str(shuffle_nets["qdq", "int8"]), "--no-prune"]) == 0
    out = capsys.readouterr().out
    for op in ("Split", "Reshape", "Transpose"):
        line = next(line for line in out.splitlines() if line.strip().startswith(op + " "))
        assert line.rstrip().endswith("runs"), line


# -- pruning through gathers ------------------------------------------------------------------------

def even_shuffle_net():
    """The shuffle net with channels 0, 1 of both concat halves of unit 1 zeroed (the stem's filters and the
    branch's last 1x1 conv's; the shuffle takes them to unit 2's input channels 0..3, so unit 2's depthwise
    filters 0..3 too): the same positions leave both groups of the shuffle, which stays one."""
    net = testnets.build("shuffle")
    with torch.no_grad():
        for m, rows in ((net.stem, [0, 1]), (net.unit1.branch2[3], [0, 1]), (net.unit2.branch1[0], [0, 1, 2, 3])):
            m.weight[rows] = 0
            m.bias[rows] = 0
    return net


@pytest.fixture(scope="module")
def pruned_nets(tmp_path_factory):
    """{(form, fmt, act): model}: 'even' (even_shuffle_net) and 'l1' (testnets' L1 pruning of half the
    filters of every conv: unit 1's shuffle loses different channels from its two groups)."""
    d = tmp_path_factory.mktemp("shuffle-pruned")
    calib = testnets.random_input((3, 16, 16), n=8, seed=1000)
    out = {}
    for fmt in ("qop", "qdq"):
        for act in ("int8", "uint8"):
            out["even", fmt, act] = write_model(even_shuffle_net(), (3, 16, 16), d / f"even-{fmt}-{act}.onnx", calib,
                                                fmt, act_dtype=act)
            out["l1", fmt, act] = testnets.make("shuffle", d / f"l1-{fmt}-{act}.onnx", fmt=fmt, act_dtype=act,
                                                prune=0.5)
    return out


@pytest.mark.parametrize("form", ["even", "l1"])
@pytest.mark.parametrize("fmt", ["qop", "qdq"])
@pytest.mark.parametrize("act", ["int8", "uint8"])
def test_pruned_shuffle_net_compacts_exactly(pruned_nets, form, fmt, act):
    path = pruned_nets[form, fmt, act]
    g = load(path)
    g2, report = compact(g)
    assert report["totals"]["channels_removed"] == (8 if form == "even" else 22)
    if form == "even":
        assert [layer.attrs["index"] for layer in gathers(g2)] == [
            (0, 1), (2, 3, 4, 5), (0, 2, 1, 3), tuple(np.arange(16).reshape(2, 8).T.ravel())]
    x = testnets.random_input(path, n=3)
    for a, b in zip(run(g2, x), ort_run(path, x)):
        assert int((a != b).sum()) == 0


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
@pytest.mark.parametrize("act", ["int8", "uint8"])
def test_simplified_shuffle_net_keeps_its_split_and_shuffles(pruned_nets, tmp_path, fmt, act):
    """The written model's Split sizes and shuffle Reshapes follow the channels left; onnxruntime runs it to
    the same outputs; a shuffle pruned unevenly is one line naming its Transpose."""
    path = pruned_nets["even", fmt, act]
    model, g = onnx.load(str(path)), load(path)
    a = analyze(g, foldable=bias_foldable(model))
    onnx.save(export(model, g, a), str(tmp_path / "s.onnx"))
    small = load(tmp_path / "s.onnx")
    assert [layer.attrs["index"] for layer in gathers(small)] == [
        layer.attrs["index"] for layer in gathers(compact_with(g, a)[0])]
    x = testnets.random_input(path, n=3)
    assert all(np.array_equal(s, o) for s, o in zip(ort_run(tmp_path / "s.onnx", x), ort_run(path, x)))
    path = pruned_nets["l1", fmt, act]
    model, g = onnx.load(str(path)), load(path)
    with pytest.raises(UserError, match=r"^node '/unit1/Transpose': pruning removes different channels from the "
                                        r"2 groups of this channel shuffle") as e:
        export(model, g, analyze(g, foldable=bias_foldable(model)))
    assert "\n" not in str(e.value)


def zeroed_conv(net, x, xq, cout, dead, name):
    """A 1x1 QLinearConv of X with filters DEAD all zero (no bias: they output their zero point)."""
    cin = net.shape[0] if x == net.x else xq[2]
    w = net.weights((cout, cin, 1, 1))
    w[dead] = 0
    yq = (conv_out_scale(xq[0], 0.008, cin), 3 if net.act == "int8" else 131, cout)
    ins = [x, *net.scalar_q(*xq[:2]), net.const(w, "w"), net.const(np.float32(0.008), "ws"),
           net.const(np.int8(0), "wz"), *net.scalar_q(*yq[:2])]
    return net.node("QLinearConv", ins, name=name, kernel_shape=[1, 1]), yq


@pytest.mark.parametrize("form", sorted(SPLITS) + ["slice", "slice step 2"])
def test_simplified_split_and_slice(tmp_path, form):
    """Channels 1 and 6 of the tensor a Split / Slice reads are dead: the written model's split sizes
    (input, attribute, num_outputs and equal parts alike) or slice bounds follow; a Slice with step 2 is
    refused when pruning touches it."""
    net = Net((3, 4, 4))
    y, yq = zeroed_conv(net, net.x, (*net.xq, 3), 8, [1, 6], "c0")
    if form.startswith("slice"):
        step = 2 if form == "slice step 2" else 1
        parts = [net.node("Slice", [y, *(net.const(np.array([v], np.int64)) for v in (1, 8, 1, step))], name="sl")]
        opset, ranges = 17, [(1, 8, step)]
    else:
        opset, p, ranges = SPLITS[form]
        ins = [y] + ([net.const(np.array(p["split"], np.int64))] if "split" in p else [])
        attrs = {"axis": 1, **({"split": p["attr"]} if "attr" in p else {}),
                 **({"num_outputs": p["num_outputs"]} if "num_outputs" in p else {})}
        parts = net.node("Split", ins, name="sp", outputs=len(ranges), **attrs)
    heads = [zeroed_conv(net, t, (*yq[:2], len(range(*r))), 2, [], f"head{i}")
             for i, (t, r) in enumerate(zip(parts, ranges))]
    both = [*net.scalar_q(*heads[0][1][:2])]
    for t, q in heads:
        both += [t, *net.scalar_q(*q[:2])]
    net.dequantize(net.node("QLinearConcat", both, domain=MS, axis=1), *heads[0][1][:2])
    path = save(net, "y", tmp_path / "m.onnx", opset)
    model, g = onnx.load(str(path)), check(path)
    a = analyze(g, foldable=bias_foldable(model))
    if form == "slice step 2":
        with pytest.raises(UserError, match=r"^node 'sl': a Slice with step 2 cannot express"):
            export(model, g, a)
        return
    onnx.save(export(model, g, a), str(tmp_path / "s.onnx"))
    small = check(tmp_path / "s.onnx")
    keep = np.ones(8, bool)
    keep[[1, 6]] = False
    rank = np.cumsum(keep) - 1
    assert [layer.attrs["index"] for layer in gathers(small)] == [
        tuple(int(rank[i]) for i in range(*r) if keep[i]) for r in ranges]
    x = np.random.default_rng(0).uniform(-3, 3, (3, 3, 4, 4)).astype(np.float32)
    assert all(np.array_equal(s, o) for s, o in zip(ort_run(tmp_path / "s.onnx", x), ort_run(path, x)))


# -- the planner: gathers folded into convs, pushed behind channel-wise layers, or selection convs -----------

def ir_net(index, reader, act="int8", wdtype=np.int8, c=6, hw=5, seed=0):
    """An IR graph: quantize -> conv 3x3 (C channels, per-channel weight zero points) -> gather INDEX ->
    READER -> dequantize. READER: 'conv' (1x1), 'dwconv' (depthwise 3x3, then a 1x1 conv), 'table' (one
    row per channel, then a 1x1 conv), 'gavgpool-gemm' (global average pool, flatten, gemm), 'add' (the
    gather plus the conv's output: a selection conv), 'flatten-gather' (instead, a gather of the flattened
    conv output, dequantized: a selection gemm)."""
    rng = np.random.default_rng(seed)
    lo, hi = ir.DTYPE_RANGE[act]
    q = lambda s: ir.QParams(s, int(rng.integers(lo + 20, hi - 20)), act)  # noqa: E731
    tensors, layers = {"x": ir.Tensor("x", (c, hw, hw))}, []

    def add(name, op, ins, shape, qp, attrs=None, params=None):
        tensors[name] = ir.Tensor(name, tuple(shape), qp)
        layers.append(ir.Layer(name, op, ins, [name], attrs or {}, params or {}))
        return name

    def conv(name, src, cout, k=1, groups=1):
        cin = tensors[src].shape[0] // groups
        wlo, whi = (-60, 61) if wdtype == np.int8 else (80, 180)
        zp = np.zeros(cout, np.int32) if wdtype == np.int8 else rng.integers(120, 136, cout).astype(np.int32)
        params = {"w": rng.integers(wlo, whi, (cout, cin, k, k)).astype(wdtype), "w_zp": zp,
                  "w_scale": rng.uniform(0.005, 0.01, cout).astype(np.float32),
                  "b": rng.integers(-500, 500, cout).astype(np.int32)}
        yq = q(0.05)
        attrs = {"kernel": (k, k), "stride": (1, 1), "pads": (k // 2,) * 4, "dilation": (1, 1), "groups": groups,
                 "act_min": yq.qmin, "act_max": yq.qmax}
        return add(name, "conv", [src], (cout,) + tensors[src].shape[1:], yq, attrs, params)

    x = add("q", "quantize", ["x"], (c, hw, hw), q(0.02))
    t = conv("c0", x, c, 3)
    if reader != "flatten-gather":
        y = add("g", "gather", [t], (len(index), hw, hw), tensors[t].q, {"index": tuple(index)})
    if reader == "conv":
        out = conv("c1", y, 4)
    elif reader == "dwconv":
        out = conv("c1", conv("dw", y, len(index), 3, groups=len(index)), 4)
    elif reader == "table":
        table = rng.integers(lo, hi + 1, (len(index), 256)).astype(np.int32)
        out = conv("c1", add("t", "table", [y], tensors[y].shape, q(0.03), {"source": "test"}, {"table": table}), 4)
    elif reader == "gavgpool-gemm":
        flat = add("f", "flatten", [add("p", "gavgpool", [y], (len(index), 1, 1), q(0.04))], (len(index),),
                   None)
        tensors[flat] = ir.Tensor(flat, (len(index),), tensors["p"].q)
        gq = q(0.1)
        out = add("fc", "gemm", [flat], (3,), gq, {"act_min": gq.qmin, "act_max": gq.qmax},
                  {"w": rng.integers(-60, 61, (3, len(index))).astype(np.int8), "w_zp": np.zeros(3, np.int32),
                   "w_scale": np.full(3, 0.01, np.float32), "b": np.zeros(3, np.int32)})
    elif reader == "add":
        aq = q(0.06)
        out = add("a", "add", [y, t], tensors[y].shape, aq, {"act_min": aq.qmin, "act_max": aq.qmax})
    else:   # flatten-gather
        flat = add("f", "flatten", [t], (c * hw * hw,), tensors[t].q)
        out = add("g", "gather", [flat], (len(index),), tensors[t].q, {"index": tuple(index)})
    add("y", "dequantize", [out], tensors[out].shape, None)
    tensors["y"] = ir.Tensor("y", tensors[out].shape)
    return ir.Graph(tensors, layers, ["x"], ["y"], name="gathers")


def _x(graph, n=2, seed=1):
    return np.random.default_rng(seed).uniform(-3, 3, (n,) + graph.tensor("x").shape).astype(np.float32)


@pytest.mark.parametrize("wdtype", [np.int8, np.uint8])
@pytest.mark.parametrize("act", ["int8", "uint8"])
@pytest.mark.parametrize("reader,index,selections", [
    ("conv", (5, 0, 3), 0), ("conv", (1, 1, 4, 2), 0), ("conv", (2, 0, 1, 5, 3, 4), 0),
    ("dwconv", (2, 0, 1, 5, 3, 4), 0), ("table", (3, 4, 5, 0, 1, 2), 0), ("gavgpool-gemm", (1, 0, 3, 2, 5, 4), 0),
    ("dwconv", (0, 1, 2), 1), ("add", tuple(range(6))[::-1], 1), ("flatten-gather", (7, 0, 149, 3), 1)])
def test_gathers_leave_the_plan_exactly(reader, index, selections, act, wdtype):
    """Folded (a channel selected twice: columns summed), pushed behind a depthwise conv, a per-channel
    table or a global pool into the next conv / gemm, or a selection conv (a split read by a depthwise
    conv, an add, a vector): the rewritten graph's golden equals the original's, and so does the tiled
    golden of its plan for several DSP budgets."""
    g = ir_net(index, reader, act, wdtype)
    g2 = without_gathers(g)
    assert not [layer for layer in g2.layers if layer.op == "gather"]
    assert sum(bool(layer.attrs.get("selection")) for layer in g2.layers) == selections
    x = _x(g)
    want = run(g, x)
    assert all(np.array_equal(a, b) for a, b in zip(run(g2, x), want))
    for budget in (None, 24, 32):
        plan = make_plan(g, dsp_budget=budget)
        assert all(np.array_equal(a, b) for a, b in zip(tiled.run(plan, x), want))


def test_a_column_sum_beyond_int8_is_a_selection_conv():
    g = ir_net((1, 1, 4), "conv")
    g.layer("c1").params["w"][:, :2] = 100           # channel 1 twice: 200 in one column
    g2 = without_gathers(g)
    assert g2.layer("g").op == "conv" and g2.layer("g").attrs["selection"]
    assert all(np.array_equal(a, b) for a, b in zip(run(g2, _x(g)), run(g, _x(g))))


def test_composed_and_identity_gathers_vanish():
    """A gather of a gather is one; an identity (a shuffle and its inverse) goes altogether."""
    g = ir_net((2, 0, 1, 5, 3, 4), "conv")
    inner = g.layer("g")
    inv = tuple(int(i) for i in np.argsort(inner.attrs["index"]))
    g.tensors["g0"] = ir.Tensor("g0", g.tensor("g").shape, g.tensor("g").q)
    g.layers.insert(g.layers.index(inner) + 1, ir.Layer("g0", "gather", ["g"], ["g0"], {"index": inv}))
    g.layer("c1").inputs = ["g0"]
    g2 = without_gathers(g)
    assert [layer.op for layer in g2.layers] == ["quantize", "conv", "conv", "dequantize"]
    assert np.array_equal(g2.layer("c1").params["w"], g.layer("c1").params["w"])
    assert all(np.array_equal(a, b) for a, b in zip(run(g2, _x(g)), run(g, _x(g))))


@pytest.mark.parametrize("fmt,act", [("qdq", "int8"), ("qop", "uint8")])
@pytest.mark.parametrize("budget", [None, 24, 32])
def test_shuffle_net_plan(shuffle_nets, fmt, act, budget):
    """Every gather leaves the plan: unit 1's second half and both shuffles fold into the convs reading them
    (the one before unit 2's depthwise conv and the one before the global pool pushed behind them first);
    the first half, read by the concat, is the one selection conv. Tiled golden == golden."""
    path = shuffle_nets[fmt, act]
    g = load(path)
    plan = make_plan(g, dsp_budget=budget)
    layers = {r["name"]: r for r in plan.data.layers}
    assert not [r for r in plan.data.layers if r["op"] == "gather"]
    selections = [r["name"] for r in plan.data.layers if "channel selection" in r.get("note", "")]
    assert selections == [gathers(g)[0].name]
    assert layers[selections[0]]["macs"] == layers[selections[0]]["macs_live"] == 0
    folded = {r["name"] for r in plan.data.layers if "folded into its weights" in r.get("note", "")}
    assert len(folded) == 4 and any("Gemm" in name for name in folded)
    x = testnets.random_input(path, n=2)
    assert all(np.array_equal(a, b) for a, b in zip(tiled.run(plan, x), run(g, x)))


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_pruned_shuffle_net_plan(pruned_nets, fmt):
    path = pruned_nets["even", fmt, "int8"]
    g = load(path)
    x = testnets.random_input(path, n=2)
    want = ort_run(path, x)
    for budget in (None, 24, 32):
        plan = make_plan(g, dsp_budget=budget)
        assert plan.data.macs_live < plan.data.macs
        assert all(np.array_equal(a, b) for a, b in zip(tiled.run(plan, x), want))
