"""Pruning guidance (issue 17): pruning a channel group to the suggested lane multiple saves exactly
the cycles the guidance predicts; inspect --target and report.md show it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hlsgen.cli import main as cli
from hlsgen.frontend import load
from hlsgen.plan import make_plan
from hlsgen.prune import compact

TARGET = "alveo-u200"


@pytest.fixture(scope="module")
def model(example):
    """resnet20-cifar, 30% of the channels pruned by coupled groups: counts off the lane multiples."""
    return example("resnet20-cifar", 0.3)


@pytest.fixture(scope="module")
def planned(model):
    return make_plan(load(model), target=TARGET, guidance=True).data


def _zero_last(graph, layers, n):
    """GRAPH with the last N output channels of LAYERS pruned the way a pruner does it: weights at
    their zero point, bias 0 (the channels then compact away)."""
    g = graph.copy()
    for layer in g.layers:
        if layer.name in layers:
            p = layer.params
            p["w"] = p["w"].copy()
            p["w"][-n:] = np.asarray(p["w_zp"])[-n:].reshape((n,) + (1,) * (p["w"].ndim - 1))
            p["b"] = p["b"].copy()
            p["b"][-n:] = 0
    return g


def test_pruning_to_the_suggestion_saves_the_predicted_cycles(model, planned):
    e = planned.engine
    array = f"{e.pp}x{e.po}x{e.pi}"
    useful = [s for s in planned.guidance if s["cycles_saved"] > 0]
    assert len(useful) >= 4
    assert {s["lanes"] for s in useful} <= {e.pi, e.po}
    g2, _ = compact(load(model))
    assert make_plan(g2, target=TARGET, array=array).data.total_cycles == planned.total_cycles
    for s in useful:
        assert s["to"] % s["lanes"] == 0 and s["channels"] - s["prune"] == s["to"] > 0
        got = make_plan(_zero_last(g2, s["layers"], s["prune"]), target=TARGET, array=array).data
        live = {r["name"]: r["channels_live"] for r in got.layers}
        assert all(live[name] == s["to"] for name in s["layers"]), s
        assert planned.total_cycles - got.total_cycles == s["cycles_saved"], s


def test_residual_streams_are_one_group(planned):
    """A residual stream's convs (shortcut and every block's last conv) prune together."""
    streams = [s for s in planned.guidance if any("down" in name for name in s["layers"])]
    assert streams and all(len(s["layers"]) >= 3 for s in streams)


def test_inspect_target_shows_lanes_and_guidance(model, capsys):
    assert cli(["inspect", str(model), "--target", TARGET]) == 0
    out = capsys.readouterr().out
    assert "C out live/lanes" in out and "pruning guidance for alveo-u200" in out
    assert "more filters of /layers/" in out and " -> " in out
    assert cli(["inspect", str(model), "--target", TARGET, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plan"]["guidance"] and doc["plan"]["total_cycles"] > 0
    conv = next(r for r in doc["layers"] if r["op"] == "conv")
    assert "/" in conv["plan"]["lanes"] and conv["plan"]["cycles"] > 0


def test_inspect_bad_target_is_one_line(model, capsys):
    assert cli(["inspect", str(model), "--target", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--target" in err and len(err.strip().splitlines()) == 1


def test_build_report_has_the_guidance(model, tmp_path, capsys):
    assert cli(["build", str(model), "--target", TARGET, "-o", str(tmp_path / "p")]) == 0
    report = (tmp_path / "p" / "report.md").read_text()
    assert "## Pruning guidance" in report and "| layers (coupled) |" in report
    assert json.loads((tmp_path / "p" / "plan.json").read_text())["guidance"]
