"""Planner: tiled golden == golden == onnxruntime on the test networks, for several budgets
(tiny ones force many row tiles and output-channel groups), pruned and not."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen.examples import testnets
from hlsgen.frontend import load
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run
from hlsgen.plan import make_plan, tiled

CASES = [(kind, prune) for kind in ("chain", "resnet", "vgg") for prune in (0.0, 0.5)]


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    root = tmp_path_factory.mktemp("nets")
    out = {}
    for kind, prune in CASES:
        path = testnets.make(kind, root / f"{kind}_{prune}.onnx", prune=prune)
        x = testnets.random_input(path, n=3, seed=1)
        out[kind, prune] = (path, load(path), x)
    return out


@pytest.mark.parametrize("budget", [None, 32, 8])
@pytest.mark.parametrize("kind,prune", CASES)
def test_tiled_equals_golden_equals_ort(nets, kind, prune, budget):
    path, graph, x = nets[kind, prune]
    plan = make_plan(graph, dsp_budget=budget)
    ort = ort_run(path, x)
    gold = run(graph, x)
    got = tiled.run(plan, x)
    for o, g, t in zip(ort, gold, got):
        assert np.array_equal(o, g)
        assert np.array_equal(g, t)
    d = plan.data
    assert d["total_cycles"] == sum(r["cycles"] for r in d["layers"]) > 0
    assert d["engine"]["macs_per_cycle"] == d["engine"]["pp"] * d["engine"]["pi"] * d["engine"]["po"]
    if budget == 8:   # the smallest engine: many tiles and groups
        convs = [r for r in d["layers"] if r["op"] == "conv" and "fused_into" not in r]
        assert max(r["invocations"] for r in convs) >= 3
        assert max(r["groups"] for r in convs) >= 4


def test_every_tensor_matches_golden(nets):
    """Intermediate maps too, not only the outputs (resnet, smallest engine)."""
    from hlsgen.golden import run_tensors
    _, graph, x = nets["resnet", 0.0]
    plan = make_plan(graph, dsp_budget=8)
    _, mapped = tiled.run(plan, x, tensors_out=True)
    gold = run_tensors(graph, x)
    checked = 0
    for name, v in mapped.items():
        if name in gold:
            assert np.array_equal(v, gold[name].astype(np.int64).reshape(v.shape)), name
            checked += 1
    assert checked >= 8


def test_pruned_plan_is_faster(nets):
    dense = make_plan(nets["vgg", 0.0][1], dsp_budget=32).data
    pruned = make_plan(nets["vgg", 0.5][1], dsp_budget=32).data
    assert pruned["macs_live"] < dense["macs_live"]
    assert pruned["total_cycles"] < dense["total_cycles"]
    assert pruned["macs"] == dense["macs"]


def test_tiling_is_checked(nets):
    """The tiled golden refuses a tile whose input rows do not cover its window."""
    _, graph, x = nets["chain", 0.0]
    plan = make_plan(graph, dsp_budget=8)
    inv = next(d for d in plan.data["invocations"] if d["kind"] == "conv" and d["oy0"] > 0)
    inv["iy0"] += 1
    with pytest.raises(AssertionError, match="tile needs map rows"):
        tiled.run(plan, x)
