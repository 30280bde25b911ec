"""The hlsgen command line.

Each subcommand lives in ``hlsgen/commands/<name>.py`` as ``main(args) -> int``;
this file only parses options and maps errors to exit statuses:
0 success, 2 bad input (one line naming the file, node or option), 1 internal error.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import UserError
from .plan.engine import ACTIVATIONS_MODES, WEIGHTS_MODES
from .sim import ENGINES


class _Parser(argparse.ArgumentParser):
    """argparse that reports option errors as one line and exit status 2."""

    def error(self, message):  # noqa: D401 - argparse API
        sys.stderr.write(f"hlsgen: error: {message}\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hlsgen", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def pool_args(sp, workers_help):
        sp.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the tasks on this Dask scheduler's workers")
        sp.add_argument("--workers", type=int, metavar="N", help=workers_help)

    def model_args(sp):
        sp.add_argument("model", help="ONNX model (QOperator, QDQ, or float)")
        sp.add_argument("--calibrate", metavar="random|DIR",
                        help="quantize a float model on the way in: 'random' inputs or a folder of .npy inputs")

    sp = sub.add_parser("inspect", help="print the integer IR as a per-layer table")
    model_args(sp)
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sp.add_argument("--no-prune", action="store_true", help="skip the pruning analysis")
    sp.add_argument("--target", help="also plan for this card: cycles per layer, live channels against the "
                                     "engine's lanes, and pruning guidance (cycles saved at the next lane multiple)")
    sp.add_argument("--dsp-budget", type=int, help="with --target: DSPs the engine may use")

    sp = sub.add_parser("run", help="run the golden model on a batch")
    model_args(sp)
    sp.add_argument("--input", required=True, help="input batch (.npy, float32 NCHW)")
    sp.add_argument("--output", required=True, help="where to write the output (.npy)")

    sp = sub.add_parser("simplify", help="remove pruned channels exactly and export ONNX")
    model_args(sp)
    sp.add_argument("-o", "--output", required=True, help="simplified model (.onnx)")

    sp = sub.add_parser("build", help="plan the engine and emit the accelerator project")
    model_args(sp)
    sp.add_argument("--target", default="alveo", help="target card (default: alveo = alveo-u200)")
    sp.add_argument("--dsp-budget", type=int, help="DSPs the engines may use, all compute units together "
                    "(default: 60%% of the user region's)")
    sp.add_argument("--clock-mhz", type=float, help="kernel clock (default: the target's)")
    sp.add_argument("--weights", choices=WEIGHTS_MODES, default="auto",
                    help="weights resident on chip (preloaded once) or streamed from DDR per group "
                         "(default auto: resident when they fit)")
    sp.add_argument("--activations", choices=ACTIVATIONS_MODES, default="auto",
                    help="feature maps on chip (each compute unit's PLRAM, in URAM) or off chip in DDR/HBM "
                         "(default auto: on chip when the target has PLRAM and they fit)")
    sp.add_argument("--array", metavar="PPxPOxPI",
                    help="fix the engine's MAC array (pixel lanes x output lanes x input lanes, e.g. 4x32x32) "
                         "instead of letting the planner choose")
    sp.add_argument("--epilogue-lanes", type=int, metavar="E",
                    help="fix the epilogue's lanes (requantizer and add units; at least PI, dividing PP x PO: a "
                         "pixel group's outputs pass through them in PP*PO/E cycles; default: the fewest within "
                         "0.1%% of the cycles of the most that fit)")
    sp.add_argument("--compute-units", type=int, metavar="N",
                    help="engines on the card, one per SLR, each running its own images (default: the count "
                         "with the highest throughput; 1: the lowest latency)")
    sp.add_argument("--kernel", default="both", metavar="KIND",
                    help="Vitis kernels to write: hls (kernel/, C++ for Vitis HLS), rtl (rtl/hlsgen_rtl.v, the "
                         "simulated RTL twin packaged as an RTL kernel) or both (default)")
    sp.add_argument("--synth", action="store_true", help="also run yosys synthesis estimates")
    sp.add_argument("-o", "--output", required=True, help="output folder")

    sp = sub.add_parser("simulate", help="simulate a built project (C simulation or Verilator)")
    sp.add_argument("project", help="folder written by 'hlsgen build'")
    sp.add_argument("--engine", choices=ENGINES, default="csim")
    sp.add_argument("--input", required=True, help="input batch (.npy, float32 NCHW)")
    sp.add_argument("--output", required=True, help="where to write the output (.npy)")
    sp.add_argument("--layers", help="comma-separated layer names to report (verilator)")
    sp.add_argument("--trace", action="store_true", help="write an FST waveform (verilator)")
    pool_args(sp, "split the images over N local Dask worker processes (default: 1, in this process)")

    sp = sub.add_parser("synth", help="yosys synthesis estimate of the RTL twin")
    sp.add_argument("project", help="folder written by 'hlsgen build'")

    sp = sub.add_parser("example", help="generate an example quantized (pruned) model")
    sp.add_argument("name", help="lenet-digits, resnet20-cifar, vgg16-cifar, resnet18, resnet50, mobilenet-v2, "
                                       "mobilenet-v2-cifar, mobilenet-v3-small, mobilenet-v3-small-cifar, resnext50, "
                                       "regnetx-400mf")
    sp.add_argument("--prune", type=float, default=0.0, help="fraction of channels pruned (0..1)")
    sp.add_argument("--prune-style", default="group", metavar="STYLE",
                    help="group (default): channels pruned by dependency group (residual streams, concat), "
                         "zeroed in place; group-removed: the same channels removed; per-layer: each conv "
                         "alone by its filters' L1 rank")
    sp.add_argument("--round-to", type=int, metavar="N",
                    help="keep pruned channel counts at multiples of N (e.g. the engine's lanes)")
    sp.add_argument("--format", choices=("qop", "qdq"),
                    help="qop (QOperator) or qdq; default qop, qdq for the MobileNetV3s (onnxruntime's QOperator "
                         "quantizer leaves their squeeze-and-excitation pooling in float)")
    sp.add_argument("-o", "--output", required=True, help="model file (.onnx)")

    sp = sub.add_parser("compare", help="compare models (pruning levels) on one target")
    sp.add_argument("models", nargs="+", help="ONNX models")
    sp.add_argument("--target", default="alveo")
    sp.add_argument("--dsp-budget", type=int)
    sp.add_argument("--simulate", choices=("verilator",))
    sp.add_argument("--data", help="folder with labelled data (x.npy, y.npy)")
    pool_args(sp, "compute the accuracy on N local Dask worker processes (default: 1, in this process)")
    sp.add_argument("-o", "--output", required=True, help="output folder")

    sp = sub.add_parser("sweep", help="plan models x targets x DSP budgets (x arrays) on Dask workers")
    sp.add_argument("models", nargs="+", help="ONNX models")
    sp.add_argument("--targets", required=True, metavar="T1,T2", help="target cards, comma-separated")
    sp.add_argument("--dsp-budgets", required=True, metavar="B1,B2", help="DSP budgets, comma-separated")
    sp.add_argument("--arrays", metavar="PPxPOxPI,...",
                    help="engine arrays to pin, comma-separated (default: the planner's choice per point)")
    pool_args(sp, "local Dask worker processes (default: one per CPU)")
    sp.add_argument("-o", "--output", required=True, help="output folder (a rerun resumes)")

    sp = sub.add_parser("demo", help="the end-to-end demo: prune levels, build, simulate, compare")
    sp.add_argument("-o", "--output", default="hlsgen-demo", help="output folder (default: hlsgen-demo)")
    return p


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__
        print(f"hlsgen {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    module = importlib.import_module(f"hlsgen.commands.{args.command}")
    try:
        return int(module.main(args) or 0)
    except UserError as e:
        sys.stderr.write(f"hlsgen {args.command}: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("hlsgen: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # internal error: one line, plus the traceback when asked for
        if os.environ.get("HLSGEN_DEBUG"):
            raise
        sys.stderr.write(f"hlsgen {args.command}: internal error: {type(e).__name__}: {e}"
                         " (set HLSGEN_DEBUG=1 for the traceback)\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
