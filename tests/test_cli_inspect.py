"""hlsgen inspect: the per-layer table and its JSON form, with and without the pruning columns."""
from __future__ import annotations

import argparse
import json
import sys

import pytest

from hlsgen import ir
from hlsgen.commands import inspect
from hlsgen.examples.testnets import make
from hlsgen.frontend import load
from testkit import hlsgen


@pytest.fixture(scope="session")
def nets(testnet, tmp_path_factory):
    d = tmp_path_factory.mktemp("inspect")
    return {"dense": testnet("resnet", out=d / "resnet.onnx"),
            "pruned": testnet("resnet", out=d / "resnet_pruned.onnx", prune=0.5, zero_bias=True),
            "float": testnet("vgg", out=d / "vgg_float.onnx", fmt="float")}


def inspect_json(model, *extra):
    p = hlsgen("inspect", model, "--json", *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def inspect_text(model, capsys, calibrate=None, no_prune=False):
    args = argparse.Namespace(model=str(model), calibrate=calibrate, json=False, no_prune=no_prune)
    assert inspect.main(args) == 0
    return capsys.readouterr().out


def test_json_figures_are_the_irs(nets):
    doc = inspect_json(nets["dense"], "--no-prune")
    g = load(nets["dense"])
    assert [r["name"] for r in doc["layers"]] == [layer.name for layer in g.layers]
    for r, layer in zip(doc["layers"], g.layers):
        assert r["op"] == layer.op and r["macs"] == ir.layer_macs(g, layer) and r["params"] == ir.layer_params(layer)
        assert r["output"] == list(g.tensor(layer.outputs[0]).shape)
        assert "prune" not in r
    stem = doc["layers"][1]       # conv 3x3, 3 -> 8 channels, 16x16, padding 1
    assert (stem["op"], stem["kernel"], stem["stride"], stem["pads"]) == ("conv", [3, 3], [1, 1], [1, 1, 1, 1])
    assert (stem["channels_in"], stem["channels_out"]) == (3, 8)
    assert stem["macs"] == 8 * 16 * 16 * 3 * 3 * 3 and stem["params"] == 8 * 27 + 8
    assert doc["totals"] == {"layers": len(g.layers), "macs": sum(r["macs"] for r in doc["layers"]),
                             "params": sum(r["params"] for r in doc["layers"])}
    adds = [r for r in doc["layers"] if r["op"] == "add"]
    assert adds and all(len(r["inputs"]) == 2 for r in adds)


def test_table_lists_every_layer_and_the_totals(nets, capsys):
    g = load(nets["dense"])
    out = inspect_text(nets["dense"], capsys, no_prune=True)
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("layer"))
    for col in ("op", "input", "output", "kernel", "stride", "pads", "C in", "C out", "MACs", "params"):
        assert col in header
    for layer in g.layers:
        assert any(line.startswith(layer.name + " ") for line in lines), layer.name
    total = next(line for line in lines if line.startswith("total"))
    macs = sum(ir.layer_macs(g, layer) for layer in g.layers)
    assert f"{macs:,}" in total and f"{len(g.layers)} layers" in total
    assert "live/total" not in out


def test_pruning_columns(nets, capsys):
    pytest.importorskip("hlsgen.prune")
    doc = inspect_json(nets["pruned"])
    rows = {r["name"]: r for r in doc["layers"]}
    convs = [r for r in doc["layers"] if r["op"] == "conv"]
    for r in convs:
        p = r["prune"]
        assert p["in_total"] == r["channels_in"] and p["out_total"] == r["channels_out"]
        assert p["macs"] == r["macs"] and p["macs_live"] <= p["macs"]
    assert doc["prune"]["macs_live"] < doc["prune"]["macs"] == doc["totals"]["macs"]
    assert rows[doc["layers"][0]["name"]]["prune"] is None   # the input quantizer has no pruning row
    out = inspect_text(nets["pruned"], capsys)
    assert "C in live/total" in out and "MACs live" in out and "pruning: MACs" in out
    assert f"{doc['prune']['macs_live']:,}" in out


def test_inspect_works_without_the_pruning_package(nets, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "hlsgen.prune", None)     # import hlsgen.prune -> ImportError
    out = inspect_text(nets["pruned"], capsys)
    assert "live/total" not in out and "total" in out


def test_float_model_with_calibration(nets, capsys):
    out = inspect_text(nets["float"], capsys, calibrate="random", no_prune=True)
    assert "float model" in out.splitlines()[0]
    assert "5x5" in out and "avgpool" in out


def test_kept_reasons_are_grouped():
    reasons = [f"channel {c}: tied by add 'a': channel {c} live in 'b'" for c in (1, 4, 9)]
    reasons += ["channel 2: border correction of constant channel 2 feeding 'c'"]
    assert inspect.kept_summary(reasons) == ("tied by add 'a': channel live in 'b' (x3); "
                                             "border correction of constant channel feeding 'c' (x1)")
    many = [f"channel {c}: reason {chr(97 + c)}" for c in range(6)]
    assert inspect.kept_summary(many).endswith("; 3 more")


def test_operators_and_whether_hlsgen_runs_them(nets, tmp_path):
    """inspect lists every operator the model uses with its count and whether hlsgen runs it; a model
    with one it does not run still gets the list, then the one-line error naming the node (exit 2)."""
    import onnx
    from onnx import helper
    doc = inspect_json(nets["dense"])
    ops = {o["op"]: o for o in doc["operators"]}
    assert ops["QLinearConv"]["count"] == sum(1 for r in doc["layers"] if r["op"] == "conv")
    assert all(o["runs"] for o in doc["operators"])
    m = onnx.load(str(nets["dense"]))
    out = m.graph.output[0].name
    m.graph.node[-1].output[0] = "logits_float"
    m.graph.node.append(helper.make_node("Softmax", ["logits_float"], [out], name="probabilities", axis=1))
    onnx.save(m, str(tmp_path / "softmax.onnx"))
    p = hlsgen("inspect", tmp_path / "softmax.onnx")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "'probabilities' (Softmax)" in p.stderr
    listed = {line.split()[0]: line.split()[2] for line in p.stdout.splitlines()[1:]}
    assert listed["Softmax"] == "NOT" and listed["QLinearConv"] == "runs", p.stdout

