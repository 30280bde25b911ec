"""Golden model vs onnxruntime on an int8 ResNet-50, 224x224, batch 1: both timed in the same run.

    python benchmarks/bench_golden.py [--model resnet50.onnx] [--format qop|qdq] [--repeat 5] [--profile]

Without --model the network comes from the example zoo (``make_example('resnet50')``, random
weights, quantized by onnxruntime).  Both sides run on one thread (onnxruntime's reference
session is single-threaded; numpy's BLAS is limited to one thread here too), the median of
--repeat alternating runs after a warm-up, in wall and CPU time.  Prints both times, the ratio
(goal: golden <= 3x onnxruntime), whether the outputs agree, and, with --profile or when the
goal is missed, where the golden model's time goes.  Asserts nothing.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402  (after the thread limits, which must precede numpy)
import cProfile  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

GOAL = 3.0


def interleaved_times(fns: dict, repeat: int) -> dict:
    """{name: (median wall seconds, median CPU seconds)}; the candidates alternate, after one warm-up
    each, so a busy machine slows them alike.  CPU time (this process) is the steadier figure."""
    for fn in fns.values():
        fn()
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - w)
            cpu[k].append(time.process_time() - c)
    return {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in fns}


def profile(fn, top: int = 15) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    print(f"\ngolden model profile (top {top} functions by own time):")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="an int8 ONNX model (default: the zoo's resnet50, built now)")
    ap.add_argument("--format", choices=("qop", "qdq"), default="qop", help="zoo model format")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="always print the golden model's profile")
    args = ap.parse_args()

    from hlsgen import ir
    from hlsgen.examples.testnets import random_input
    from hlsgen.frontend import load
    from hlsgen.golden import run
    from hlsgen.golden.reference import session

    with tempfile.TemporaryDirectory(prefix="bench-golden-") as tmp:
        model = args.model
        if model is None:
            from hlsgen.examples.zoo import make_example

            t = time.perf_counter()
            model = make_example("resnet50", prune=0.0, fmt=args.format, out=Path(tmp) / "resnet50.onnx")
            print(f"built zoo resnet50 ({args.format}) in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        graph = load(model)
        t_load = time.perf_counter() - t
        x = random_input(model, n=1, seed=0)
        sess = session(model)
        feed = {sess.get_inputs()[0].name: x}

        times = interleaved_times({"onnxruntime": lambda: sess.run(None, feed), "golden": lambda: run(graph, x)},
                                  args.repeat)
        mismatches = sum(int((a != b).sum()) for a, b in zip(run(graph, x), sess.run(None, feed)))

        macs = sum(ir.layer_macs(graph, layer) for layer in graph.layers)
        print(f"model: {Path(model).name}, {len(graph.layers)} layers, {macs / 1e9:.2f} GMACs, batch 1, 1 thread")
        print(f"frontend load:  {t_load * 1e3:9.1f} ms")
        for name, (wall, cpu) in times.items():
            print(f"{name + ':':15s} {wall * 1e3:9.1f} ms wall  {cpu * 1e3:9.1f} ms CPU  (median of {args.repeat})")
        ratio = times["golden"][1] / times["onnxruntime"][1]
        wall_ratio = times["golden"][0] / times["onnxruntime"][0]
        print(f"ratio golden / onnxruntime: {ratio:.2f}x CPU time, {wall_ratio:.2f}x wall time "
              f"(goal <= {GOAL:g}x: {'met' if ratio <= GOAL else 'NOT met'})")
        print(f"mismatching output elements: {mismatches}")
        if args.profile or ratio > GOAL:
            profile(lambda: run(graph, x))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
