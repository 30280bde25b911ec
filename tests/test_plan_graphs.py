"""Planner on hand-built graphs (hlsgen.golden.twin): concat at channel offsets, grouped conv,
5x5 stride-2 conv with asymmetric padding, padded max pools, standalone clip and add, fused
add, global average pool, gemm; tiled == golden == onnxruntime for several budgets."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen.golden import run
from hlsgen.golden.twin import Net
from hlsgen.ir import QParams
from hlsgen.plan import make_plan, tiled


# not hw_tests/test_csim_graphs.py's _conv: the order of the random draws (the nets the tests pin) differs
def _conv(net, x, o, k, qy, rng, stride=(1, 1), pads=None, groups=1, act=None):
    i = net.tensors[x].shape[0] // groups
    w = rng.integers(-20, 21, size=(o, i, k, k)).astype(np.int8)
    b = rng.integers(-300, 300, size=o)
    pads = pads if pads is not None else (k // 2,) * 4
    return net.conv(x, w, np.zeros(o, np.int32), np.full(o, 0.01, np.float32), b, qy, stride=stride,
                    pads=pads, groups=groups, act=act)


def build(concat_q_same=True):
    """uint8 activations throughout (the test networks cover int8)."""
    rng = np.random.default_rng(7)
    net = Net((3, 13, 11))
    qc = QParams(0.03, 7, "uint8")
    x = net.quantize("x", QParams(1 / 100, 120, "uint8"))
    s = _conv(net, x, 8, 5, QParams(0.02, 100, "uint8"), rng, stride=(2, 2), pads=(2, 1, 1, 2))
    a = _conv(net, s, 16, 3, qc, rng)
    b = _conv(net, s, 8, 1, qc if concat_q_same else QParams(0.025, 9, "uint8"), rng, groups=2)
    c = net.concat([a, b], qc)
    m = net.maxpool(c, (3, 3), (2, 2), (1, 1, 1, 1))
    k = net.clip(m, 10, 200)
    p = net.maxpool(c, (2, 2), (2, 2), (0, 0, 1, 1))
    t = net.add(k, p, QParams(0.041, 11, "uint8"))                  # standalone add
    r = _conv(net, t, 24, 3, QParams(0.05, 0, "uint8"), rng, act=(0, 255))
    e = _conv(net, r, 24, 1, QParams(0.033, 4, "uint8"), rng)
    f = net.add(e, r, QParams(0.047, 3, "uint8"))                   # fused into the 1x1 conv
    g = net.gavgpool(f, QParams(0.021, 2, "uint8"))
    w = rng.integers(-30, 31, size=(10, 24)).astype(np.int8)
    y = net.qgemm(net.flatten(g), w, np.zeros(10, np.int32), np.full(10, 0.02, np.float32),
                  rng.integers(-100, 100, size=10), QParams(0.05, 128, "uint8"))
    return net, net.dequantize(y)


@pytest.fixture(scope="module")
def twin():
    net, out = build()
    x = np.random.default_rng(3).uniform(-1, 1, size=(2, 3, 13, 11)).astype(np.float32)
    return net, out, x


def test_twin_is_exact_against_ort(twin):
    net, out, x = twin
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0


@pytest.mark.parametrize("budget", [None, 24, 32, 200])
def test_tiled_equals_golden(twin, budget):
    net, out, x = twin
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    assert plan.data.engine.pi <= 16          # the concat offset (16 channels) must be word-aligned
    ops = {inv.kind for inv in plan.data.invocations}
    assert ops == {"conv", "maxpool", "add", "gavgpool"}
    assert sum(inv.kind == "add" for inv in plan.data.invocations) == 2   # clip n6, add n8
    assert any(inv["add_en"] for inv in plan.data.invocations if inv.kind == "conv")  # n11 fused
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


@pytest.mark.parametrize("budget", [None, 24])
def test_requantizing_concat_runs_through_a_table(budget):
    """A concat input in another quantization is requantized by a table layer, here in its conv's
    epilogue, which writes into the input's slice."""
    net, out = build(concat_q_same=False)
    x = np.random.default_rng(3).uniform(-1, 1, size=(2, 3, 13, 11)).astype(np.float32)
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    fused = [inv for inv in plan.data.invocations if inv.kind == "conv" and inv["tab_en"]]
    assert fused and all(inv["out_c0w"] > 0 for inv in fused)     # the second input's conv, at its offset
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


def build_arith(seed):
    """Average pools (padded, count_include_pad 0 and 1, near-tie scales), standalone and fused adds
    with random scales (and exact halves): what the add / pool arithmetic must carry exactly."""
    rng = np.random.default_rng(seed)
    dt = ("uint8", "int8")[seed % 2]
    zp = (lambda: int(rng.integers(0, 256))) if dt == "uint8" else (lambda: int(rng.integers(-128, 128)))
    q = lambda: QParams(float(2.0 ** rng.uniform(-7, -3)), zp(), dt)   # noqa: E731
    net = Net((8, 9, 10))
    x = net.quantize("x", QParams(1 / 64, zp(), dt))
    a = _conv(net, x, 8, 3, q(), rng)
    qa = net.tensors[a].q
    p = net.avgpool(a, QParams(qa.scale * 0.5, zp(), dt), (3, 3), (1, 1), (1, 1, 1, 1), bool(seed % 3))
    p = net.avgpool(p, q(), (2, 2), (2, 2), (0, 0, 1, 1), False)       # ceil-mode-like end padding
    b = _conv(net, p, 8, 1, q(), rng)
    m = net.maxpool(b, (3, 3), (1, 1), (1, 1, 1, 1))
    half = QParams(net.tensors[m].q.scale * 2, zp(), dt)
    t = net.add(m, p, half if seed % 4 == 0 else q())                   # standalone add of two pools
    c = _conv(net, t, 8, 3, q(), rng)
    f = net.add(c, t, q())                                              # fused into the conv
    g = net.gavgpool(f, q())
    return net, net.dequantize(g)


@pytest.mark.parametrize("seed", range(4))
def test_add_and_pool_arithmetic_tiled_golden_ort(seed):
    net, out = build_arith(seed)
    x = np.random.default_rng(seed).uniform(-2, 2, size=(3, 8, 9, 10)).astype(np.float32)
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0
    graph = net.graph(out)
    for budget in (None, 24):
        plan = make_plan(graph, dsp_budget=budget)
        kinds = [inv.kind for inv in plan.data.invocations]
        assert {"avgpool", "add", "gavgpool"} <= set(kinds)
        assert any(inv["add_en"] for inv in plan.data.invocations if inv.kind == "conv")
        for g, t in zip(run(graph, x), tiled.run(plan, x)):
            assert np.array_equal(g, t)
