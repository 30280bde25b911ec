"""hlsgen example NAME [--prune P] [--prune-style S] [--round-to N] [--format qop|qdq] -o MODEL.onnx:
write an example quantized model."""
from __future__ import annotations


def main(args) -> int:
    from ..util import require
    require("torch", "examples", "hlsgen example")
    require("sklearn", "examples", "hlsgen example")
    from ..examples import zoo

    path = zoo.make_example(args.name, prune=args.prune, fmt=args.format, out=args.output, progress=True,
                            prune_style=args.prune_style, round_to=args.round_to)
    how = {"group": "by coupled group, zeroed", "group-removed": "by coupled group, removed",
           "per-layer": "per layer, zeroed"}[args.prune_style]
    rounded = f", counts multiples of {args.round_to}" if args.round_to else ""
    fmt = args.format or zoo.default_format(args.name)
    line = (f"wrote {path} ({args.name}, {fmt}, {args.prune:.0%} of channels pruned {how}{rounded}, "
            f"{path.stat().st_size / 1e6:.2f} MB)")
    accuracy = zoo.metadata(path).get("hlsgen.accuracy_float")
    if accuracy is not None:
        line += f"; float model accuracy on held-out digits {float(accuracy):.2%}"
    print(line)
    return 0
