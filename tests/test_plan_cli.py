"""hlsgen build: files written atomically and deterministically; bad options exit 2."""
from __future__ import annotations

import json

import pytest

from hlsgen.cli import main
from hlsgen.plan import engine


@pytest.fixture(scope="module")
def model(testnet):
    return testnet("resnet")


def test_build_writes_plan_deterministically(model, tmp_path):
    for out in ("a", "b"):
        assert main(["build", str(model), "--target", "alveo", "--dsp-budget", "64",
                     "-o", str(tmp_path / out)]) == 0
    for name in ("plan.json", "weights.bin", "report.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    d = json.loads((tmp_path / "a" / "plan.json").read_text())
    for key in ("target", "clock_mhz", "engine", "resources", "total_cycles", "fps", "layers",
                "invocations", "tensors", "host"):
        assert key in d
    assert d["target"] == "alveo-u200" and d["clock_mhz"] == 300
    assert set(d["resources"]) == {"dsp", "lut", "ff", "bram36", "uram"}
    assert d["resources"]["dsp"] <= 64
    assert len((tmp_path / "a" / "weights.bin").read_bytes()) == d["weights_bytes"]
    assert "| /block1/conv1/Conv_quant | conv |" in (tmp_path / "a" / "report.md").read_text()


@pytest.mark.parametrize("args,msg", [
    (["--target", "alveo-u9000"], "unknown target (known: alveo,"),
    (["--dsp-budget", "999999"], "DSPs in its user region"),
    (["--dsp-budget", "3"], "too small"),
    (["--clock-mhz", "0"], "--clock-mhz"),
])
def test_bad_options_exit_2(model, tmp_path, capsys, args, msg):
    out = tmp_path / "out"
    assert main(["build", str(model), "-o", str(out)] + args) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1 + err.count("planning")
    assert not out.exists()


def test_targets_have_sourced_figures():
    data = engine.load_targets()
    assert {"alveo-u50", "alveo-u55c", "alveo-u200", "alveo-u250", "alveo-u280", "zcu104"} <= set(data["targets"])
    for t in data["targets"].values():
        for group in ("device", "user", "memory"):
            assert t[group]["source"]
        assert t["user"]["dsp"] <= t["device"]["dsp"]
        p = engine.ports(t, t["clock_mhz"])
        for port in p.values():
            bpc = port["bytes_per_cycle"]
            assert bpc & (bpc - 1) == 0 and 1 <= bpc <= 64


def test_engine_that_does_not_fit_stops(model, tmp_path, capsys, monkeypatch):
    real = engine.load_targets()

    def small():
        data = json.loads(json.dumps(real))
        for slr in data["targets"]["alveo-u200"]["slrs"]:
            slr["bram36"] = 10                                        # less than the AXI FIFOs need
        return data
    monkeypatch.setattr(engine, "load_targets", small)
    assert main(["build", str(model), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no engine fits the target (bram36" in err and "largest DSP budget that fits: none" in err
