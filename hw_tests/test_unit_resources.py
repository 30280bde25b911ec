"""Each lane unit's cost line (templates/rtl/<unit>.v, read by hlsgen.plan.unit_costs into the resource
model) against yosys: the unit synthesized alone (synth_xilinx -family xcup, as it was measured), its
LUTs and its longest path (yosys ltp -noff: cells on the longest combinational path, a figure of how
credible 300 MHz is) within 15% of the line's, its DSPs equal. Whoever changes a unit updates its line
from this test's output."""
from __future__ import annotations

import re

import pytest

from hlsgen.commands.synth import parse_stat, resources, run_yosys
from hlsgen.emit.rtl import ENGINE_UNITS, TEMPLATES
from hlsgen.plan.unit_costs import COSTED_UNITS, unit_cost

pytestmark = [pytest.mark.hw, pytest.mark.slow]


@pytest.mark.parametrize("unit", sorted(COSTED_UNITS))
def test_lane_unit_resources_match_the_model(tmp_path, unit):
    files = " ".join(str(TEMPLATES / u) for u in ENGINE_UNITS)
    stat, ltp = tmp_path / "stat.txt", tmp_path / "ltp.txt"
    run_yosys(f"read_verilog {files}; hierarchy -top {unit}; synth_xilinx -family xcup -flatten -top {unit}; "
              f"tee -o {stat} stat; tee -o {ltp} ltp -noff", tmp_path / "yosys.log", progress=None)
    modules, _ = parse_stat(stat.read_text())
    got = resources(modules[unit])
    path = int(re.search(r"length=(\d+)", ltp.read_text()).group(1))
    cost = unit_cost(unit)
    print(f"\n{unit}: lut={got['lut']:g} dsp={got['dsp']:g} path={path} (its cost line: lut={cost['lut']} "
          f"dsp={cost['dsp']} path={cost['path']})")
    assert abs(got["lut"] - cost["lut"]) <= 0.15 * cost["lut"]
    assert abs(path - cost["path"]) <= 0.15 * cost["path"]
    assert got["dsp"] == cost["dsp"]
