"""The Python API: what the command line does, as functions that return objects.

    import hlsgen
    b = hlsgen.build("model.onnx", "model-u200", target="alveo-u200")   # or output=None: plan only
    print(b.engine, b.cycles, b.fps, b.resources["dsp"])
    sim = hlsgen.simulate("model-u200", x, engine="verilator")
    print(sim.cycles, sim.outputs[0].shape)
    rows = hlsgen.compare(["p00.onnx", "p50.onnx"], "cmp", dsp_budget=16).rows

Errors are ``hlsgen.UserError`` (bad input: one line naming the file, node or option).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import UserError
from .util import output_dir

if TYPE_CHECKING:
    from .plan.plan_types import PlanData


@dataclass
class Build:
    """A planned accelerator: the plan's figures, and the project folder when one was written."""
    plan: object                  # hlsgen.plan.planner.Plan
    folder: Path | None = None
    kernels: tuple = ()           # the Vitis kernels written: "hls" (kernel/), "rtl" (rtl/hlsgen_rtl.v)

    @property
    def data(self) -> "PlanData":
        return self.plan.data

    @property
    def target(self) -> str:
        return self.data.target

    @property
    def engine(self) -> str:
        e = self.data.engine
        return f"{e.pp}x{e.po}x{e.pi}"

    @property
    def cycles(self) -> int:
        return int(self.data.total_cycles)

    @property
    def fps(self) -> float:
        return float(self.data.fps)

    @property
    def latency_ms(self) -> float:
        return float(self.data.latency_ms)

    @property
    def clock_mhz(self) -> float:
        return float(self.data.clock_mhz)

    @property
    def resources(self) -> dict:
        return dict(self.data.resources)

    @property
    def macs(self) -> int:
        return int(self.data.macs)

    @property
    def macs_live(self) -> int:
        return int(self.data.macs_live)

    def summary(self) -> str:
        """The lines ``hlsgen build`` prints: the engine, batch-1 latency and throughput, then each compute
        unit's SLR and the share of that SLR it uses."""
        d, e = self.data, self.data.engine
        where = f"{self.folder}: " if self.folder is not None else ""
        cus = d.compute_units
        lines = [f"{where}{d.target} PP={e.pp} PO={e.po} PI={e.pi} ({e.macs_per_cycle} MACs/cycle, "
                 f"{e.epilogue_lanes} epilogue lanes) "
                 f"x {len(cus)} compute unit(s): latency {d.latency_ms:.3f} ms ({d.total_cycles} cycles), "
                 f"throughput {d.fps:.1f} fps at {d.clock_mhz:g} MHz, {d.resources['dsp']} DSPs per unit; "
                 "see report.md"]
        for i, cu in enumerate(cus):
            use = ", ".join(f"{k} {100 * cu.use[k]:.0f}%" for k in ("dsp", "lut", "ff", "bram36", "uram"))
            lines.append(f"  unit {i + 1} in {cu.slr} ({use} of the SLR), memory {' '.join(cu.act_banks)}"
                         f" + {cu.wgt_bank}" + (f" (activations on chip, {e.act_mem_bytes} bytes)"
                                                if e.act_mem_bytes else ""))
        return "\n".join(lines)


@dataclass
class Simulation:
    """Outputs of a simulated project (what onnxruntime returns for the model, one entry per output),
    and for Verilator the cycles it counted for one inference."""
    outputs: list
    engine: str
    cycles: int | None = None
    report: dict = field(default_factory=dict)


@dataclass
class Comparison:
    rows: list
    folder: Path


def _graph(model, calibrate=None):
    from .frontend import load
    if isinstance(model, (str, Path)):
        return load(model, calibrate=calibrate)
    return model                   # an ir.Graph already loaded


def build(model, output=None, *, target="alveo", dsp_budget=None, clock_mhz=None, weights="auto", array=None,
          calibrate=None, progress=None, guidance=False, kernel="both", compute_units=None,
          epilogue_lanes=None, activations="auto") -> Build:
    """Plan MODEL (an ONNX path or a loaded graph) for TARGET; with OUTPUT, write the accelerator
    project to that folder (new, empty or one hlsgen wrote: nothing else in it is touched).
    GUIDANCE: the plan also carries the pruning guidance (report.md's table; a few re-plans).
    KERNEL: the Vitis kernels written, 'hls', 'rtl' or 'both'; COMPUTE_UNITS: engines on the card (one per
    SLR; default: the count with the highest throughput); EPILOGUE_LANES: the epilogue's lanes (default: the
    planner's choice); ACTIVATIONS: 'auto', 'on-chip' (each CU's PLRAM) or 'off-chip'."""
    from .emit import KERNELS, write_project
    from .plan.planner import make_plan
    from .util import check_writable_folder
    if kernel not in KERNELS:
        raise UserError(f"--kernel {kernel}: expected one of {', '.join(KERNELS)}")
    if output is not None:
        check_writable_folder(output)     # before the planning, not after
    p = make_plan(_graph(model, calibrate), target=target, dsp_budget=dsp_budget, clock_mhz=clock_mhz,
                  weights=weights, array=array, progress=progress, guidance=guidance, compute_units=compute_units,
                  epilogue_lanes=epilogue_lanes, activations=activations)
    if output is None:
        return Build(p)
    with output_dir(output) as tmp:
        kernels = write_project(p, tmp, kernel)
    return Build(p, Path(output), kernels)


def run(model, x, calibrate=None) -> list:
    """The golden model's outputs for the batch X (each image one inference)."""
    from . import golden
    return golden.run(_graph(model, calibrate), np.asarray(x, np.float32))


def simulate(project, x, engine="csim", layers=None, trace=False, workers=None, scheduler=None) -> Simulation:
    """Run the batch X through a built project: 'csim' (the HLS kernel and host compiled with g++),
    'verilator' (the RTL twin), 'rtl-kernel' (the twin as the RTL kernel, over AXI4-Lite and AXI4) or
    'tiled' (the plan's invocations in numpy). Each image is one
    inference, as on the card. WORKERS (a LocalCluster of that many processes) or SCHEDULER (a Dask
    scheduler address) split the images over Dask workers: the same outputs, merged in order."""
    from . import cluster, sim
    from .sim import split
    if engine not in sim.ENGINES:
        raise UserError(f"--engine {engine}: expected one of {', '.join(sim.ENGINES)}")
    cluster.check_options(scheduler, workers)
    if trace and (scheduler or (workers or 1) > 1):
        raise UserError("--trace: writes one waveform of one simulator run; run it without --workers or --scheduler")
    project = Path(project).resolve()      # the simulators run in other folders (and processes)
    x = np.asarray(x, np.float32)
    with cluster.open_pool(scheduler, workers, "simulate") as pool:
        if pool.in_process:
            outputs = sim.run(engine, project, x, layers=layers, trace=trace)
        else:
            outputs = split.simulate(pool, engine, project, x, layers=layers)
    if engine not in sim.RTL_ENGINES:
        return Simulation(outputs, engine)
    from .sim import verilator
    report = json.loads(verilator.report_file(project, engine == "rtl-kernel").read_text())
    return Simulation(outputs, engine, int(report["cycles_total"]), report)


def compare(models, output, *, target="alveo", dsp_budget=None, data=None, simulate=None) -> Comparison:
    """Build every model into OUTPUT/<model>/ and write the comparison (compare.json, .md, .png)."""
    from .commands.compare import compare as _compare
    rows = _compare([str(m) for m in models], target, dsp_budget, output, data=data, simulate=simulate)
    return Comparison(rows, Path(output))
