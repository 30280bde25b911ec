"""Table layers and a map times a vector on the engine (ENGINE.md sections 1, 3-5): element-wise
functions and a requantizing concat planned as table invocations, squeeze-and-excitation as a mul
invocation; tiled golden == golden == onnxruntime; per-channel tables; the frontend reads the
QOperator models (QLinearSigmoid, QLinearMul of a map by a per-channel gate)."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen.examples import testnets, twinnets
from hlsgen.frontend import load
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run
from hlsgen.plan import make_plan, tiled


def _x(n=2, seed=3):   # hw_tests/test_families_hw.py's _x draws another seed: the inputs its tests pin
    return np.random.default_rng(seed).uniform(-1, 1, size=(n,) + twinnets.TABLES_SHAPE).astype(np.float32)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_table_net_golden_equals_onnxruntime(dtype):
    net, out = twinnets.tables(dtype)
    bad, total = net.check(_x(), out)
    assert bad == 0 and total > 0


@pytest.mark.parametrize("dtype,budget", [("uint8", None), ("uint8", 24), ("int8", 32), ("int8", 200)])
def test_tiled_equals_golden(dtype, budget):
    net, out = twinnets.tables(dtype)
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    tables = [inv for inv in plan.data.invocations if inv.kind == "table"]
    fused = [inv for inv in plan.data.invocations if inv.kind == "conv" and inv["tab_en"]]
    assert len({inv.layer for inv in tables}) == 1        # the sigmoid: its conv's output is read twice
    assert len({inv.layer for inv in fused}) == 2          # leaky relu + requantization, the branch's
    assert any(inv["out_c0w"] > 0 for inv in fused)           # requantization: in the convs' epilogues,
                                                              # written at their channel offsets
    assert plan.data.engine.units["table"] == 1
    x = _x()
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


@pytest.mark.parametrize("budget", [None, 24])
def test_per_channel_tables(budget):
    net, out = twinnets.tables("int8")
    graph = twinnets.per_channel(net.graph(out))
    plan = make_plan(graph, dsp_budget=budget)
    inv = next(i for i in plan.data.invocations if i.layer == "bn_table")
    assert inv["t_words"] == inv["in_cw"]
    assert plan.data.engine.units["table"] == inv["t_words"]
    x = _x()
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


@pytest.mark.parametrize("dtype,budget", [("uint8", None), ("int8", 24), ("int8", 32)])
def test_squeeze_excite_tiled_equals_golden_and_onnxruntime(dtype, budget):
    net, out = twinnets.squeeze_excite(dtype)
    x = _x()
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    assert [inv.kind for inv in plan.data.invocations].count("mul") >= 1
    assert plan.data.engine.units["mul"]
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


@pytest.mark.parametrize("build", [twinnets.tables, twinnets.squeeze_excite])
def test_frontend_reads_the_twin_models(tmp_path, build):
    """The QOperator files themselves (not the hand-built IR): tables, and QLinearMul as a mul layer."""
    net, out = build("uint8")
    net.checked = []
    path = tmp_path / "m.onnx"
    path.write_bytes(net.onnx_model(out))
    graph = load(path)
    ops = {layer.op for layer in graph.layers}
    assert "table" in ops and ("mul" in ops) == (build is twinnets.squeeze_excite)
    x = _x()
    plan = make_plan(graph, dsp_budget=24)
    for want, g, t in zip(ort_run(str(path), x), run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(want, g) and np.array_equal(g, t)


@pytest.mark.parametrize("dtype,per_channel", [("int8", False), ("uint8", True)])
def test_mobilenet_v3_block_runs_exactly(testnet, tmp_path, dtype, per_channel):
    """testnets 'se' (QDQ, as onnxruntime's quantizer writes it): Hardswish and Hardsigmoid as tables,
    the SE product as a mul layer; golden == onnxruntime, tiled == golden."""
    model = testnet("se", out=tmp_path / "se.onnx", fmt="qdq", act_dtype=dtype, per_channel=per_channel)
    graph = load(model)
    assert {"table", "mul"} <= {layer.op for layer in graph.layers}
    x = testnets.random_input(model, n=2)
    plan = make_plan(graph, dsp_budget=24)
    for want, g, t in zip(ort_run(str(model), x), run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(want, g) and np.array_equal(g, t)


@pytest.mark.parametrize("fmt,dtype", [("qdq", "int8"), ("qop", "uint8")])
def test_inception_block_runs_exactly(testnet, tmp_path, fmt, dtype):
    """testnets 'inception': four branches (one behind a max pool) written into one concat's slices, the
    inputs in other quantizations requantized by tables in their convs' epilogues; golden == onnxruntime,
    tiled == golden."""
    model = testnet("inception", out=tmp_path / "inc.onnx", fmt=fmt, act_dtype=dtype)
    graph = load(model)
    x = testnets.random_input(model, n=2)
    plan = make_plan(graph, dsp_budget=32)
    assert any(inv.kind == "conv" and inv["tab_en"] and inv["out_c0w"] > 0 for inv in plan.data.invocations)
    for want, g, t in zip(ort_run(str(model), x), run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(want, g) and np.array_equal(g, t)


@pytest.mark.parametrize("array", ["1x32x16", "1x16x16", "2x32x8", "1x64x16"])
def test_grouped_convs_read_only_their_window(array):
    """Depthwise and grouped convs (twinnets.grouped, 40 channels): each PO group's reduction runs over its
    own input words only (tap_cw words from g*cw_step) when they are whole words at a uniform step, else
    over all; tiled == golden == onnxruntime either way, and a window is narrower than the input."""
    net, out = twinnets.grouped("int8")
    x = _x()
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0
    graph = net.graph(out)
    plan = make_plan(graph, array=array, dsp_budget=2000)
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)
    windows = [inv for inv in plan.data.invocations if inv.kind == "conv" and inv["cw_step"]]
    assert all(inv["tap_cw"] == inv["cw_step"] < inv["in_cw"] for inv in windows)
    assert windows or array == "1x64x16"       # 64 output lanes: a window would be all 3 input words


@pytest.mark.parametrize("dtype,budget", [("int8", None), ("int8", 24), ("uint8", 32)])
def test_table_and_pool_in_the_conv_epilogue(dtype, budget):
    """conv -> LeakyRelu table -> 2x2 max pool (twinnets.table_pool): one conv invocation does all three;
    the pool compares the table's outputs as int8 values; tiled == golden == onnxruntime."""
    net, out = twinnets.table_pool(dtype)
    x = _x()
    bad, total = net.check(x, out)
    assert bad == 0 and total > 0
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=budget)
    first = plan.data.invocations[0]
    assert first.kind == "conv" and first["tab_en"] and first["pool_k"] == 2
    assert "table" not in {inv.kind for inv in plan.data.invocations}
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


def test_tables_fall_back_to_the_vector_unit_when_their_epilogue_memory_does_not_fit(monkeypatch):
    """With the epilogue tables' LUTs over any target's budget, the planner runs the same tables as
    table invocations (and the plan stays exact)."""
    from hlsgen.plan import resources
    monkeypatch.setattr(resources, "LUT_CTAB_LANE", 10 ** 7)
    net, out = twinnets.tables("int8")
    graph = net.graph(out)
    plan = make_plan(graph, dsp_budget=32)
    assert not plan.data.engine.epilogue_tables
    assert not any(inv.kind == "conv" and inv["tab_en"] for inv in plan.data.invocations)
    assert len({inv.layer for inv in plan.data.invocations if inv.kind == "table"}) == 3
    x = _x()
    for g, t in zip(run(graph, x), tiled.run(plan, x)):
        assert np.array_equal(g, t)


def test_quantizer_float_pool_on_a_float_function_names_the_pool(testnet, tmp_path, capsys):
    """onnxruntime's QOperator quantizer leaves the SE block's global average pool in float on the float
    Hardswish output: one line naming that pool and the cure (QDQ), exit status 2."""
    from hlsgen import cli
    model = testnet("se", out=tmp_path / "se.onnx", fmt="qop")
    assert cli.main(["build", str(model), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "(GlobalAveragePool): computes in float on the output of a float HardSwish" in err and "QDQ" in err
    assert not (tmp_path / "out").exists()
