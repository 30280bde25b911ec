"""hlsgen build MODEL --target T [--dsp-budget N] [--clock-mhz F] [--weights auto|resident|streamed] -o OUT.

Loads the model, compacts pruned channels, plans the engine and its schedule,
and writes OUT/plan.json, OUT/weights.bin and OUT/report.md, then every
emitter's files (hlsgen.emit.emit_all), all at once: OUT is replaced only when
everything was written.
"""
from __future__ import annotations

import sys

from ..emit import emit_all
from ..frontend import load
from ..plan.planner import make_plan
from ..util import Progress, atomic_dir


def write_project(plan, folder) -> None:
    """The whole accelerator project in FOLDER: plan.json, weights.bin, report.md and every emitter's files."""
    plan.write(folder)
    emit_all(plan, folder)


def main(args) -> int:
    graph = load(args.model, calibrate=getattr(args, "calibrate", None))
    with Progress(1, "planning") as progress:
        plan = make_plan(graph, target=args.target, dsp_budget=args.dsp_budget,
                         clock_mhz=args.clock_mhz, weights=getattr(args, "weights", "auto"), progress=progress,
                         array=getattr(args, "array", None), guidance=True)
    with atomic_dir(args.output) as tmp:
        write_project(plan, tmp)
    if getattr(args, "synth", False):
        from . import synth
        synth.main(type(args)(project=args.output))
    d = plan.data
    e = d["engine"]
    sys.stdout.write(f"{args.output}: {d['target']} PP={e['pp']} PO={e['po']} PI={e['pi']} "
                     f"({e['macs_per_cycle']} MACs/cycle), "
                     f"{d['total_cycles']} cycles, {d['fps']:.1f} fps at {d['clock_mhz']:g} MHz, "
                     f"{d['resources']['dsp']} DSPs; see report.md\n")
    return 0
