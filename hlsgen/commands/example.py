"""hlsgen example NAME [--prune P] [--format qop|qdq] -o MODEL.onnx: write an example quantized model."""
from __future__ import annotations


def main(args) -> int:
    from ..util import require
    require("torch", "examples", "hlsgen example")
    require("sklearn", "examples", "hlsgen example")
    from ..examples import zoo

    path = zoo.make_example(args.name, prune=args.prune, fmt=args.format, out=args.output, progress=True)
    line = (f"wrote {path} ({args.name}, {args.format}, {args.prune:.0%} of filters pruned, "
            f"{path.stat().st_size / 1e6:.2f} MB)")
    accuracy = zoo.metadata(path).get("hlsgen.accuracy_float")
    if accuracy is not None:
        line += f"; float model accuracy on held-out digits {float(accuracy):.2%}"
    print(line)
    return 0
