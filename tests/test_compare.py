"""hlsgen compare on a 0/50/75% pruning series: cycles fall at each level; json, markdown and a real PNG."""
import json
import os
import struct

import numpy as np
import pytest

from hlsgen.examples import testnets
from testkit import hlsgen


@pytest.fixture(scope="module")
def series(testnet, tmp_path_factory):
    d = tmp_path_factory.mktemp("series")
    return [testnet("chain", out=d / f"chain-p{int(100 * p):02d}.onnx", prune=p, width=16)
            for p in (0.0, 0.5, 0.75)]


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_compare_series(series, tmp_path):
    out = tmp_path / "cmp"
    data = tmp_path / "data"
    data.mkdir()
    x = testnets.random_input(series[0], n=6, seed=3)
    np.save(data / "x.npy", x)
    np.save(data / "y.npy", np.arange(6) % 10)
    done = hlsgen("compare", *series, "--target", "alveo-u200", "--dsp-budget", "16", "--data", data, "-o", out)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "compare.json").read_text())
    models = doc["models"]
    assert [m["model"] for m in models] == [p.stem for p in series]
    cycles = [m["cycles"] for m in models]
    assert cycles[0] > cycles[1] > cycles[2], cycles
    assert models[0]["macs_live"] > models[1]["macs_live"] > models[2]["macs_live"]
    assert models[0]["macs"] == models[1]["macs"] == models[2]["macs"]
    assert models[0]["params_live"] > models[1]["params_live"] > models[2]["params_live"]
    for m in models:
        assert set(m) >= {"model", "macs", "macs_live", "params_live", "cycles", "fps", "speedup", "resources",
                          "accuracy"}
        assert 0.0 <= m["accuracy"] <= 1.0
        assert m["speedup"] == pytest.approx(cycles[0] / m["cycles"], rel=1e-3)
    md = (out / "compare.md").read_text()
    for p in series:
        assert p.stem in md
    w, h = _png_size(out / "compare.png")
    assert w > 600 and h > 300
    # one project per model, built like 'hlsgen build', each with as many compute units as the first
    units = [len(json.loads((out / p.stem / "plan.json").read_text())["compute_units"]) for p in series]
    assert units == [units[0]] * len(series), units


def test_compare_bad_data(series, tmp_path):
    done = hlsgen("compare", series[0], "--data", tmp_path, "-o", tmp_path / "cmp")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "x.npy" in done.stderr
    assert not (tmp_path / "cmp").exists()


def test_compare_missing_model(tmp_path):
    done = hlsgen("compare", tmp_path / "nope.onnx", "-o", tmp_path / "cmp")
    assert done.returncode == 2 and "nope.onnx" in done.stderr


def test_conversion_is_speedup_over_mac_reduction():
    """conversion: the share of the pruned MACs that became fewer cycles (issue 17)."""
    from hlsgen.report import compare as report
    rows = report.finish_rows([{"cycles": 1000, "macs": 400, "macs_live": 400},
                               {"cycles": 500, "macs": 400, "macs_live": 100}])
    assert rows[1]["speedup"] == 2.0 and rows[1]["mac_reduction"] == 4.0 and rows[1]["conversion"] == 0.5
    assert rows[0]["conversion"] == 1.0


def test_compare_accuracy_on_two_workers(series, tmp_path, monkeypatch):
    """--workers 2: the labelled set split over two Dask worker processes gives the serial accuracies;
    relative paths from another working directory."""
    from hlsgen.cli import main
    data = tmp_path / "data"
    data.mkdir()
    x = testnets.random_input(series[0], n=9, seed=4)
    np.save(data / "x.npy", x)
    from hlsgen import golden
    from hlsgen.frontend import load
    pred = golden.run(load(series[0]), x)[0].reshape(9, -1).argmax(1)
    np.save(data / "y.npy", np.where(np.arange(9) % 2 == 0, pred, (pred + 1) % 10))   # 5 of 9 right for p00
    models = [str(m) for m in series[:2]]
    assert main(["compare", *models, "--dsp-budget", "16", "--data", str(data), "-o", str(tmp_path / "c1")]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rel = [os.path.relpath(m, elsewhere) for m in models]
    assert main(["compare", *rel, "--dsp-budget", "16", "--data", "../data", "--workers", "2", "-o", "c2"]) == 0
    one = json.loads((tmp_path / "c1" / "compare.json").read_text())["models"]
    two = json.loads((elsewhere / "c2" / "compare.json").read_text())["models"]
    assert [m["accuracy"] for m in two] == [m["accuracy"] for m in one]
    assert one[0]["accuracy"] == 5 / 9
    assert [m["cycles"] for m in two] == [m["cycles"] for m in one]


def test_compare_plans_every_model_on_the_first_models_layout(example, tmp_path):
    """lenet-digits pruned 75% alone gets two compute units at 16 DSPs, the dense one one: compare plans
    both with one, so their cycles (batch-1 latency) and fps compare on the same layout."""
    from hlsgen.frontend import load
    from hlsgen.plan import make_plan
    dense = example("lenet-digits", 0.0, out=tmp_path / "p00.onnx")
    pruned = example("lenet-digits", 0.75, out=tmp_path / "p75.onnx")
    alone = [len(make_plan(load(m), "alveo-u200", dsp_budget=16).data.compute_units) for m in (dense, pruned)]
    assert alone[0] < alone[1], alone
    out = tmp_path / "cmp"
    done = hlsgen("compare", dense, pruned, "--target", "alveo-u200", "--dsp-budget", "16", "-o", out)
    assert done.returncode == 0, done.stderr
    units = [len(json.loads((out / m.stem / "plan.json").read_text())["compute_units"]) for m in (dense, pruned)]
    assert units == [alone[0], alone[0]]
