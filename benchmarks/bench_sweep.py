"""Benchmark: wall time of a design-space sweep and of a Verilator batch, serial against Dask workers.

Both measured in this run, on this machine:

* ``hlsgen sweep`` of the example networks (hlsgen.examples.zoo, default: resnet50 and resnet18
  at 0 and 50% pruning) x 3 targets x 3 DSP budgets: in this process (--workers 1), then on a
  LocalCluster of --workers processes (its start-up included); the two sweep.json files must hold
  the same points.
* ``hlsgen simulate --engine verilator`` of --images inputs on the pruned VGG-style test net
  (hlsgen.examples.testnets, 3x32x32, width 16, --dsp-budget 32): one
  simulator run, then the images split over --workers processes (cluster start-up, packing and
  unpacking the project included; the simulator is compiled before either is timed); the outputs
  must be the same bytes.

Figures, not assertions. Models are cached in $HLSGEN_BENCH_CACHE (default: a folder under the
system temp dir).

    python benchmarks/bench_sweep.py [--workers 2] [--images 16] [--nets resnet50,resnet18]
                                     [--hw 32] [--width 16] [--only sweep|verilator]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hlsgen.cli import main as cli
from hlsgen.examples import testnets

from bench_plan import model as cached      # the example networks, cached as bench_plan caches them

TARGETS = "alveo-u50,alveo-u200,alveo-u280"
BUDGETS = "256,1024,2048"


def timed(argv: list) -> float:
    t0 = time.perf_counter()
    assert cli(argv) == 0, argv
    return time.perf_counter() - t0


def load() -> str:
    """The 1-minute load average: on a shared machine, how many CPUs other work was using."""
    return f"load {os.getloadavg()[0]:.2f}"


def bench_sweep(nets: list, workers: int, tmp: Path) -> None:
    models = [str(cached(n, p)) for n in nets for p in (0.0, 0.5)]
    args = ["sweep", *models, "--targets", TARGETS, "--dsp-budgets", BUDGETS]
    before = load()
    serial = timed(args + ["--workers", "1", "-o", str(tmp / "serial")])
    between = load()
    parallel = timed(args + ["--workers", str(workers), "-o", str(tmp / "parallel")])
    a = json.loads((tmp / "serial" / "sweep.json").read_text())["points"]
    b = json.loads((tmp / "parallel" / "sweep.json").read_text())["points"]
    failed = sum("error" in p for p in a)
    print(f"sweep: {len(models)} models x 3 targets x 3 budgets = {len(a)} points ({failed} refused by the planner)")
    print(f"  in this process:             {serial:7.2f} s ({before} before)")
    print(f"  LocalCluster of {workers} workers:   {parallel:7.2f} s ({between} before; start-up included)  "
          f"speedup {serial / parallel:.2f}x  same points: {'yes' if a == b else 'NO'}")


def bench_verilator(images: int, workers: int, tmp: Path, hw: int, width: int) -> None:
    model = testnets.make("vgg", tmp / "vgg.onnx", prune=0.5, hw=hw, width=width)
    project = tmp / "vgg"
    assert cli(["build", str(model), "--dsp-budget", "32", "-o", str(project)]) == 0
    np.save(tmp / "x1.npy", testnets.random_input(model, n=1))
    np.save(tmp / "x.npy", testnets.random_input(model, n=images, seed=1))
    sim = ["simulate", str(project), "--engine", "verilator"]
    compile_s = timed(sim + ["--input", str(tmp / "x1.npy"), "--output", str(tmp / "y1.npy")])
    before = load()
    serial = timed(sim + ["--input", str(tmp / "x.npy"), "--output", str(tmp / "ys.npy")])
    rep = json.loads((project / "sim" / "verilator.json").read_text())
    between = load()
    parallel = timed(sim + ["--input", str(tmp / "x.npy"), "--output", str(tmp / "yp.npy"), "--workers", str(workers)])
    same = (tmp / "ys.npy").read_bytes() == (tmp / "yp.npy").read_bytes()
    print(f"verilator: {images} images of the pruned VGG-style test net (3x{hw}x{hw}, width {width}; "
          f"{rep['cycles_total']:,} cycles each), "
          f"simulator compiled first ({compile_s:.1f} s with 1 image)")
    print(f"  one simulator run:           {serial:7.2f} s ({before} before)")
    print(f"  LocalCluster of {workers} workers:   {parallel:7.2f} s ({between} before; start-up included)  "
          f"speedup {serial / parallel:.2f}x  same bytes: {'yes' if same else 'NO'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--nets", default="resnet50,resnet18")
    ap.add_argument("--hw", type=int, default=32, help="input size of the VGG-style test net")
    ap.add_argument("--width", type=int, default=16, help="channels of its first layer")
    ap.add_argument("--only", choices=("sweep", "verilator"))
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; workers: {args.workers}")
    with tempfile.TemporaryDirectory(prefix="hlsgen-bench-sweep-") as tmp:
        if args.only != "verilator":
            bench_sweep(args.nets.split(","), args.workers, Path(tmp))
        if args.only != "sweep":
            bench_verilator(args.images, args.workers, Path(tmp), args.hw, args.width)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
