"""`hlsgen synth`: yosys synth_xilinx on the RTL twin, DSPs against the analytic resource model.

The whole engine of a 32-DSP build takes a few minutes (units synthesized once each, see
hlsgen/commands/synth.py); the fast checks of the counting are in tests/test_synth.py."""
from __future__ import annotations

import json
import time

import pytest

from hlsgen.cli import main as cli
from hlsgen.commands import synth
from hlsgen.commands.synth import SECTION
from hlsgen.examples import testnets


@pytest.mark.hw
@pytest.mark.slow
def test_yosys_dsp_count_within_10_percent_of_the_model(tmp_path):
    model = testnets.make("chain", tmp_path / "chain.onnx", prune=0.5)
    out = tmp_path / "out"
    assert cli(["build", str(model), "--dsp-budget", "32", "-o", str(out)]) == 0
    t0 = time.perf_counter()
    assert cli(["synth", str(out)]) == 0
    r = json.loads((out / "synth" / "resources.json").read_text())
    print(f"\nsynth {time.perf_counter() - t0:.0f} s (yosys {r['seconds']} s), engine {r['engine']}")
    print(f"{'resource':8s} {'model':>8s} {'yosys':>8s}")
    for k in ("dsp", "lut", "ff", "bram36", "uram"):
        print(f"{k:8s} {r['model'][k]:8} {r['yosys'][k]:8g}")
    for row in r["modules"]:
        print(f"  {row['module']:40s} x{row['instances']:<4d} dsp {row['dsp']:g} lut {row['lut']:g} ff {row['ff']:g}")
    assert sum(row["dsp"] * row["instances"] for row in r["modules"]) == r["yosys"]["dsp"]
    assert abs(r["yosys"]["dsp"] - r["model"]["dsp"]) <= 0.1 * r["model"]["dsp"]
    report = (out / "report.md").read_text()
    assert report.count(SECTION) == 1
    synth.update_report(out, synth.table(r))        # the section is replaced, not appended
    assert (out / "report.md").read_text().count(SECTION) == 1


def test_synth_needs_a_built_project(tmp_path, capsys):
    assert cli(["synth", str(tmp_path)]) == 2
    assert "plan.json" in capsys.readouterr().err
