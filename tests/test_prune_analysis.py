"""Pruning analysis and exact compaction on hand-built IR graphs (golden model as the judge)."""
import json

import numpy as np
import pytest

from hlsgen import golden
from hlsgen.prune import analyze, compact
from hlsgen.prune.constants import NO_CONST

from test_prune_graphs import Builder

BIG = 3000   # a bias that makes a dead channel's constant differ from the zero point


def exact(g, n=3, seed=0):
    """Compact G; every surviving channel of every tensor equals the original's, bit for bit."""
    g2, report = compact(g)
    g2.validate()
    shape = g.tensor(g.inputs[0]).shape
    x = np.random.default_rng(seed).uniform(-3, 3, size=(n,) + tuple(shape)).astype(np.float32)
    full, small = golden.run_tensors(g, x), golden.run_tensors(g2, x)
    a = analyze(g)
    for name, t in g.tensors.items():
        want = full[name] if t.q is None else full[name][:, a.keep[name]]
        np.testing.assert_array_equal(small[name], want, err_msg=name)
    json.dumps(report)
    return g2, report, a


def test_dead_filters_with_zero_bias_are_removed_with_their_input_columns():
    b = Builder((3, 8, 8))
    b.conv("c1", 8, dead=(1, 4), dead_bias=0)
    b.conv("c2", 6, dead=(0, 2, 3), dead_bias=0)
    b.maxpool("mp")
    b.conv("c3", 5, dead=(4,), dead_bias=0, k=1)
    b.flatten("fl")
    b.gemm("fc", 4)
    g2, r, a = exact(b.graph())
    assert [g2.layer(n).params["w"].shape[:2] for n in ("c1", "c2", "c3")] == [(6, 3), (3, 6), (4, 3)]
    assert g2.layer("fc").params["w"].shape == (4, 4 * 16)
    # chain rule: c1 6x3x9, c2 3x6x9, c3 4x3 per pixel (8x8, 8x8, 4x4), fc 4 x (4 channels x 16)
    assert r["totals"]["macs_live"] == 64 * 6 * 27 + 64 * 3 * 54 + 16 * 12 + 4 * 64
    assert r["layers"]["c2"]["out_live"] == 3 and r["layers"]["c2"]["in_live"] == 6
    assert r["totals"]["channels_removed"] == 6
    assert r["totals"]["channels_folded"] == 0 and r["totals"]["channels_kept"] == 0


def test_constant_channels_fold_into_unpadded_consumers():
    b = Builder((3, 6, 6), seed=1)
    b.conv("c1", 6, dead=(0, 3), dead_bias=BIG)
    b.conv("c2", 5, k=1, dead=(1,), dead_bias=BIG)
    b.conv("c3", 4, k=3, pad=0, relu=False)          # valid conv: no border, folding is exact
    b.flatten("fl")
    b.gemm("fc", 3)
    g = b.graph()
    a = analyze(g)
    assert a.const["c1"][0] != g.tensor("c1").q.zero_point
    g2, r, _ = exact(g)
    assert r["layers"]["c2"]["folded"] == 2 and r["layers"]["c3"]["folded"] == 1
    assert r["layers"]["c1"]["out_live"] == 4 and r["layers"]["c2"]["out_live"] == 4
    assert not np.array_equal(g2.layer("c2").params["b"], g.layer("c2").params["b"][a.keep["c2"]])


def test_constant_channel_feeding_a_padded_conv_is_kept_for_the_border():
    b = Builder((3, 6, 6), seed=2)
    b.conv("c1", 6, dead=(2,), dead_bias=BIG)
    b.conv("c2", 4, k=3, pad=1)
    g = b.graph()
    a = analyze(g)
    assert a.const["c1"][2] not in (NO_CONST, g.tensor("c1").q.zero_point)
    g2, r, _ = exact(g)
    assert r["layers"]["c1"]["out_live"] == 6 and r["layers"]["c1"]["kept"] == 1
    assert r["layers"]["c1"]["kept_reasons"] == ["channel 2: border correction of constant channel 2 feeding 'c2'"]
    # a constant equal to the zero point needs no correction: removed even before a padded conv
    b = Builder((3, 6, 6), seed=2)
    b.conv("c1", 6, dead=(2,), dead_bias=0)
    b.conv("c2", 4, k=3, pad=1)
    _, r, _ = exact(b.graph())
    assert r["layers"]["c1"]["out_live"] == 5


def test_folding_is_exact_for_a_strided_conv_whose_windows_stay_inside():
    b = Builder((2, 9, 9), seed=3)
    b.conv("c1", 5, dead=(0, 4), dead_bias=BIG)
    b.conv("c2", 3, k=3, stride=2, pad=0)           # windows 0..8: never in padding
    _, r, _ = exact(b.graph())
    assert r["layers"]["c2"]["folded"] == 2


def test_average_pool_counting_padding_makes_a_constant_vary():
    b = Builder((3, 6, 6), seed=4)
    b.conv("c1", 4, dead=(1,), dead_bias=BIG)
    b.avgpool("ap", count_include_pad=1)
    b.conv("c2", 3, k=1)
    g = b.graph()
    a = analyze(g)
    assert a.const["c1"][1] != NO_CONST and a.const["ap"][1] == NO_CONST
    _, r, _ = exact(g)
    assert r["layers"]["c1"]["kept"] == 1 and "live" in r["layers"]["c1"]["kept_reasons"][0]


def test_average_pool_without_padding_keeps_the_constant_and_folds_it():
    b = Builder((3, 6, 6), seed=4)
    b.conv("c1", 4, dead=(1,), dead_bias=BIG)
    b.avgpool("ap", k=2, stride=2, pad=0)
    b.conv("c2", 3, k=1)
    _, r, _ = exact(b.graph())
    assert r["layers"]["c1"]["out_live"] == 3 and r["layers"]["c2"]["folded"] == 1


def test_residual_add_ties_channels_of_both_branches():
    b = Builder((4, 8, 8), seed=5)
    b.conv("stem", 8, dead=(0, 1, 2), dead_bias=0)
    b.conv("a1", 8, dead=(1, 2, 3), dead_bias=0)
    b.conv("a2", 8, k=1, dead=(0, 1, 5), dead_bias=0, relu=False)
    b.add("add1", "a2", "stem")
    b.conv("b1", 8, k=1, dead_bias=0)
    b.gavgpool("gap")
    b.flatten("fl")
    b.gemm("fc", 4)
    g = b.graph()
    g2, r, a = exact(g)
    # channels 0 and 1 are dead in both branches; 2 is live in a2, 5 is live in stem
    assert np.flatnonzero(~a.keep["add1"]).tolist() == [0, 1]
    assert r["layers"]["stem"]["out_live"] == 6 and r["layers"]["a2"]["out_live"] == 6
    assert "channel 5: tied by add 'add1': channel 5 live in 'stem'" in r["layers"]["a2"]["kept_reasons"]
    assert r["layers"]["stem"]["kept"] == 1 and r["layers"]["a2"]["kept"] == 1
    assert r["totals"]["channels_kept"] == 2
    assert r["layers"]["a1"]["out_live"] == 5      # a1 is inside the block: not tied


def test_concat_maps_channel_offsets():
    b = Builder((3, 6, 6), seed=6)
    b.conv("l", 4, dead=(1,), dead_bias=0)
    b.conv("r", 5, dead=(0, 4), dead_bias=0, src="quant")
    b.concat("cat", ["l", "r"])
    b.conv("c2", 3, k=1)
    _, r, a = exact(b.graph())
    assert np.flatnonzero(~a.keep["cat"]).tolist() == [1, 4, 8]
    assert r["layers"]["c2"]["in_live"] == 6


@pytest.mark.parametrize("groups,c1_reason,gc_reason", [
    (2, "input of grouped conv 'gc'", "output of grouped conv 'gc'"),
    # a depthwise conv ties input channel c to output channel c: a channel dead on one side only stays
    (4, "channel 1 live in 'gc'", "channel 2 live in 'c1'")], ids=["grouped", "depthwise"])
def test_grouped_convs_keep_their_channels(groups, c1_reason, gc_reason):
    b = Builder((4, 6, 6), seed=7)
    b.conv("c1", 4, dead=(1,), dead_bias=0)
    b.conv("gc", 4, groups=groups, dead=(2,), dead_bias=0)
    _, r, _ = exact(b.graph())
    assert r["layers"]["c1"]["kept_reasons"] == [f"channel 1: {c1_reason}"]
    assert r["layers"]["gc"]["kept_reasons"] == [f"channel 2: {gc_reason}"]
    assert r["totals"]["channels_removed"] == 0


def test_network_outputs_keep_their_channels():
    b = Builder((4, 6, 6), seed=7)
    b.conv("c1", 4, dead=(1, 3), dead_bias=0)
    _, r, _ = exact(b.graph())
    assert r["layers"]["c1"]["kept_reasons"] == [f"channel {c}: 'c1' is a network output" for c in (1, 3)]


def test_a_tensor_keeps_one_channel_when_every_filter_is_dead():
    b = Builder((3, 6, 6), seed=8)
    b.conv("c1", 4, dead=(0, 1, 2, 3), dead_bias=0)
    b.conv("c2", 3, k=1)
    _, r, _ = exact(b.graph())
    assert r["layers"]["c1"]["out_live"] == 1
    assert r["layers"]["c1"]["kept_reasons"] == ["channel 0: 'c1' keeps at least one channel"]


def _random_conv(b, rng, name, out_ch, src=None):
    k = int(rng.choice([1, 3]))
    dead = tuple(rng.choice(out_ch, size=int(rng.integers(0, out_ch)), replace=False))
    dead_bias = [0, BIG, -BIG, None][int(rng.integers(0, 4))]
    return b.conv(name, out_ch, k=k, pad=int(rng.integers(0, k // 2 + 1)) if src is None else k // 2,
                  src=src, dead=dead, dead_bias=dead_bias, relu=bool(rng.random() < 0.6))


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_stay_exact(seed):
    """Chains with clips and pools, residual adds over 'same' convs, concats of two branches."""
    rng = np.random.default_rng(seed)
    b = Builder((3, 7, 7), seed=seed)
    _random_conv(b, rng, "c0", 6)
    for i in range(1, 4):
        kind = rng.choice(["conv", "residual", "concat", "pool"])
        src = b.last
        if kind == "residual":
            c = b.tensors[src].shape[0]
            _random_conv(b, rng, f"r{i}a", c, src=src)
            _random_conv(b, rng, f"r{i}b", c, src=f"r{i}a")
            b.add(f"add{i}", f"r{i}b", src, relu=bool(rng.random() < 0.5))
        elif kind == "concat":
            _random_conv(b, rng, f"l{i}", 4, src=src)
            _random_conv(b, rng, f"m{i}", 3, src=src)
            b.concat(f"cat{i}", [f"l{i}", f"m{i}"])
        elif kind == "pool":
            b.maxpool(f"mp{i}", k=2, stride=1) if rng.random() < 0.5 else \
                b.avgpool(f"ap{i}", k=2, stride=1, pad=int(rng.integers(0, 2)),
                          count_include_pad=int(rng.integers(0, 2)))
        else:
            _random_conv(b, rng, f"c{i}", 6)
            if rng.random() < 0.5:
                b.clip(f"clip{i}", -20, 60)
    if rng.random() < 0.5:
        b.gavgpool("gap")
    b.flatten("fl")
    b.gemm("fc", 3)
    exact(b.graph(), seed=seed)
