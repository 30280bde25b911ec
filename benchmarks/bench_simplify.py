"""Benchmark: `hlsgen simplify` on an int8 ResNet-50 with half of its filters pruned (goal <= 5 s).

Builds the example (hlsgen.examples.zoo, cached in the output folder), then times the whole
command in-process and each stage once more on its own: frontend load, analysis + compaction,
ONNX export.  Checks the simplified model against the original with onnxruntime on one input
and prints the mismatch count.  Prints figures; asserts nothing about time.

    python benchmarks/bench_simplify.py [--prune 0.5] [--format qop|qdq] [--dir FOLDER]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

from hlsgen.cli import main as cli
from hlsgen.examples import testnets, zoo
from hlsgen.frontend import load
from hlsgen.golden.reference import ort_run
from hlsgen.prune import analyze, compact_with
from hlsgen.prune.onnx_export import bias_foldable, export

GOAL_S = 5.0


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prune", type=float, default=0.5)
    p.add_argument("--format", choices=("qop", "qdq"), default="qop")
    p.add_argument("--dir", help="folder for the models (default: a temporary one)")
    args = p.parse_args()
    with contextlib.ExitStack() as stack:
        folder = Path(args.dir) if args.dir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / f"resnet50-p{args.prune:g}-{args.format}.onnx"
        if not model.exists():
            _, t = timed(zoo.make_example, "resnet50", prune=args.prune, fmt=args.format, out=model)
            print(f"built {model.name} in {t:.1f} s (not part of the benchmark)")
        out = folder / f"{model.stem}-simplified.onnx"

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc, total = timed(cli, ["simplify", str(model), "-o", str(out)])
        print(f"hlsgen simplify: exit {rc}, {total:.2f} s (goal <= {GOAL_S:g} s: "
              f"{'met' if total <= GOAL_S else 'NOT met'}, {total / GOAL_S:.2f} of the budget)")
        print("  " + err.getvalue().strip())

        graph, t_load = timed(load, model)
        m, t_read = timed(onnx.load, str(model))
        a, t_analyze = timed(analyze, graph, foldable=bias_foldable(m))
        (_, report), t_compact = timed(compact_with, graph, a)
        _, t_export = timed(export, m, graph, a)
        print(f"stages: frontend load {t_load:.2f} s, onnx.load {t_read:.2f} s, analysis {t_analyze:.2f} s, "
              f"compaction + report {t_compact:.2f} s, export {t_export:.2f} s")
        tot = report["totals"]
        print(f"channels removed {tot['channels_removed']}, folded {tot['channels_folded']}, "
              f"kept {tot['channels_kept']}; MACs {tot['macs'] / 1e9:.3f} G -> {tot['macs_live'] / 1e9:.3f} G "
              f"(pruning ratio {tot['pruning_ratio']:.3f}); parameters {tot['params'] / 1e6:.2f} M -> "
              f"{tot['params_live'] / 1e6:.2f} M; file {model.stat().st_size / 1e6:.1f} MB -> "
              f"{out.stat().st_size / 1e6:.1f} MB")

        x = testnets.random_input(model, n=1)
        (ref,), t_ref = timed(ort_run, model, x)
        (got,), t_got = timed(ort_run, out, x)
        print(f"onnxruntime original {t_ref:.2f} s, simplified {t_got:.2f} s (incl. session setup); "
              f"mismatching outputs: {int(np.sum(ref != got))} of {ref.size}")


if __name__ == "__main__":
    main()
