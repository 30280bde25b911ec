"""Simulators of a built project: csim (the generated HLS C++ compiled with g++) and
verilator (the RTL twin under cocotb); ``run`` picks one, ``split`` spreads a batch over workers."""
from __future__ import annotations

ENGINES = ("csim", "verilator", "tiled")


def run(engine: str, project, x, layers=None, trace=False) -> list:
    """The outputs of ENGINE (csim, verilator, or tiled: the plan on the numpy engine model) on batch X."""
    if engine == "csim":
        from . import csim
        return csim.simulate(project, x)
    if engine == "verilator":
        from . import verilator
        return verilator.simulate(project, x, layers=layers, trace=trace)
    from ..plan import tiled
    from ..plan.planner import Plan
    return tiled.run(Plan.load(project), x)
