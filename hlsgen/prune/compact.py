"""Exact compaction: the graph without its removable channels, and the report of what went.

A removed channel disappears from its tensor, from the filters that produced it
and from the input columns of every conv/gemm reading it (a gather's index is
renumbered over the channels left).  When its constant is
not the reader's input zero point, its contribution
``sum((c - zx) * (w - w_zp))`` is added to the reader's int32 bias; the
analysis only allows that where no output window touches padding, so the
accumulator, and hence every output bit, stays the same.

The report (JSON-ready), per layer: ``in_live/in_total``, ``out_live/out_total``
channels (a gemm's inputs are its flattened columns), ``macs/macs_live``,
``folded`` (input channels whose constant this layer took into its bias, counted
in feature-map channels also behind a flatten), ``kept`` (dead output channels
that stay) and ``kept_reasons`` (one line per kept channel).  Totals: ``macs``,
``macs_live``, ``params``, ``params_live``, ``channels_removed`` (conv/gemm
output channels gone), ``channels_folded`` and ``channels_kept`` (sums of the
layer figures), ``pruning_ratio`` = 1 - macs_live / macs.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from .analysis import Analysis, analyze

INT32 = np.iinfo(np.int32)


def bias_correction(layer: ir.Layer, const: np.ndarray, fold: np.ndarray, zx: int) -> np.ndarray:
    """int64 (O,): what the input columns FOLD, constant CONST, add to LAYER's accumulators."""
    w = layer.params["w"]
    o, i = w.shape[:2]
    wz = w.astype(np.int64).reshape(o, i, -1) - np.asarray(layer.params["w_zp"], np.int64).reshape(-1, 1, 1)
    return wz[:, fold].sum(axis=2) @ (const[fold] - zx)


def _compact_layer(graph: ir.Graph, layer: ir.Layer, a: Analysis) -> tuple[ir.Layer, int]:
    """LAYER with its removed channels sliced out; also the number of input columns folded."""
    new = ir.Layer(layer.name, layer.op, list(layer.inputs), list(layer.outputs),
                   dict(layer.attrs), dict(layer.params), dict(layer.meta))
    if layer.op == "table" and len(layer.params["table"]) > 1:   # one row per channel: the kept rows
        new.params["table"] = layer.params["table"][a.keep[layer.outputs[0]]]
    if layer.op == "gather":      # the kept outputs' input channels, renumbered among the kept inputs
        rank = np.cumsum(a.keep[layer.inputs[0]]) - 1
        index = np.asarray(layer.attrs["index"], np.int64)[a.keep[layer.outputs[0]]]
        new.attrs["index"] = tuple(int(i) for i in rank[index])
    if layer.op not in ("conv", "gemm"):
        return new, 0
    src = layer.inputs[0]
    keep_in, keep_out = a.keep[src], a.keep[layer.outputs[0]]
    fold = a.folded(src, graph.tensor(src).q.zero_point)
    p = layer.params
    b = np.asarray(p["b"], dtype=np.int64)
    if fold.any():
        b = b + bias_correction(layer, a.const[src], fold, graph.tensor(src).q.zero_point)
        if b.min() < INT32.min or b.max() > INT32.max:
            raise ValueError(f"{layer.name}: folded bias leaves int32")
    o = p["w"].shape[0]
    new.params = {
        "w": p["w"][keep_out][:, keep_in] if layer.attrs.get("groups", 1) == 1 else p["w"][keep_out],
        "w_zp": np.broadcast_to(np.asarray(p["w_zp"]), (o,))[keep_out].copy(),
        "w_scale": np.broadcast_to(np.asarray(p["w_scale"], np.float32), (o,))[keep_out].copy(),
        "b": b[keep_out].astype(np.int32),
    }
    new.params.update({k: v for k, v in p.items() if k not in new.params})
    if layer.attrs.get("groups", 1) == o > 1:  # a depthwise conv keeps one group per channel
        new.attrs["groups"] = int(keep_out.sum())
    return new, int(fold.sum())


def compact_with(graph: ir.Graph, a: Analysis) -> tuple[ir.Graph, dict]:
    """Apply the decisions of analysis A to GRAPH: (compacted graph, report)."""
    tensors = {}
    for name, t in graph.tensors.items():
        shape = tuple(t.shape)
        if name in a.keep:
            shape = (int(a.keep[name].sum()),) + shape[1:]
        tensors[name] = ir.Tensor(name, shape, t.q)
    layers, folded_cols = [], {}
    for layer in graph.layers:
        new, folded_cols[layer.name] = _compact_layer(graph, layer, a)
        layers.append(new)
    g2 = ir.Graph(tensors=tensors, layers=layers, inputs=list(graph.inputs),
                  outputs=list(graph.outputs), source_format=graph.source_format,
                  name=graph.name, meta=dict(graph.meta))
    report = _report(graph, g2, a, folded_cols)
    g2.meta["prune"] = report
    return g2, report


def compact(graph: ir.Graph) -> tuple[ir.Graph, dict]:
    """Remove every channel that can go exactly: (compacted graph, report)."""
    return compact_with(graph, analyze(graph))


def _channels_in(graph, layer, keep=None):
    """Input channel count of LAYER (concat: the sum), live ones only when KEEP is given."""
    ins = layer.inputs if layer.op == "concat" else layer.inputs[:1]
    if keep is None:
        return sum(graph.tensor(t).channels for t in ins)
    return sum(int(keep[t].sum()) if t in keep else graph.tensor(t).channels for t in ins)


def _report(graph, g2, a, folded_cols) -> dict:
    layers = {}
    tot = dict(macs=0, macs_live=0, params=0, params_live=0,
               channels_removed=0, channels_folded=0, channels_kept=0)
    for layer, new in zip(graph.layers, g2.layers):
        if layer.op in ("quantize", "dequantize"):
            continue
        out = layer.outputs[0]
        folded = folded_cols[layer.name]
        prod = graph.producer(layer.inputs[0])
        if folded and prod is not None and prod.op == "flatten":   # count feature-map channels
            _, h, w = graph.tensor(prod.inputs[0]).shape
            folded //= h * w
        dead = a.dead.get(layer.name)
        kept = int((dead & a.keep[out]).sum()) if dead is not None else 0
        removed = int((~a.keep[out]).sum()) if dead is not None else 0
        row = dict(in_live=_channels_in(graph, layer, a.keep), in_total=_channels_in(graph, layer),
                   out_live=int(a.keep[out].sum()), out_total=graph.tensor(out).channels,
                   macs=ir.layer_macs(graph, layer), macs_live=ir.layer_macs(g2, new),
                   folded=folded, kept=kept, kept_reasons=list(a.kept_reasons.get(layer.name, [])))
        layers[layer.name] = row
        tot["macs"] += row["macs"]
        tot["macs_live"] += row["macs_live"]
        tot["params"] += ir.layer_params(layer)
        tot["params_live"] += ir.layer_params(new)
        tot["channels_removed"] += removed
        tot["channels_folded"] += folded
        tot["channels_kept"] += kept
    tot["pruning_ratio"] = 1.0 - tot["macs_live"] / tot["macs"] if tot["macs"] else 0.0
    return {"layers": layers, "totals": tot}
