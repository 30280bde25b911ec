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
def nets(testnet):
    out = {}
    for kind, prune in CASES:
        path = testnet(kind, prune=prune)
        x = testnets.random_input(path, n=3, seed=1)
        out[kind, prune] = (path, load(path), x)
    return out


@pytest.mark.parametrize("budget", [None, 32, 22])
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
    assert d.total_cycles == sum(r["cycles"] for r in d.layers) > 0
    assert d.engine.macs_per_cycle == d.engine.pp * d.engine.pi * d.engine.po
    if budget == 8:   # the smallest engine: many tiles and groups
        convs = [r for r in d.layers if r["op"] == "conv" and "fused_into" not in r]
        assert max(r["invocations"] for r in convs) >= 3
        assert max(r["groups"] for r in convs) >= 4


def test_every_tensor_matches_golden(nets):
    """Intermediate maps too, not only the outputs (resnet, smallest engine)."""
    from hlsgen.golden import run_tensors
    _, graph, x = nets["resnet", 0.0]
    plan = make_plan(graph, dsp_budget=22)        # 1x2x2: 2 MAC DSPs, 2 lanes x (2 requant + 8 add)
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
    assert pruned.macs_live < dense.macs_live
    assert pruned.total_cycles < dense.total_cycles
    assert pruned.macs == dense.macs


def test_tiling_is_checked(nets):
    """The tiled golden refuses a tile whose input rows do not cover its window."""
    _, graph, x = nets["chain", 0.0]
    plan = make_plan(graph, dsp_budget=8)
    inv = next(d for d in plan.data.invocations if d.kind == "conv" and d["oy0"] > 0)
    inv.fields["iy0"] += 1
    with pytest.raises(AssertionError, match="tile needs map rows"):
        tiled.run(plan, x)


@pytest.mark.parametrize("array", ["1x8x4", "2x8x4", "4x4x4", "8x4x2"])
@pytest.mark.parametrize("kind,prune", [("vgg", 0.5), ("resnet", 0.0), ("chain", 0.5)])
def test_pixel_lanes_tiled_equals_ort(nets, kind, prune, array):
    """Every array shape the planner may pick (--array pins it), max pools fused where they can be."""
    path, graph, x = nets[kind, prune]
    plan = make_plan(graph, dsp_budget=None, array=array)
    for o, t in zip(ort_run(path, x), tiled.run(plan, x)):
        assert np.array_equal(o, t)
    d = plan.data
    assert f"{d.engine.pp}x{d.engine.po}x{d.engine.pi}" == array
    pools = [r for r in d.layers if r["op"] == "maxpool"]
    if kind == "vgg":       # 2x2/2 max pools run in their conv's epilogue: no invocation of their own
        assert pools and all(r["bound"] == "fused" for r in pools)
        assert all(inv["pool_k"] in (0, 2) for inv in d.invocations if inv.kind == "conv")
        assert not any(inv.kind == "maxpool" for inv in d.invocations)
    if kind == "resnet":    # its 3x3/2 padded max pool cannot fuse
        assert any(inv.kind == "maxpool" for inv in d.invocations)


def test_array_option_errors(nets):
    from hlsgen.errors import UserError
    graph = nets["chain", 0.0][1]
    for bad in ("4x32", "1x8x6", "16x8x8", "1x12x4", "1x6x4", "8x64x64"):
        with pytest.raises(UserError) as err:
            make_plan(graph, dsp_budget=64, array=bad)
        why = {"4x32": "expected PPxPOxPI", "8x64x64": "needs 16512 DSPs, over the budget"}.get(
            bad, "PI must be a power of two")
        assert str(err.value).startswith(f"--array {bad}: {why}")


@pytest.mark.parametrize("array", ["3x8x8", "1x24x8", "5x8x8", "6x8x4"])
def test_shapes_beyond_powers_of_two_tiled_equals_ort(nets, array):
    """PP any count up to 8, PO any multiple of PI with whole 64-byte weight rows: the tiled golden model
    equals onnxruntime; resident store lines stay powers of two dividing the row."""
    path, graph, x = nets["resnet", 0.0]
    plan = make_plan(graph, dsp_budget=2000, array=array, compute_units=1)
    e = plan.data.engine
    assert f"{e.pp}x{e.po}x{e.pi}" == array
    for o, t in zip(ort_run(path, x), tiled.run(plan, x)):
        assert np.array_equal(o, t)
    line, row = e.ports["wgt"]["bytes_per_cycle"], e.po * e.pi
    assert "preload" in e.ports                   # resident (auto: the store fits)
    assert line & (line - 1) == 0 and (row % line == 0 or line == 64 > row)


def test_candidates_fill_the_budget():
    """The planner's shapes: every power-of-two one within the budget; the others only at half of it or
    more, each one the kernels build."""
    from hlsgen.plan import engine as eng
    shapes = eng.candidates(1764, 2)
    assert all(eng.shape_ok(*s) and eng.mac_dsps(s[1], s[2], 2, s[0], lanes=s[1]) <= 1764 for s in shapes)
    odd = [s for s in shapes if s[0] & (s[0] - 1) or s[2] & (s[2] - 1)]
    assert odd and all(2 * eng.mac_dsps(s[1], s[2], 2, s[0], lanes=s[1]) >= 1764 for s in odd)
    assert (1, 32, 96) in shapes and (3, 32, 32) in shapes and (1, 64, 64) not in shapes


@pytest.mark.parametrize("hw", [None, 64])
def test_epilogue_lanes_rule(testnet, hw):
    """The planner's epilogue lanes (ENGINE.md section 1) on alveo-u200 at the default budget: the fewest
    whose total cycles are within EPILOGUE_SLACK of those of the most lanes that fit. The chain net at its
    test size takes the most that fit (its engine bound by the SLR's LUTs with a lane per output; every
    pass costs a pipeline cycle of each of its short invocations); at 64x64, half of them. The DSPs count
    E lanes, the cycles the NC passes; tiled golden == onnxruntime."""
    from hlsgen.plan import cycles, engine as eng, resources
    from hlsgen.plan.compute_units import cu_layouts, cu_target
    from hlsgen.plan.planner import EPILOGUE_SLACK
    path = testnet("chain", prune=0.5, **({"hw": hw} if hw else {}))
    plan = make_plan(load(path), "alveo-u200")
    d = plan.data
    e = d.engine.engine()
    n, units, lanes = e.pp * e.po, d.engine.units, e.epilogue_lanes
    assert lanes < n and e.timing["pipeline_latency"] == eng.TIMING["pipeline_latency"] + n // lanes - 1
    assert d.resources == resources.estimate(e, **units)
    assert d.resources["dsp"] == eng.mac_dsps(e.pi, e.po, 2, e.pp, units["add"], lanes)
    assert cycles.total_cycles(e, d.invocations) == d.total_cycles
    tgt = eng.get_target("alveo-u200")[1]
    cus = [cu for layout in cu_layouts(tgt, d.dsp_budget) for cu in layout if len(layout) == len(d.compute_units)]
    user, cu_budget = cu_target(tgt, cus)["user"], min(cu["budget"] for cu in cus)

    def total(c):
        e.set_epilogue_lanes(c)
        res = resources.estimate(e, **units)
        fits = res["dsp"] <= cu_budget and not resources.misfit(res, user)
        return cycles.total_cycles(e, d.invocations) if fits else None
    totals = {c: total(c) for c in eng.epilogue_choices(e.pp, e.pi, e.po)}
    most = max(c for c, t in totals.items() if t is not None)
    assert (lanes < most) == (hw == 64)
    bound = totals[most] * (1 + EPILOGUE_SLACK)
    assert d.total_cycles <= bound and all(t is None or t > bound for c, t in totals.items() if c < lanes)
    x = testnets.random_input(path, n=2, seed=1)
    for o, t in zip(ort_run(path, x), tiled.run(plan, x)):
        assert np.array_equal(o, t)


def test_epilogue_lanes_option(nets):
    """--epilogue-lanes E pins E (at least PI, dividing PP x PO); the cycles take its passes."""
    from hlsgen.errors import UserError
    graph = nets["resnet", 0.0][1]
    full = make_plan(graph, dsp_budget=400, array="2x8x8", compute_units=1).data
    half = make_plan(graph, dsp_budget=400, array="2x8x8", compute_units=1, epilogue_lanes=8).data
    assert full.engine.epilogue_lanes == 16 and half.engine.epilogue_lanes == 8
    assert half.resources["dsp"] < full.resources["dsp"] and half.total_cycles > full.total_cycles
    for bad, why in ((12, "PI 8, PP x PO 16"), (4, "PI 8, PP x PO 16"), (32, "PI 8, PP x PO 16"), (0, "must be positive")):
        with pytest.raises(UserError) as err:
            make_plan(graph, dsp_budget=400, array="2x8x8", epilogue_lanes=bad)
        assert str(err.value).startswith(f"--epilogue-lanes {bad}: ") and why in str(err.value)
