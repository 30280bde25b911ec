"""Build + C simulation of the small test networks (goal: <= 60 s each): the pruned
ResNet-style net with the planner's array, and the pruned VGG net pinned to 4 pixel
lanes with its max pool fused into a conv.

Prints the time of each stage (model generation, hlsgen build, g++ compile of
kernel + host, csim run of a batch of 2) and checks the result against
onnxruntime; the compile cache is bypassed so the figure is a cold build.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hlsgen import cli
from hlsgen.examples import testnets
from hlsgen.golden.reference import ort_run
from hlsgen.sim import csim

GOAL_S = 60.0


CASES = [  # (name, test net, prune, build options)
    ("resnet, planner's array", "resnet", 0.5, ["--dsp-budget", "64"]),
    ("vgg, PP=4 + fused pool", "vgg", 0.5, ["--dsp-budget", "200", "--array", "4x8x4"]),
]


def run_case(d: Path, kind: str, prune: float, options: list) -> tuple:
    """(times of model generation, build, g++, csim; mismatches; output size; engine line)."""
    t0 = time.perf_counter()
    model = testnets.make(kind, d / f"{kind}.onnx", fmt="qdq", prune=prune)
    x = testnets.random_input(model, n=2)
    t1 = time.perf_counter()
    if cli.main(["build", str(model), *options, "-o", str(d / "out")]) != 0:
        raise SystemExit(1)
    t2 = time.perf_counter()
    csim.build(d / "out")
    t3 = time.perf_counter()
    (y,) = csim.simulate(d / "out", x)
    t4 = time.perf_counter()
    (want,) = ort_run(model, x)
    return (t1 - t0, t2 - t1, t3 - t2, t4 - t3), int(np.count_nonzero(y != want)), y.size


def main() -> int:
    bad_total = 0
    for name, kind, prune, options in CASES:
        with tempfile.TemporaryDirectory() as d:
            (gen, build, cxx, run), bad, size = run_case(Path(d), kind, prune, options)
        total = build + cxx + run
        bad_total += bad
        print(f"== {name} ({' '.join(options)})")
        print(f"model generation     {gen:7.2f} s (not counted)")
        print(f"hlsgen build         {build:7.2f} s")
        print(f"g++ kernel + host    {cxx:7.2f} s")
        print(f"csim run (batch 2)   {run:7.2f} s")
        print(f"build + csim         {total:7.2f} s   goal <= {GOAL_S:.0f} s   ratio {total / GOAL_S:.2f}")
        print(f"mismatches vs onnxruntime: {bad} of {size}")
    return 0 if bad_total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
