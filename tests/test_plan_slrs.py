"""Every compute unit of every plan fits one SLR of its target, as targets.json gives the SLRs; the
SLR data is consistent with the card's totals and memory banks; the DSP budget is shared, not
multiplied, by the compute units."""
from __future__ import annotations

import pytest

from hlsgen.frontend import load
from hlsgen.plan import engine, make_plan, resources
from hlsgen.plan.compute_units import RESOURCE_KEYS

TARGETS = sorted(engine.load_targets()["targets"])
KEYS = RESOURCE_KEYS


@pytest.mark.parametrize("key", TARGETS)
def test_slr_data_matches_the_card(key):
    """The SLRs add up to no more than the user region (exactly, where the figures are a platform's
    report), and every memory bank belongs to exactly one SLR."""
    t = engine.get_target(key)[1]
    slrs = t["slrs"]
    assert slrs and t["slrs_source"]
    for k in KEYS:
        total = sum(s[k] for s in slrs)
        assert total <= t["user"][k] and (total == t["user"][k] or "estimated" in t["slrs_source"]
                                          or "estimated" in t["user"]["source"]), (key, k)
    banks = sorted(b for s in slrs for b in s["banks"])
    assert banks == list(range(t["memory"]["banks"])), key


@pytest.fixture(scope="module")
def graphs(testnet, example):
    nets = {kind: load(testnet(kind, prune=0.5)) for kind in ("resnet", "vgg")}
    nets["resnet18"] = load(example("resnet18"))
    return nets


def _check(plan, key):
    t = engine.get_target(key)[1]
    d = plan.data
    slrs = {s["name"]: s for s in t["slrs"]}
    cus = d.compute_units
    assert 1 <= len(cus) <= len(slrs) and len({cu.slr for cu in cus}) == len(cus)   # one CU per SLR
    assert sum(cu.dsp_budget for cu in cus) <= d.dsp_budget            # the budget is shared
    res = d.resources
    assert res["dsp"] <= min(cu.dsp_budget for cu in cus)
    bound = []
    for cu in cus:
        slr = slrs[cu.slr]
        assert not resources.misfit(res, slr), (key, cu.slr, res)        # the engine fits its SLR
        for k in KEYS:
            assert cu.use[k] == pytest.approx(res[k] / slr[k], abs=1e-4)
        names = set(cu.act_banks) | {cu.wgt_bank}
        own = {t["memory"]["vitis_bank"].format(i=b) for b in slr["banks"]}
        if own:                                               # a bank of its own SLR first (UG1393)
            assert not own.isdisjoint(names), (key, cu)
        bound.append(names)
    for i, a in enumerate(bound):                                             # no bank shared by two CUs
        assert all(a.isdisjoint(b) for b in bound[i + 1:])
    assert d.fps == pytest.approx(len(cus) * d.fps_per_cu, rel=1e-3)


@pytest.mark.parametrize("key", TARGETS)
def test_every_plan_fits_its_slrs(graphs, key):
    budget = engine.default_dsp_budget(engine.get_target(key)[1])
    for name, g in graphs.items():
        for dsp in (budget, 64):
            _check(make_plan(g, target=key, dsp_budget=dsp), key)


def test_compute_units_option(graphs):
    """--compute-units N plans N CUs (1: the lowest latency); the default takes the highest throughput."""
    g = graphs["resnet"]
    plans = {n: make_plan(g, target="alveo-u200", dsp_budget=200, compute_units=n) for n in (1, 2, 3)}
    best = make_plan(g, target="alveo-u200", dsp_budget=200)
    assert [len(plans[n].data.compute_units) for n in (1, 2, 3)] == [1, 2, 3]
    assert best.data.fps == max(p.data.fps for p in plans.values())
    assert plans[1].data.latency_ms <= min(p.data.latency_ms for p in plans.values())
