"""The measured cost of each per-lane RTL unit, read from the unit's own file.

Each lane unit the resource model counts (templates/rtl/hlsgen_requant.v, hlsgen_add.v, hlsgen_mul.v,
hlsgen_avg_tap.v, hlsgen_avg_out.v) carries one line

    // cost (yosys synth_xilinx -family xcup, this unit alone): lut=N dsp=N path=N

next to the logic it measures: LUTs (LUT1..LUT6), DSP48E2s, and the cells on its longest
combinational path after synthesis (yosys ``ltp -noff``: how credible the clock is, not a resource).
Whoever changes a unit re-measures it with hw_tests/test_unit_resources.py (slow), which synthesizes
each unit alone and checks its line.
"""
from __future__ import annotations

import functools
import re

from .. import package_data

# the lane units the resource model counts (hlsgen synth keeps a wider set as modules: its LANE_UNITS)
COSTED_UNITS = ("hlsgen_requant", "hlsgen_add", "hlsgen_mul", "hlsgen_avg_tap", "hlsgen_avg_out")
COST_LINE = re.compile(r"^// cost \(yosys synth_xilinx -family xcup, this unit alone\): (.+)$", re.M)
KEYS = ("lut", "dsp", "path")


@functools.lru_cache(maxsize=None)
def unit_cost(unit: str) -> dict:
    """{lut, dsp, path} of lane unit UNIT, from its file's cost line."""
    path = package_data.templates() / "rtl" / f"{unit}.v"
    m = COST_LINE.search(path.read_text())
    if m is None:
        raise AssertionError(f"{path.name}: no cost line (see hlsgen/plan/unit_costs.py)")
    cost = dict(kv.split("=", 1) for kv in m.group(1).split())
    if sorted(cost) != sorted(KEYS):
        raise AssertionError(f"{path.name}: cost line needs {', '.join(KEYS)}, has {', '.join(cost)}")
    return {k: int(v) for k, v in cost.items()}
