"""hlsgen simplify MODEL -o OUT.onnx: remove pruned channels exactly and write the smaller model.

The output keeps the input's format (QOperator or QDQ; a float model quantized
on the way in with --calibrate is written as QDQ).  onnxruntime computes the
same outputs from it, bit for bit.  A summary goes to stderr.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnx


def _quantized_source(args, tmp: Path) -> Path:
    """The quantized model to edit: MODEL itself, or MODEL quantized to QDQ with --calibrate."""
    from ..frontend.calibrate import quantize_float_model
    from ..frontend.model_file import interface, read, source_format

    model = read(args.model)
    if source_format(model) != "float" or not args.calibrate:
        return Path(args.model)
    name, shape, _ = interface(model, args.model)
    out = tmp / "quantized.onnx"
    quantize_float_model(args.model, out, args.calibrate, args.model, name, shape)
    return out


def summary(report: dict, model, out) -> str:
    t = report["totals"]
    if t["channels_removed"] == 0:
        return (f"nothing to remove: {model} has no channel that can go exactly "
                f"({t['channels_kept']} pruned channel(s) kept); wrote an equivalent model to {out}")
    return (f"removed {t['channels_removed']} channel(s) ({t['channels_folded']} constant input(s) "
            f"folded into biases, {t['channels_kept']} pruned channel(s) kept for exactness); "
            f"MACs {t['macs']:,} -> {t['macs_live']:,} ({t['pruning_ratio']:.1%} fewer), "
            f"parameters {t['params']:,} -> {t['params_live']:,}; wrote {out}")


def main(args) -> int:
    from ..frontend import load
    from ..prune import analyze, compact_with
    from ..prune.onnx_export import bias_foldable, export
    from ..util import check_output_file, output_file

    check_output_file(args.output, "-o")
    with tempfile.TemporaryDirectory(prefix="hlsgen-simplify-") as tmp:
        src = _quantized_source(args, Path(tmp))
        graph = load(src)
        model = onnx.load(str(src))
        analysis = analyze(graph, foldable=bias_foldable(model))
        _, report = compact_with(graph, analysis)
        simplified = export(model, graph, analysis)
    with output_file(args.output, "-o") as out:
        onnx.save(simplified, str(out))
    sys.stderr.write(f"hlsgen simplify: {summary(report, args.model, args.output)}\n")
    return 0
