"""hlsgen build MODEL --target T [--dsp-budget N] [--clock-mhz F] [--weights auto|resident|streamed]
[--activations auto|on-chip|off-chip] [--compute-units N] [--kernel hls|rtl|both] -o OUT.

Loads the model, compacts pruned channels, plans the engine and its schedule, and writes
OUT/plan.json, OUT/weights.bin, OUT/report.md and every emitter's files (hlsgen.api.build): OUT
changes only when everything was written, and only hlsgen's own files in it.
"""
from __future__ import annotations

import sys

from .. import api
from ..util import Progress


def main(args) -> int:
    with Progress(1, "planning") as progress:
        b = api.build(args.model, args.output, target=args.target, dsp_budget=args.dsp_budget,
                      clock_mhz=args.clock_mhz, weights=args.weights, array=args.array,
                      calibrate=args.calibrate, progress=progress, guidance=True,
                      kernel=args.kernel, compute_units=args.compute_units,
                      epilogue_lanes=args.epilogue_lanes, activations=args.activations)
    if args.synth:
        from . import synth
        synth.main(type(args)(project=args.output))
    sys.stdout.write(b.summary() + "\n")
    return 0
