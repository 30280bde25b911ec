"""The efficient families' vector ops in hardware: element-wise tables (QLinearSigmoid,
QLinearLeakyRelu) and a requantizing concat (hlsgen.examples.twinnets.tables), per-channel tables,
squeeze-and-excitation (a map times a per-channel gate, twinnets.squeeze_excite), built and run in
C simulation and in Verilator: bit-exact with onnxruntime (per-channel tables: with the golden
model), the RTL's cycles equal to the cycle model's."""
from __future__ import annotations

import json

import numpy as np
import pytest

import hlsgen
from hlsgen.examples import testnets, twinnets
from hlsgen.golden import run
from hlsgen.golden.reference import ort_run

pytestmark = pytest.mark.hw


def _x(n=2):
    return np.random.default_rng(5).uniform(-1, 1, size=(n,) + twinnets.TABLES_SHAPE).astype(np.float32)


def _build(tmp_path, graph, budget, weights="auto", kind="table"):
    out = tmp_path / "out"
    b = hlsgen.build(graph, out, dsp_budget=budget, weights=weights)
    assert kind in {inv.kind for inv in b.data.invocations}
    return out


def _verilator_exact(project, x, want):
    sim = hlsgen.simulate(project, x, engine="verilator")
    assert np.array_equal(sim.outputs[0], want)
    plan = json.loads((project / "plan.json").read_text())
    model = {r["name"]: r.get("cycles", 0) for r in plan["layers"]}
    for r in sim.report["layers"]:
        assert r["cycles"] == model[r["name"]], r["name"]
    assert sim.cycles == plan["total_cycles"]


@pytest.mark.parametrize("dtype,budget,weights", [("uint8", 32, "streamed"), ("int8", 200, "auto")])
def test_table_net_in_csim(tmp_path, dtype, budget, weights):
    net, out = twinnets.tables(dtype)
    net.checked = []
    project = _build(tmp_path, net.graph(out), budget, weights)
    x = _x()
    (y,), (want,) = hlsgen.simulate(project, x, engine="csim").outputs, ort_run(net.onnx_model(out), x)
    assert np.array_equal(y, want)


def test_table_net_in_verilator(tmp_path):
    net, out = twinnets.tables("uint8")
    net.checked = []
    project = _build(tmp_path, net.graph(out), 32)
    x = _x(1)
    _verilator_exact(project, x, ort_run(net.onnx_model(out), x)[0])


@pytest.mark.parametrize("engine", ["csim", "verilator"])
def test_per_channel_tables(tmp_path, engine):
    net, out = twinnets.tables("int8")
    graph = twinnets.per_channel(net.graph(out))
    project = _build(tmp_path, graph, 16)
    x = _x(1)
    sim = hlsgen.simulate(project, x, engine=engine)
    assert np.array_equal(sim.outputs[0], run(graph, x)[0])
    if engine == "verilator":
        assert sim.cycles == json.loads((project / "plan.json").read_text())["total_cycles"]


@pytest.mark.parametrize("engine", ["csim", "verilator"])
def test_table_and_pool_in_the_conv_epilogue(tmp_path, engine):
    net, out = twinnets.table_pool("int8")
    net.checked = []
    project = tmp_path / "out"
    b = hlsgen.build(net.graph(out), project, dsp_budget=32)
    assert b.data.invocations[0]["tab_en"] and b.data.invocations[0]["pool_k"] == 2
    x = _x(1)
    want = ort_run(net.onnx_model(out), x)[0]
    if engine == "csim":
        assert np.array_equal(hlsgen.simulate(project, x, engine="csim").outputs[0], want)
    else:
        _verilator_exact(project, x, want)


@pytest.mark.parametrize("dtype,budget", [("uint8", 32), ("int8", 24)])
def test_squeeze_excite_in_csim(tmp_path, dtype, budget):
    net, out = twinnets.squeeze_excite(dtype)
    net.checked = []
    project = _build(tmp_path, net.graph(out), budget, kind="mul")
    x = _x()
    (y,), (want,) = hlsgen.simulate(project, x, engine="csim").outputs, ort_run(net.onnx_model(out), x)
    assert np.array_equal(y, want)


def test_squeeze_excite_in_verilator(tmp_path):
    net, out = twinnets.squeeze_excite("int8")
    net.checked = []
    project = _build(tmp_path, net.graph(out), 32, kind="mul")
    x = _x(1)
    _verilator_exact(project, x, ort_run(net.onnx_model(out), x)[0])


FAMILY_NETS = {"fire": "SqueezeNet fire module (requantizing concat)", "dense": "DenseNet block (BatchNorm tables, "
               "concat of a tensor read twice)", "hswish": "Hardswish / Sigmoid / SiLU tables",
               "se": "MobileNetV3 bottleneck (Hardswish, squeeze-and-excitation)",
               "inception": "GoogLeNet inception block (four branches into one concat)"}


ALL = [(k, p) for k in FAMILY_NETS for p in (0.0, 0.5) if k != "inception" or p == 0.0]
IN_VERILATOR = [(k, p) for k, p in ALL if (p == 0.0 and k != "inception") or k in ("fire", "se")]  # csim: all nine


def _id(kp):
    return f"{kp[0]}-pruned{kp[1]}"


@pytest.fixture(scope="module")
def family(request, tmp_path_factory):
    """The family's test net (QDQ int8, filters zeroed by L1 rank with PRUNE), built for a small engine."""
    kind, prune = request.param
    d = tmp_path_factory.mktemp(kind)   # QDQ int8, 8x8 inputs
    model = testnets.make(kind, d / f"{kind}.onnx", fmt="qdq", prune=prune, hw=8)
    out = d / "out"
    hlsgen.build(model, out, dsp_budget=32)
    return kind, prune, model, out


@pytest.mark.parametrize("family", ALL, indirect=True, ids=_id)
def test_family_net_in_csim(family):
    kind, prune, model, out = family
    x = testnets.random_input(model, n=2)
    assert np.array_equal(hlsgen.simulate(out, x, engine="csim").outputs[0], ort_run(str(model), x)[0])


@pytest.mark.parametrize("family", IN_VERILATOR, indirect=True, ids=_id)
def test_family_net_in_verilator(family):
    kind, prune, model, out = family
    x = testnets.random_input(model, n=1)
    _verilator_exact(out, x, ort_run(str(model), x)[0])
