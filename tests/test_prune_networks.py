"""Pruning on generated quantized networks, judged by onnxruntime.

For every model: golden(compacted IR) == onnxruntime(original) and
onnxruntime(simplified ONNX) == onnxruntime(original), 0 mismatching elements.
Plain chains with zeroed biases must reach the chain-rule minimum of live MACs;
residual nets remove a stream channel only where it is dead in every conv that
meets at its adds.
"""
import itertools

import numpy as np
import onnx
import pytest

from hlsgen import golden
from hlsgen.cli import main as cli
from hlsgen.examples import testnets
from hlsgen.frontend import load
from hlsgen.golden.reference import ort_run
from hlsgen.ir import layer_macs
from hlsgen.prune import compact
from hlsgen.prune.constants import dead_channels

PRUNE = (0.25, 0.5, 0.75)
MATRIX = [dict(kind=k, prune=p, zero_bias=z, fmt=f, per_channel=c)
          for k, p, z, f, c in itertools.product(("chain", "resnet"), PRUNE, (True, False),
                                                 ("qop", "qdq"), (False, True))]


def _id(case):
    return (f"{case['kind']}-{case['prune']}-{'zb' if case['zero_bias'] else 'bias'}-"
            f"{case['fmt']}-{'pc' if case['per_channel'] else 'pt'}")


@pytest.fixture(scope="module")
def models(testnet, tmp_path_factory):
    """Build each test network once per module: case -> (path, input batch)."""
    folder = tmp_path_factory.mktemp("prune_nets")
    cache = {}

    def get(case):
        key = _id(case)
        if key not in cache:
            path = testnet(case["kind"], out=folder / f"{key}.onnx", fmt=case["fmt"],
                                 per_channel=case["per_channel"], prune=case["prune"],
                                 zero_bias=case["zero_bias"], seed=1)
            cache[key] = (path, testnets.random_input(path, n=4, seed=2))
        return cache[key]
    return get


def _mismatches(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    return int((a != b).sum())


@pytest.mark.parametrize("case", MATRIX, ids=_id)
def test_compacted_and_simplified_models_equal_onnxruntime(case, models, tmp_path):
    path, x = models(case)
    reference = ort_run(path, x)
    g = load(path)
    g2, report = compact(g)
    assert [_mismatches(y, r) for y, r in zip(golden.run(g2, x), reference)] == [0] * len(reference)

    out = tmp_path / "simplified.onnx"
    assert cli(["simplify", str(path), "-o", str(out)]) == 0
    assert [_mismatches(y, r) for y, r in zip(ort_run(out, x), reference)] == [0] * len(reference)
    # the exported model is the compacted one: same live MACs when read back
    g3 = load(out)
    assert sum(layer_macs(g3, layer) for layer in g3.layers) == report["totals"]["macs_live"]
    assert report["totals"]["macs_live"] < report["totals"]["macs"]


def _convs(g):
    return [layer for layer in g.layers if layer.op == "conv"]


@pytest.mark.parametrize("case", [c for c in MATRIX if c["kind"] == "chain" and c["zero_bias"]], ids=_id)
def test_chain_with_zeroed_biases_reaches_the_chain_rule_minimum(case, models):
    path, _ = models(case)
    g = load(path)
    _, report = compact(g)
    # expectation from the weights alone: each zeroed filter and its consumer's input columns go
    expected, live_in = 0, None
    for layer in g.layers:
        if layer.op == "conv":
            o, i, kh, kw = layer.params["w"].shape
            live_out = o - int(dead_channels(layer).sum())
            oh, ow = g.tensor(layer.outputs[0]).shape[1:]
            expected += live_out * (live_in if live_in is not None else i) * kh * kw * oh * ow
            live_in, last_hw = live_out, oh * ow
        elif layer.op == "gemm":
            expected += layer.params["w"].shape[0] * live_in * last_hw
    assert report["totals"]["macs_live"] == expected
    assert report["totals"]["channels_kept"] == 0 and report["totals"]["channels_folded"] == 0
    zeroed = sum(int(dead_channels(c).sum()) for c in _convs(g))
    assert report["totals"]["channels_removed"] == zeroed > 0


def _stream_groups(g):
    """Independently: the conv layers whose outputs meet at the residual adds, grouped per stream."""
    def convs_behind(tensor):
        layer = g.producer(tensor)
        if layer.op == "conv":
            return [layer]
        if layer.op == "add":
            return [c for t in layer.inputs for c in convs_behind(t)]
        return convs_behind(layer.inputs[0])       # maxpool, clip
    groups = []
    for add in (layer for layer in g.layers if layer.op == "add"):
        members = [c for t in add.inputs for c in convs_behind(t)]
        groups = [grp for grp in groups if not set(grp) & {m.name for m in members}]
        groups.append([m.name for m in members])
    return groups


@pytest.mark.parametrize("case", [c for c in MATRIX if c["kind"] == "resnet"], ids=_id)
def test_residual_streams_lose_only_channels_dead_across_their_group(case, models):
    path, _ = models(case)
    g = load(path)
    _, report = compact(g)
    rows = report["layers"]
    tied = set()
    for group in _stream_groups(g):
        dead_everywhere = np.all([dead_channels(g.layer(n)) for n in group], axis=0)
        tied.update(group)
        for name in group:
            assert rows[name]["out_live"] >= rows[name]["out_total"] - int(dead_everywhere.sum())
            if case["zero_bias"]:   # constants are the zero points: the whole dead set goes
                assert rows[name]["out_live"] == rows[name]["out_total"] - int(dead_everywhere.sum())
    for conv in _convs(g):
        dead = int(dead_channels(conv).sum())
        row = rows[conv.name]
        removed = row["out_total"] - row["out_live"]
        assert removed + row["kept"] == dead
        assert len(row["kept_reasons"]) == row["kept"]
        if conv.name in tied and row["kept"]:
            assert any("tied by add" in r or "border correction" in r for r in row["kept_reasons"])
    t = report["totals"]
    assert t["channels_removed"] == sum(rows[c.name]["out_total"] - rows[c.name]["out_live"] for c in _convs(g))
    assert t["channels_kept"] == sum(rows[c.name]["kept"] for c in _convs(g))
    assert t["channels_removed"] > 0


@pytest.mark.parametrize("kind,fmt,zero_bias", itertools.product(("vgg", "resnet"), ("qop", "qdq"),
                                                                  (True, False)))
def test_uint8_activations_and_vgg_pools_stay_exact(testnet, kind, fmt, zero_bias, tmp_path):
    path = testnet(kind, out=tmp_path / "m.onnx", fmt=fmt, per_channel=True, prune=0.5,
                         zero_bias=zero_bias, seed=3, act_dtype="uint8")
    x = testnets.random_input(path, n=4, seed=4)
    reference = ort_run(path, x)[0]
    g2, report = compact(load(path))
    assert _mismatches(golden.run(g2, x)[0], reference) == 0
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(path), "-o", str(out)]) == 0
    assert _mismatches(ort_run(out, x)[0], reference) == 0
    assert report["totals"]["channels_removed"] > 0
    if not zero_bias and kind == "vgg":   # constants of pruned filters reach 1x1 convs and the Gemm
        assert report["totals"]["channels_folded"] > 0
    onnx.checker.check_model(onnx.load(str(out)))


def _zoo_case(name, fmt, tmp_path):
    from hlsgen.examples import zoo
    path = zoo.make_example(name, prune=0.5, fmt=fmt, out=tmp_path / f"{name}.onnx")
    x = testnets.random_input(path, n=2, seed=5)
    reference = ort_run(path, x)[0]
    g = load(path)
    g2, report = compact(g)
    assert _mismatches(golden.run(g2, x)[0], reference) == 0
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(path), "-o", str(out)]) == 0
    assert _mismatches(ort_run(out, x)[0], reference) == 0
    # identity shortcuts chain the adds of a stage into one tied group per channel; the zoo zeroes
    # the biases of pruned filters, so every channel dead across its group goes
    for group in _stream_groups(g):
        dead_everywhere = np.all([dead_channels(g.layer(n)) for n in group], axis=0)
        for name in group:
            row = report["layers"][name]
            assert row["out_live"] == row["out_total"] - int(dead_everywhere.sum())
    assert report["totals"]["pruning_ratio"] > 0.4


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_resnet20_with_identity_shortcuts(fmt, tmp_path):
    _zoo_case("resnet20-cifar", fmt, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_resnet50(fmt, tmp_path):
    _zoo_case("resnet50", fmt, tmp_path)
