"""Build + C simulation of the small ResNet-style test network (goal: <= 60 s).

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


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t0 = time.perf_counter()
        model = testnets.make("resnet", d / "resnet.onnx", fmt="qdq", prune=0.5)
        x = testnets.random_input(model, n=2)
        t1 = time.perf_counter()
        if cli.main(["build", str(model), "--dsp-budget", "64", "-o", str(d / "out")]) != 0:
            return 1
        t2 = time.perf_counter()
        csim.build(d / "out")
        t3 = time.perf_counter()
        (y,) = csim.simulate(d / "out", x)
        t4 = time.perf_counter()
        (want,) = ort_run(model, x)
        bad = int(np.count_nonzero(y != want))
    total = t4 - t1
    print(f"model generation     {t1 - t0:7.2f} s (not counted)")
    print(f"hlsgen build         {t2 - t1:7.2f} s")
    print(f"g++ kernel + host    {t3 - t2:7.2f} s")
    print(f"csim run (batch 2)   {t4 - t3:7.2f} s")
    print(f"build + csim         {total:7.2f} s   goal <= {GOAL_S:.0f} s   ratio {total / GOAL_S:.2f}")
    print(f"mismatches vs onnxruntime: {bad} of {y.size}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
