"""hlsgen inspect MODEL [--json] [--no-prune]: the integer IR as a per-layer table with totals.

Per layer: name, op, input and output shapes (per sample), kernel, stride, padding
(top, left, bottom, right), channels in / out, MACs and parameters of one sample.
When the pruning analysis is available (``hlsgen.prune.compact``) and not switched off, each
layer also shows its live / total channels in and out, live MACs, and the pruned channels that
were folded into a consumer's bias or had to be kept (the reasons follow the table).
"""
from __future__ import annotations

import json
import re
from collections import Counter

from .. import ir
from ..frontend import load
from ..report.table import format_table

SHOWN_REASONS = 3  # kinds of reasons per layer, after the table


def prune_report(graph: ir.Graph) -> dict | None:
    """``hlsgen.prune.compact``'s report for GRAPH, or None while the pruning package is absent."""
    try:
        from ..prune import compact
    except ImportError:
        return None
    return compact(graph)[1]


def _channels_in(graph: ir.Graph, layer: ir.Layer) -> int:
    if layer.op == "concat" and layer.attrs.get("axis", 0) == 0:
        return sum(graph.tensor(t).channels for t in layer.inputs)
    return graph.tensor(layer.inputs[0]).channels


def layer_rows(graph: ir.Graph, report: dict | None) -> list:
    """One JSON-ready dict per layer (the ``prune`` entry only with a pruning report)."""
    rows = []
    for layer in graph.layers:
        a = layer.attrs
        row = {"name": layer.name, "op": layer.op,
               "inputs": [list(graph.tensor(t).shape) for t in layer.inputs],
               "output": list(graph.tensor(layer.outputs[0]).shape),
               "kernel": list(a["kernel"]) if "kernel" in a else None,
               "stride": list(a["stride"]) if "stride" in a else None,
               "pads": list(a["pads"]) if "pads" in a else None,
               "channels_in": _channels_in(graph, layer),
               "channels_out": graph.tensor(layer.outputs[0]).channels,
               "macs": ir.layer_macs(graph, layer), "params": ir.layer_params(layer)}
        if report is not None:
            row["prune"] = report["layers"].get(layer.name)
        rows.append(row)
    return rows


def totals(rows: list) -> dict:
    return {"layers": len(rows), "macs": sum(r["macs"] for r in rows),
            "params": sum(r["params"] for r in rows)}


def _dims(values, sep="x") -> str | None:
    return sep.join(str(v) for v in values) if values is not None else None


def _live(p: dict | None, key: str):
    return f"{p[key + '_live']}/{p[key + '_total']}" if p else None


def kept_summary(reasons: list) -> str:
    """Per-channel reasons grouped by what they say: "tied by add 'a': channel live in 'b' (x12); ..."."""
    groups = Counter(_CHANNEL.sub("channel", _LEADING_CHANNEL.sub("", r)) for r in reasons)
    shown = [f"{why} (x{n})" for why, n in groups.most_common(SHOWN_REASONS)]
    rest = sum(n for _, n in groups.most_common()[SHOWN_REASONS:])
    return "; ".join(shown) + (f"; {rest} more" if rest else "")


_LEADING_CHANNEL = re.compile(r"^channel \d+: ")
_CHANNEL = re.compile(r"channel \d+")


def render(graph: ir.Graph, rows: list, report: dict | None) -> str:
    header = ["layer", "op", "input", "output", "kernel", "stride", "pads", "C in", "C out", "MACs", "params"]
    if report is not None:
        header[7:9] = ["C in live/total", "C out live/total"]
        header += ["MACs live", "folded", "kept"]
    table = []
    for r in rows:
        line = [r["name"], r["op"], " + ".join(_dims(s) for s in r["inputs"]), _dims(r["output"]),
                _dims(r["kernel"]), _dims(r["stride"]), _dims(r["pads"], ","),
                r["channels_in"], r["channels_out"], r["macs"], r["params"]]
        if report is not None:
            p = r["prune"]
            line[7:9] = [_live(p, "in"), _live(p, "out")]
            line += [p["macs_live"], p["folded"], p["kept"]] if p else [None] * 3
        table.append(line)
    t = totals(rows)
    total = ["total", f"{t['layers']} layers"] + [None] * 7 + [t["macs"], t["params"]]
    if report is not None:
        pt = report["totals"]
        total += [pt["macs_live"], pt["channels_folded"], pt["channels_kept"]]
    x = graph.tensor(graph.inputs[0])
    head = (f"{graph.name}: {graph.source_format} model, input {graph.inputs[0]} "
            f"{_dims(x.shape)}, {len(graph.layers)} layers")
    out = [head, "", format_table(header, table, total)]
    if report is not None:
        pt = report["totals"]
        out.append(f"\npruning: MACs {pt['macs']:,} -> {pt['macs_live']:,} ({pt['pruning_ratio']:.1%} fewer), "
                   f"parameters {pt['params']:,} -> {pt['params_live']:,}; "
                   f"{pt['channels_removed']} channel(s) removed, {pt['channels_folded']} folded into biases, "
                   f"{pt['channels_kept']} pruned channel(s) kept")
        for name, p in report["layers"].items():
            if p.get("kept_reasons"):
                out.append(f"  kept in {name}: {kept_summary(p['kept_reasons'])}")
    return "\n".join(out)


def main(args) -> int:
    graph = load(args.model, args.calibrate)
    report = None if args.no_prune else prune_report(graph)
    rows = layer_rows(graph, report)
    if args.json:
        doc = {"model": graph.name, "format": graph.source_format, "input": graph.inputs[0],
               "input_shape": list(graph.tensor(graph.inputs[0]).shape), "layers": rows,
               "totals": totals(rows)}
        if report is not None:
            doc["prune"] = report["totals"]
        print(json.dumps(doc, indent=1))
    else:
        print(render(graph, rows, report))
    return 0
