"""hlsgen build MODEL --target T [--dsp-budget N] [--clock-mhz F] [--weights auto|resident|streamed] -o OUT.

Loads the model, compacts pruned channels, plans the engine and its schedule,
and writes OUT/plan.json, OUT/weights.bin and OUT/report.md, then every
emitter's files (hlsgen.emit.emit_all), all at once: OUT is replaced only when
everything was written.
"""
from __future__ import annotations

import importlib
import sys

from ..frontend import load
from ..plan.planner import make_plan
from ..util import Progress, atomic_dir


def _emitters():
    try:
        emit = importlib.import_module("hlsgen.emit")
    except ImportError:
        return None
    return getattr(emit, "emit_all", None)


def main(args) -> int:
    graph = load(args.model, calibrate=getattr(args, "calibrate", None))
    with Progress(1, "planning") as progress:
        plan = make_plan(graph, target=args.target, dsp_budget=args.dsp_budget,
                         clock_mhz=args.clock_mhz, weights=getattr(args, "weights", "auto"), progress=progress)
    emit_all = _emitters()
    with atomic_dir(args.output) as tmp:
        plan.write(tmp)
        if emit_all is not None:
            emit_all(plan, tmp)
    if getattr(args, "synth", False):
        from . import synth
        synth.main(type(args)(project=args.output))
    d = plan.data
    e = d["engine"]
    sys.stdout.write(f"{args.output}: {d['target']} PI={e['pi']} PO={e['po']} ({e['macs_per_cycle']} MACs/cycle), "
                     f"{d['total_cycles']} cycles, {d['fps']:.1f} fps at {d['clock_mhz']:g} MHz, "
                     f"{d['resources']['dsp']} DSPs; see report.md\n")
    return 0
