"""The resource model's per-lane figures (hlsgen/plan/resources.py, hlsgen/plan/engine.py) against yosys:
each lane unit synthesized alone (synth_xilinx -family xcup, as they were measured), its LUTs within 15%
of the model's and its DSPs equal to the model's. Also prints each unit's longest path after synthesis
(yosys ltp: cells on the longest combinational path; a figure, not a gate: how credible 300 MHz is)."""
from __future__ import annotations

import re

import pytest

from hlsgen.commands.synth import parse_stat, resources, run_yosys
from hlsgen.emit.rtl import ENGINE_UNITS, TEMPLATES
from hlsgen.plan import engine, resources as model

pytestmark = [pytest.mark.hw, pytest.mark.slow]

# unit: (model LUTs, model DSPs)
UNITS = {
    "hlsgen_requant": (model.LUT_REQUANT, engine.DSP_PER_REQUANT),
    "hlsgen_add": (model.LUT_ADD, engine.DSP_PER_ADD),
    "hlsgen_mul": (model.LUT_MUL, 1),
    "hlsgen_avg_tap": (model.LUT_AVG_TAP, 0),
    "hlsgen_avg_out": (model.LUT_AVG_OUT, 0),
}


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_lane_unit_resources_match_the_model(tmp_path, unit):
    files = " ".join(str(TEMPLATES / u) for u in ENGINE_UNITS)
    stat, ltp = tmp_path / "stat.txt", tmp_path / "ltp.txt"
    run_yosys(f"read_verilog {files}; hierarchy -top {unit}; synth_xilinx -family xcup -flatten -top {unit}; "
              f"tee -o {stat} stat; tee -o {ltp} ltp -noff", tmp_path / "yosys.log", progress=None)
    modules, _ = parse_stat(stat.read_text())
    got = resources(modules[unit])
    path = re.search(r"length=(\d+)", ltp.read_text())
    lut, dsp = UNITS[unit]
    print(f"\n{unit}: LUT {got['lut']:g} (model {lut}), DSP {got['dsp']:g} (model {dsp}), "
          f"longest path {path.group(1) if path else '?'} cells")
    assert abs(got["lut"] - lut) <= 0.15 * lut
    assert got["dsp"] == dsp
