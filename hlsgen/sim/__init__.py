"""Simulators of a built project: csim (the generated HLS C++ compiled with g++), verilator (the RTL
twin under cocotb, on its memory models) and rtl-kernel (the same twin as the packaged RTL kernel,
driven over AXI4-Lite with AXI4 memories); ``run`` picks one, ``split`` spreads a batch over workers."""
from __future__ import annotations

ENGINES = ("csim", "verilator", "rtl-kernel", "tiled")
RTL_ENGINES = ("verilator", "rtl-kernel")     # Verilator runs: they count cycles (sim/<engine>.json)


def run(engine: str, project, x, layers=None, trace=False) -> list:
    """The outputs of ENGINE (csim, verilator, rtl-kernel, or tiled: the plan on the numpy engine model) on
    batch X."""
    if engine == "csim":
        from . import csim
        return csim.simulate(project, x)
    if engine in RTL_ENGINES:
        from . import verilator
        return verilator.simulate(project, x, layers=layers, trace=trace, kernel=engine == "rtl-kernel")
    from ..plan import tiled
    from ..plan.plan_file import Plan
    return tiled.run(Plan.load(project), x)
