"""Hardware-aware pruning guidance: where a few more pruned channels save whole lane groups.

The engine rounds channel counts up to its lanes: a conv with C output channels runs ceil(C/PO)
groups, and a layer reading C channels runs ceil(C/PI) words per pixel and tap.  A layer left with
67 live channels on a 64-lane array pays for 128.  For each *channel group* of the compacted graph
(the tensors a channel is tied through: clip, pools, residual adds, flatten; the convs writing them
prune together) this module says how many more channels reach the next lower multiple of PI and of
PO, and what that saves, measured, not estimated: the graph with those channels sliced away is
planned again on the same engine shape (``cycles_of``) and the totals compared.

``suggestions(graph, cycles_of)`` -> one dict per (channel group, lane multiple), biggest saving
first: ``layers`` (the convs / gemms whose outputs it prunes), ``channels`` (live now), ``lanes``
(PI or PO), ``to`` (the multiple below), ``prune`` (channels more), ``cycles``, ``cycles_saved``.
Groups that touch a concat, a grouped conv, the network's input or output, or a selection conv
(``gather``: its channels are tied to those it selects) are left out.
"""
from __future__ import annotations

import numpy as np

from .. import ir

TIED = ("clip", "maxpool", "avgpool", "gavgpool", "add", "mul", "flatten", "table")


def channel_groups(graph: ir.Graph) -> list:
    """Tensors tied channel by channel, as lists of tensor names, for the groups that can shrink."""
    parent = {t: t for t in graph.tensors}

    def find(t):
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for layer in graph.layers:
        if layer.op in TIED:
            for t in layer.inputs:
                parent[find(t)] = find(layer.outputs[0])
    members: dict = {}
    for t in graph.tensors:
        if graph.tensor(t).q is not None:
            members.setdefault(find(t), []).append(t)
    consumers: dict = {}
    for layer in graph.layers:
        for t in layer.inputs:
            consumers.setdefault(t, []).append(layer)
    producer = {t: layer for layer in graph.layers for t in layer.outputs}
    out = []
    for tensors in members.values():
        ok = any(producer.get(t) is not None and producer[t].op in ("conv", "gemm") for t in tensors)
        for t in tensors:
            p = producer.get(t)
            if t in graph.outputs or p is None or p.op not in ("conv", "gemm") + TIED or p.attrs.get("selection"):
                ok = False
            for c in consumers.get(t, []):
                if c.op in ("concat", "dequantize") or (c.op == "conv" and c.attrs.get("groups", 1) != 1) \
                        or c.attrs.get("selection"):
                    ok = False
        if ok:
            out.append(sorted(tensors, key=lambda t: list(graph.tensors).index(t)))
    return out


def _width(graph: ir.Graph, tensors: list) -> tuple:
    """(channels of the group, {tensor: values per channel}) (a flatten output: H*W per channel)."""
    c = min(graph.tensor(t).channels for t in tensors if len(graph.tensor(t).shape) == 3) \
        if any(len(graph.tensor(t).shape) == 3 for t in tensors) else graph.tensor(tensors[0]).channels
    return c, {t: graph.tensor(t).channels // c for t in tensors}


def narrowed(graph: ir.Graph, tensors: list, keep: int) -> ir.Graph:
    """GRAPH with channels KEEP.. of the channel group TENSORS sliced away: the producers' filters,
    the consumers' input columns (a gemm behind a flatten: H*W columns per channel), the shapes."""
    _, per = _width(graph, tensors)
    group = set(tensors)
    g = ir.Graph(tensors=dict(graph.tensors), layers=list(graph.layers), inputs=list(graph.inputs),
                 outputs=list(graph.outputs), source_format=graph.source_format, name=graph.name,
                 meta=dict(graph.meta))
    for t in tensors:
        old = graph.tensor(t)
        g.tensors[t] = ir.Tensor(t, (keep * per[t],) + tuple(old.shape[1:]), old.q)
    for i, layer in enumerate(graph.layers):
        if layer.op not in ("conv", "gemm"):
            continue
        if layer.outputs[0] not in group and layer.inputs[0] not in group:
            continue
        p = dict(layer.params)
        if layer.outputs[0] in group:
            p.update({k: np.asarray(p[k])[:keep] for k in ("w", "w_zp", "w_scale", "b")})
        if layer.inputs[0] in group:
            w = p["w"]
            n = per[layer.inputs[0]]
            cols = w.reshape(w.shape[0], -1, n, *w.shape[2:]) if layer.op == "gemm" else w
            p["w"] = cols[:, :keep].reshape(w.shape[0], keep * n, *w.shape[2:]) if layer.op == "gemm" \
                else cols[:, :keep]
        g.layers[i] = ir.Layer(layer.name, layer.op, list(layer.inputs), list(layer.outputs),
                                   dict(layer.attrs), p, dict(layer.meta))
    return g


def suggestions(graph: ir.Graph, cycles_of, pi: int, po: int) -> list:
    """Per channel group and lane multiple (PI, PO): what pruning down to the multiple below saves.
    CYCLES_OF(graph) -> total cycles of GRAPH on the plan's engine shape (None: does not plan)."""
    base = cycles_of(graph)
    producer = {t: layer for layer in graph.layers for t in layer.outputs}
    out = []
    for tensors in channel_groups(graph):
        c, _ = _width(graph, tensors)
        layers = [producer[t].name for t in tensors if producer[t].op in ("conv", "gemm")]
        for lanes in sorted({pi, po}):
            to = (c - 1) // lanes * lanes
            if to < 1:
                continue
            got = cycles_of(narrowed(graph, tensors, to))
            if got is None:
                continue
            out.append({"layers": layers, "channels": c, "lanes": lanes, "to": to, "prune": c - to,
                        "cycles": got, "cycles_saved": base - got})
    out.sort(key=lambda s: (-s["cycles_saved"], s["prune"]))
    return out


def line(s: dict) -> str:
    """'prune 3 more filters of X (and 4 coupled layers): 67 -> 64 channels (PI=64), -1,234 cycles'."""
    others = len(s["layers"]) - 1
    coupled = f" (and {others} coupled layer{'s' if others > 1 else ''})" if others else ""
    return (f"prune {s['prune']} more filter{'s' if s['prune'] > 1 else ''} of {s['layers'][0]}{coupled}: "
            f"{s['channels']} -> {s['to']} channels (multiple of {s['lanes']}), -{s['cycles_saved']:,} cycles")
