"""Table layers on the engine (ENGINE.md sections 1, 3-5): element-wise functions and a requantizing
concat planned as table invocations; tiled golden == golden == onnxruntime; per-channel tables;
the cycle model's wait for the tables."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen.examples import twinnets
from hlsgen.golden import run
from hlsgen.plan import make_plan, tiled


def _x(n=2, seed=3):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n,) + twinnets.TABLES_SHAPE).astype(np.float32)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_table_net_golden_equals_onnxruntime(dtype):
    net, out = twinnets.tables(dtype)
    bad, total = net.check(_x(), out)
    assert bad == 0 and total > 0


@pytest.mark.parametrize("dtype,budget", [("uint8", None), ("uint8", 8), ("int8", 32), ("int8", 200)])
def test_tiled_equals_golden(dtype, budget):
    net, out = twinnets.tables(dtype)
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    tables = [inv for inv in plan.data["invocations"] if inv["kind"] == "table"]
    assert len({inv["layer"] for inv in tables}) == 3        # sigmoid, leaky relu, the concat's requant
    assert any(inv["out_c0w"] > 0 for inv in tables)          # the requantized input at its channel offset
    assert plan.data["engine"]["units"]["table"] == 1
    x = _x()
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


@pytest.mark.parametrize("budget", [None, 8])
def test_per_channel_tables(budget):
    net, out = twinnets.tables("int8")
    graph = twinnets.per_channel(net.graph(out))
    plan = make_plan(graph, dsp_budget=budget)
    inv = next(i for i in plan.data["invocations"] if i["layer"] == "bn_table")
    assert inv["t_words"] == inv["in_cw"]
    assert plan.data["engine"]["units"]["table"] == inv["t_words"]
    x = _x()
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)
