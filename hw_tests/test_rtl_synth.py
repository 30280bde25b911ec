"""`hlsgen synth`: yosys synth_xilinx on the RTL twin, DSPs against the analytic resource model."""
from __future__ import annotations

import json

import pytest

from hlsgen.cli import main as cli
from hlsgen.commands.synth import SECTION
from hlsgen.examples import testnets


@pytest.mark.hw
@pytest.mark.slow
def test_yosys_dsp_count_within_10_percent_of_the_model(tmp_path):
    model = testnets.make("chain", tmp_path / "chain.onnx", prune=0.5)
    out = tmp_path / "out"
    assert cli(["build", str(model), "--dsp-budget", "32", "-o", str(out)]) == 0
    assert cli(["synth", str(out)]) == 0
    r = json.loads((out / "synth" / "resources.json").read_text())
    print(f"\n{'resource':8s} {'model':>8s} {'yosys':>8s}")
    for k in ("dsp", "lut", "ff", "bram36", "uram"):
        print(f"{k:8s} {r['model'][k]:8} {r['yosys'][k]:8g}")
    assert abs(r["yosys"]["dsp"] - r["model"]["dsp"]) <= 0.1 * r["model"]["dsp"]
    report = (out / "report.md").read_text()
    assert report.count(SECTION) == 1
    assert cli(["synth", str(out)]) == 0            # the section is replaced, not appended
    assert (out / "report.md").read_text().count(SECTION) == 1


def test_synth_needs_a_built_project(tmp_path, capsys):
    assert cli(["synth", str(tmp_path)]) == 2
    assert "plan.json" in capsys.readouterr().err
