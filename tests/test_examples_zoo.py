"""The example zoo and `hlsgen example`: models build, prune exactly, lenet-digits is accurate after
quantization, and the golden model runs every example bit-exact with onnxruntime (issue 7)."""
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from hlsgen.cli import main as cli
from hlsgen.errors import UserError
from hlsgen.examples import zoo
from hlsgen.examples.quantize import pruned_count
from hlsgen.golden.reference import session as ort_session

ACCURACY_BAR = 0.90   # quantized lenet-digits on the held-out digits (measured: 0.96..0.98)
# (name, prune, format) of the examples checked bit-exact in the fast suite
FAST_CASES = [(name, prune, fmt) for name in ("lenet-digits", "resnet20-cifar")
              for prune in (0.0, 0.5) for fmt in ("qop", "qdq")] + [
              ("vgg16-cifar", 0.0, "qdq"), ("vgg16-cifar", 0.5, "qop")]


def golden_api():
    """(frontend.load, golden.run, reference.ort_run), or skip while those modules are not written yet."""
    try:
        from hlsgen.frontend import load
        from hlsgen.golden import run
        from hlsgen.golden.reference import ort_run
    except ImportError as e:
        pytest.skip(f"golden model / frontend not available yet ({e})")
    return load, run, ort_run


@pytest.mark.parametrize("prune", [0.0, 0.5, 0.75])
def test_lenet_digits_accuracy_after_quantization(example, prune):
    path = example("lenet-digits", prune)
    x, y = zoo.digits_split()
    assert len(x) == 450 and x.shape[1:] == (1, 8, 8) and set(np.unique(y)) == set(range(10))
    acc_q = float((ort_session(path).run(None, {"input": x})[0].argmax(1) == y).mean())
    acc_f = float(zoo.metadata(path)["hlsgen.accuracy_float"])
    print(f"lenet-digits prune={prune}: float {acc_f:.4f}, quantized {acc_q:.4f}")
    assert acc_q > ACCURACY_BAR and abs(acc_q - acc_f) < 0.03


@pytest.mark.parametrize("name,prune", [("lenet-digits", 0.5), ("resnet20-cifar", 0.5), ("vgg16-cifar", 0.5)])
def test_pruned_filters_are_exactly_zero(example, name, prune):
    m = onnx.load(str(example(name, prune, prune_style="per-layer")))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    convs = [n for n in m.graph.node if n.op_type == "QLinearConv"]
    assert convs
    for n in convs:
        w, b = init[n.input[3]], init[n.input[8]]
        dead = np.all(w.reshape(len(w), -1) == 0, axis=1)
        assert dead.sum() == pruned_count(len(w), prune), n.name
        assert np.all(b[dead] == 0), n.name
    gemm = [n for n in m.graph.node if n.op_type == "QGemm"][-1]
    assert not np.any(np.all(init[gemm.input[3]] == 0, axis=1))


def test_ops_are_in_the_frontend_list(example):
    """QOperator and QDQ graphs use only ops the frontend accepts (no float leftovers)."""
    allowed = {
        "qop": {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QGemm", "QLinearAdd", "MaxPool",
                "QLinearGlobalAveragePool", "QLinearAveragePool", "Flatten"},
        "qdq": {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm", "Add", "MaxPool", "GlobalAveragePool",
                "AveragePool", "Flatten"}}
    for name, prune, fmt in FAST_CASES:
        ops = {n.op_type for n in onnx.load(str(example(name, prune, fmt))).graph.node}
        assert ops <= allowed[fmt], (name, fmt, ops - allowed[fmt])


def test_random_nets_are_deterministic_and_depend_on_input(tmp_path, example):
    a = zoo.make_example("resnet20-cifar", prune=0.5, out=tmp_path / "a.onnx")
    assert a.read_bytes() == example("resnet20-cifar", 0.5).read_bytes()
    y = ort_session(a).run(None, {"input": zoo.random_input(a, n=2)})[0]
    assert y.shape == (2, 10) and not np.array_equal(y[0], y[1])


def test_shapes_of_the_big_nets_without_building_them():
    net, shape = zoo.random_net("resnet18"), zoo.RANDOM_NETS["resnet18"][1]
    convs = [m for m in net.modules() if isinstance(m, zoo.nn.Conv2d)]
    assert shape == (3, 224, 224) and len(convs) == 20  # 17 + 3 downsample convs
    assert not any(isinstance(m, zoo.nn.BatchNorm2d) for m in net.modules())


# -- golden == onnxruntime on every example (issue 7 must-show) ----------------------------------

def _bit_exact(path, x):
    load, run, ort_run = golden_api()
    got, want = run(load(path), x), ort_run(path, x)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert int(np.sum(g != w)) == 0, f"{path.name}: {int(np.sum(g != w))} of {w.size} elements differ"


@pytest.mark.parametrize("name,prune,fmt", FAST_CASES)
def test_golden_bit_exact_with_onnxruntime(example, name, prune, fmt):
    path = example(name, prune, fmt)
    x = zoo.digits_split()[0][:32] if name == "lenet-digits" else zoo.random_input(path, n=2)
    _bit_exact(path, x)


SLOW_CASES = [("vgg16-cifar", 0.0, "qop"), ("vgg16-cifar", 0.5, "qdq")] + [
    (name, prune, fmt) for name in ("resnet18", "resnet50") for prune, fmt in ((0.0, "qop"), (0.5, "qdq"))]


@pytest.mark.slow
@pytest.mark.parametrize("name,prune,fmt", SLOW_CASES)
def test_golden_bit_exact_with_onnxruntime_big(example, name, prune, fmt):
    path = example(name, prune, fmt)
    _bit_exact(path, zoo.random_input(path, n=1))


def test_lenet_digits_golden_accuracy(example):
    load, run, _ = golden_api()
    path = example("lenet-digits", 0.75)
    x, y = zoo.digits_split()
    acc = float((run(load(path), x)[0].argmax(1) == y).mean())
    print(f"lenet-digits 75% pruned, golden model held-out accuracy {acc:.4f}")
    assert acc > ACCURACY_BAR


# -- the command line -------------------------------------------------------------------------

def test_cli_writes_the_model(tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert cli(["example", "lenet-digits", "--prune", "0.5", "--format", "qdq", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert str(out) in text and "accuracy" in text
    assert zoo.metadata(out)["hlsgen.prune"] == "0.5"
    assert any(n.op_type == "Conv" for n in onnx.load(str(out)).graph.node)
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


@pytest.mark.parametrize("argv,word", [
    (["nope"], "resnet50"), (["lenet-digits", "--prune", "1"], "--prune"),
    (["lenet-digits", "--prune", "-0.1"], "--prune"), (["lenet-digits", "--prune", "nan"], "--prune"),
    (["lenet-digits", "--format", "int4"], "--format"), (["resnet20-cifar", "--round-to", "0"], "--round-to"),
    (["resnet20-cifar", "--round-to", "x"], "--round-to"), (["resnet20-cifar", "--prune-style", "global"], "--prune-style")])
def test_cli_bad_options(tmp_path, capsys, argv, word):
    out = tmp_path / "m.onnx"
    try:
        status = cli(["example", *argv, "-o", str(out)])
    except SystemExit as e:  # argparse's own option errors
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and word in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_cli_unwritable_paths(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path, tmp_path / "file" / "m.onnx", tmp_path / "missing" / "m.onnx"):
        assert cli(["example", "resnet20-cifar", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert str(out) in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_make_example_rejects_bad_arguments(tmp_path):
    with pytest.raises(UserError, match="lenet-digits"):
        zoo.make_example("lenet", out=tmp_path / "m.onnx")
    with pytest.raises(UserError, match="format"):
        zoo.make_example("lenet-digits", fmt="float", out=tmp_path / "m.onnx")


# -- coupled-group pruning (issue 17) -----------------------------------------------------------

def _conv_weights(path):
    m = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    return [init[n.input[3]] for n in m.graph.node if n.op_type == "QLinearConv"]


def _compacted(path):
    from hlsgen.frontend import load
    from hlsgen.prune import compact
    return compact(load(path))


def test_group_pruning_removes_the_residual_streams(example):
    """Coupled groups prune the residual streams too: far more MACs go than per layer, and nothing
    pruned has to be kept for exactness."""
    _, group = _compacted(example("resnet20-cifar", 0.5))
    _, per_layer = _compacted(example("resnet20-cifar", 0.5, prune_style="per-layer"))
    g, p = group["totals"], per_layer["totals"]
    assert g["channels_kept"] == 0 and p["channels_kept"] > 0
    assert g["pruning_ratio"] > 0.7 > p["pruning_ratio"]


def test_zeroed_and_removed_groups_compact_to_the_same_net(example):
    """group (zeroed in place) and group-removed (torch-pruning removes the channels, the model is
    exported and quantized narrower) are the same pruning: same live shapes, same cycles."""
    from hlsgen.frontend import load
    from hlsgen.plan import make_plan
    zeroed, removed = example("resnet20-cifar", 0.5), example("resnet20-cifar", 0.5, prune_style="group-removed")
    g2, _ = _compacted(zeroed)
    shapes = [w.shape for w in _conv_weights(removed)]
    assert shapes != [w.shape for w in _conv_weights(zeroed)]     # the removed model is narrower
    assert shapes == [tuple(layer.params["w"].shape) for layer in g2.layers if layer.op == "conv"]
    assert make_plan(load(zeroed)).data.total_cycles == make_plan(load(removed)).data.total_cycles


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_physically_pruned_model_is_bit_exact(example, fmt):
    """A model pruned physically by torch-pruning, exported and quantized: accepted, bit-exact."""
    path = example("resnet20-cifar", 0.5, fmt, prune_style="group-removed")
    _bit_exact(path, zoo.random_input(path, n=2))
    assert zoo.metadata(path)["hlsgen.prune_style"] == "group-removed"


@pytest.mark.parametrize("style", ["group", "per-layer"])
def test_round_to_keeps_channel_counts_at_multiples(example, style):
    """Every conv keeps a multiple of 8 nonzero filters; by group, the compacted layers too (per layer,
    the residual streams stay whole anyway)."""
    path = example("resnet20-cifar", 0.5, prune_style=style, round_to=8)
    kept = [int(np.any(w.reshape(len(w), -1) != 0, axis=1).sum()) for w in _conv_weights(path)]
    assert all(c % 8 == 0 for c in kept) and min(kept) < 16, kept
    if style == "group":
        g2, report = _compacted(path)
        assert all(layer.params["w"].shape[0] % 8 == 0 for layer in g2.layers if layer.op == "conv")
        assert report["totals"]["pruning_ratio"] > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("style", ["group", "group-removed"])
def test_resnet50_coupled_groups_bit_exact(example, style):
    """ResNet-50 pruned 50% by coupled groups, zeroed in place or removed: golden == onnxruntime."""
    path = example("resnet50", 0.5, prune_style=style)
    _bit_exact(path, zoo.random_input(path, n=1))


def test_group_pruning_of_lenet_is_accurate(example):
    """lenet-digits pruned by coupled groups is fine-tuned with its masks and stays accurate."""
    path = example("lenet-digits", 0.5)
    x, y = zoo.digits_split()
    acc = float((ort_session(path).run(None, {"input": x})[0].argmax(1) == y).mean())
    assert acc > ACCURACY_BAR
    assert zoo.metadata(path)["hlsgen.prune_style"] == "group"


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_mobilenet_v2_pruned_through_its_depthwise_convs(example, fmt):
    """MobileNetV2 (CIFAR size) pruned 50% by coupled groups: zeroed in place, it compacts through every
    depthwise conv to the net with the channels removed (same live MACs, same cycles); both bit-exact."""
    from hlsgen.frontend import load
    from hlsgen.plan.planner import make_plan
    zeroed, removed = example("mobilenet-v2-cifar", 0.5, fmt), example("mobilenet-v2-cifar", 0.5, fmt, "group-removed")
    plans = [make_plan(load(p), target="alveo-u200", dsp_budget=256).data for p in (zeroed, removed)]
    assert plans[0].macs_live == plans[1].macs_live < 0.5 * plans[0].macs
    assert plans[0].total_cycles == plans[1].total_cycles
    for p in (zeroed, removed):
        _bit_exact(p, zoo.random_input(p, n=1))


def test_mobilenet_v3_pruned_through_squeeze_and_excitation(example):
    """MobileNetV3-Small (CIFAR size, QDQ by default) pruned 50% by coupled groups: zeroed in place, it
    compacts through every depthwise conv, SE block (its 1x1 convs and the gate's product) and Hardswish
    table to the net with the channels removed (same live MACs, same cycles); both bit-exact."""
    from hlsgen.frontend import load
    from hlsgen.plan.planner import make_plan
    zeroed = example("mobilenet-v3-small-cifar", 0.5, None)
    removed = example("mobilenet-v3-small-cifar", 0.5, None, "group-removed")
    graphs = [load(p) for p in (zeroed, removed)]
    assert {"table", "mul"} <= {layer.op for layer in graphs[0].layers}
    plans = [make_plan(g, target="alveo-u200", dsp_budget=256).data for g in graphs]
    assert plans[0].macs_live == plans[1].macs_live < 0.5 * plans[0].macs
    assert plans[0].total_cycles == plans[1].total_cycles
    for p in (zeroed, removed):
        _bit_exact(p, zoo.random_input(p, n=1))
