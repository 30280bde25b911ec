"""hlsgen simulate --workers N: the images split over Dask worker processes (each its own copy of the
project), the outputs merged in order: the same bytes as one serial run; verilator.json sums the
cycles per image."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from hlsgen.cli import main
from hlsgen.examples import testnets


def _project(tmp_path, kind="chain", **size):
    model = testnets.make(kind, tmp_path / f"{kind}.onnx", **size)
    out = tmp_path / "project"
    assert main(["build", str(model), "--dsp-budget", "16", "-o", str(out)]) == 0
    return model, out


def _serial_and_split(tmp_path, monkeypatch, engine, n, workers=2, kind="chain", **size):
    """Outputs (file bytes) and verilator.json of a serial run and of a run over WORKERS, the second with
    relative paths from another working directory."""
    model, project = _project(tmp_path, kind, **size)
    np.save(tmp_path / "x.npy", testnets.random_input(model, n=n, seed=7))
    assert main(["simulate", str(project), "--engine", engine, "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y1.npy")]) == 0
    rep1 = json.loads((project / "sim" / "verilator.json").read_text()) if engine == "verilator" else None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rel = os.path.relpath(project, elsewhere)
    assert main(["simulate", rel, "--engine", engine, "--input", "../x.npy", "--output", "y2.npy",
                 "--workers", str(workers)]) == 0
    rep2 = json.loads((project / "sim" / "verilator.json").read_text()) if engine == "verilator" else None
    return (tmp_path / "y1.npy").read_bytes(), (elsewhere / "y2.npy").read_bytes(), rep1, rep2


@pytest.mark.hw
def test_csim_over_two_workers_equals_serial(tmp_path, monkeypatch):
    y1, y2, _, _ = _serial_and_split(tmp_path, monkeypatch, "csim", n=5, hw=8)     # 5 images: parts of 2 and 3
    assert y1 == y2
    assert np.load(tmp_path / "y1.npy").shape[0] == 5


def test_tiled_over_two_workers_equals_serial(tmp_path, monkeypatch):
    y1, y2, _, _ = _serial_and_split(tmp_path, monkeypatch, "tiled", n=3, hw=8)
    assert y1 == y2


@pytest.mark.slow
def test_verilator_16_images_over_two_workers_equals_serial(tmp_path, monkeypatch):
    y1, y2, rep1, rep2 = _serial_and_split(tmp_path, monkeypatch, "verilator", n=16, kind="vgg")
    assert y1 == y2
    assert rep2["parts"] == 2 and rep2["samples"] == rep1["samples"] == 16
    assert rep2["cycles_per_sample"] == rep1["cycles_per_sample"]
    assert rep2["cycles_all_samples"] == sum(rep1["cycles_per_sample"]) == rep1["cycles_all_samples"]
    for k in ("cycles_total", "model_cycles_total", "preload_cycles", "layers"):
        assert rep2[k] == rep1[k], k


def test_trace_needs_one_simulator_run(tmp_path, capsys):
    model, project = _project(tmp_path, hw=8)
    np.save(tmp_path / "x.npy", testnets.random_input(model, n=2))
    capsys.readouterr()
    assert main(["simulate", str(project), "--engine", "verilator", "--trace", "--workers", "2", "--input",
                 str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hlsgen simulate: error: --trace:") and err.count("\n") == 1
    assert not (tmp_path / "y.npy").exists()
