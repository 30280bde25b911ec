"""The planner: engine configuration, schedule of invocations, cycle and resource estimates.

``make_plan(graph, target='alveo', dsp_budget=None, clock_mhz=None, weights='auto', array=None,
guidance=False, compute_units=None, epilogue_lanes=None, activations='auto') -> Plan`` (guidance: the
pruning guidance of ``hlsgen.plan.guidance`` too; compute_units: engines on the card, one per SLR, default
the count with the highest throughput; epilogue_lanes: the epilogue's lanes E, default the planner's
choice; activations: 'on-chip' in each CU's PLRAM, 'off-chip', or 'auto');
``Plan.write(folder)`` writes plan.json, weights.bin and report.md;
``hlsgen.plan.tiled.run(plan, x)`` executes the plan's invocations on a numpy engine model.
"""
from __future__ import annotations


def make_plan(graph, target="alveo", dsp_budget=None, clock_mhz=None, weights="auto", array=None, guidance=False,
              compute_units=None, epilogue_lanes=None, activations="auto"):
    from .planner import make_plan as _make_plan
    return _make_plan(graph, target=target, dsp_budget=dsp_budget, clock_mhz=clock_mhz, weights=weights,
                      array=array, guidance=guidance, compute_units=compute_units, epilogue_lanes=epilogue_lanes,
                      activations=activations)
