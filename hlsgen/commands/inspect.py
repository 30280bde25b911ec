"""hlsgen inspect MODEL [--json] [--no-prune] [--target T [--dsp-budget N]]: the integer IR as a
per-layer table with totals.

Per layer: name, op, input and output shapes (per sample), kernel, stride, padding
(top, left, bottom, right), channels in / out, MACs and parameters of one sample.
When the pruning analysis is available (``hlsgen.prune.compact``) and not switched off, each
layer also shows its live / total channels in and out, live MACs, and the pruned channels that
were folded into a consumer's bias or had to be kept (the reasons follow the table).
With ``--target`` the model is also planned for that card: each layer shows its cycles, its live
output channels against the engine's output lanes (``45/64``: 45 channels fill one group of 64),
and the pruning guidance (``hlsgen.plan.guidance``): how many more filters reach the next lane
multiple and the cycles that saves, measured by planning the narrower model on the same engine.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING

from .. import ir
from ..errors import UserError
from ..frontend import load
from ..report.table import format_table

if TYPE_CHECKING:
    from ..plan.plan_types import PlanData

SHOWN_REASONS = 3  # kinds of reasons per layer, after the table
SHOWN_GUIDANCE = 10  # guidance lines after the table


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


def _guidance_of(plan: PlanData) -> dict:
    """{layer: the suggestion with a saving that prunes the fewest channels} over the plan's guidance."""
    best = {}
    for s in plan.guidance or []:
        if s["cycles_saved"] <= 0:
            continue
        for name in s["layers"]:
            if name not in best or (s["prune"], -s["cycles_saved"]) < (best[name]["prune"], -best[name]["cycles_saved"]):
                best[name] = s
    return best


def layer_rows(graph: ir.Graph, report: dict | None, plan: PlanData | None = None) -> list:
    """One JSON-ready dict per layer (the ``prune`` entry only with a pruning report; ``plan``:
    cycles, lanes and guidance with a plan)."""
    rows = []
    planned = {r["name"]: r for r in plan.layers} if plan else {}
    advice = _guidance_of(plan) if plan else {}
    po = plan.engine.po if plan else 0
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
        if plan:
            p = planned.get(layer.name, {})
            row["plan"] = {"cycles": p.get("cycles", 0), "guidance": advice.get(layer.name)}
            if layer.op in ("conv", "gemm") and "channels_live" in p:
                c = p["channels_live"]
                row["plan"]["lanes"] = f"{c}/{-(-c // po) * po}"
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


def _advice_cell(s: dict | None) -> str | None:
    return f"-{s['prune']} -> {s['to']}: -{s['cycles_saved']:,} cyc" if s else None


def render(graph: ir.Graph, rows: list, report: dict | None, plan: PlanData | None = None) -> str:
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
        if plan:
            q = r["plan"]
            line += [q["cycles"] or None, q.get("lanes"), _advice_cell(q["guidance"])]
        table.append(line)
    t = totals(rows)
    total = ["total", f"{t['layers']} layers"] + [None] * 7 + [t["macs"], t["params"]]
    if report is not None:
        pt = report["totals"]
        total += [pt["macs_live"], pt["channels_folded"], pt["channels_kept"]]
    if plan:
        header += ["cycles", "C out live/lanes", "prune more -> C: saves"]
        total += [plan.total_cycles, None, None]
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
    if plan:
        out.append(guidance_text(plan))
    return "\n".join(out)


def guidance_text(plan: PlanData) -> str:
    """The plan's pruning guidance as lines, largest saving first."""
    from ..plan.guidance import line
    e = plan.engine
    head = (f"\npruning guidance for {plan.target} ({e.pp}x{e.po}x{e.pi} array, PO={e.po} output "
            f"lanes, PI={e.pi} input lanes; {plan.total_cycles:,} cycles):")
    useful = [s for s in plan.guidance or [] if s["cycles_saved"] > 0]
    if not useful:
        return head + "\n  no channel group can save cycles by pruning to a lower lane multiple"
    return "\n".join([head] + [f"  {line(s)}" for s in useful[:SHOWN_GUIDANCE]]
                     + ([f"  ... {len(useful) - SHOWN_GUIDANCE} more"] if len(useful) > SHOWN_GUIDANCE else []))


def operator_lines(ops: list) -> str:
    """The operators of the model, each with whether hlsgen runs it."""
    width = max(len(o["op"]) for o in ops)
    return "\n".join(["operators:"] + [f"  {o['op']:<{width}}  x{o['count']:<4} "
                                        f"{'runs' if o['runs'] else 'NOT SUPPORTED by hlsgen'}" for o in ops])


def main(args) -> int:
    from ..frontend import model_file, table_nodes
    model = model_file.read(args.model)
    quantized = model_file.source_format(model) != "float"
    try:
        graph = load(args.model, args.calibrate)
    except UserError:
        if not args.json:                 # what the model uses, then the one-line error on stderr
            print(operator_lines(model_file.operators(model, table_nodes(args.model) if quantized else set())))
        raise
    ops = model_file.operators(model)     # it loaded: the conversion took every node
    report = None if args.no_prune else prune_report(graph)
    plan = None
    if getattr(args, "target", None):
        from ..plan import make_plan
        plan = make_plan(graph, target=args.target, dsp_budget=getattr(args, "dsp_budget", None),
                         guidance=True).data
    rows = layer_rows(graph, report, plan)
    if args.json:
        doc = {"model": graph.name, "format": graph.source_format, "input": graph.inputs[0],
               "input_shape": list(graph.tensor(graph.inputs[0]).shape), "layers": rows,
               "totals": totals(rows)}
        doc["operators"] = ops
        if report is not None:
            doc["prune"] = report["totals"]
        if plan:
            e = plan.engine
            doc["plan"] = {"target": plan.target, "array": f"{e.pp}x{e.po}x{e.pi}",
                           "total_cycles": plan.total_cycles, "guidance": plan.guidance}
        print(json.dumps(doc, indent=1))
    else:
        print(render(graph, rows, report, plan))
        print("\n" + operator_lines(ops))
    return 0
