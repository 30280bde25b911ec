"""Gather layers (channel shuffles, Splits, Slices) on the engine: no data movement where it can be avoided.

A gather y[c] = x[index[c]] moves bytes without changing them (ENGINE.md section 1, "Channel shuffle and
split"). ``without_gathers`` rewrites the graph until none is left, every step exact:

* a gather of a gather is one gather (the indices composed); an identity gather, or one nobody reads, goes;
* **fold**: when every reader of y is a conv with groups == 1 (or a gemm, also behind a flatten), each reads
  x instead, its weight columns re-indexed: W'[:, j] = w_zp + sum over c with index[c] == j of
  (W[:, c] - w_zp). Column j of a channel nobody selects holds the weight zero point, so it adds 0: the
  conv sees the same products, and its bias (zero points folded over w - w_zp) is unchanged;
* **push**: a permutation read by channel-wise layers (clip, pools, tables, a depthwise conv) moves behind
  them: the layer reads x with its per-channel parameters permuted, and the gather (named
  ``<gather>><layer>``) follows it, where it may fold into the next conv (or act on a smaller map);
* otherwise (read by a concat, an add, a graph output, ...) the gather becomes a 1x1 **selection conv**:
  0/1 weights, w_zp 0, w_scale 1, bias 0, the output in the input's quantization, so the requantization
  scale is f32(f32(sx * 1) / sx) = 1 and every output byte is its input byte (acc = x - zx, + zy = zx).
  It runs on the MAC array like any conv (a gather of a vector: a gemm).
"""
from __future__ import annotations

import numpy as np

from .. import ir

CHANNELWISE = ("clip", "maxpool", "avgpool", "gavgpool", "table")


def _consumers(g: ir.Graph, t: str) -> list:
    return [layer for layer in g.layers if t in layer.inputs]


def _fresh(base: str, taken) -> str:
    name = base
    while name in taken:
        name += "_"
    return name


def refold(w: np.ndarray, w_zp: np.ndarray, index: np.ndarray, c_in: int, per: int = 1):
    """Weights W (O, C*PER, ...) reading y = x[index] as weights reading x (O, C_IN*PER, ...): PER columns
    per channel (a gemm behind a flatten: H*W); None when a column's sum (a channel selected twice) leaves
    W's dtype or w - w_zp leaves int8."""
    o = w.shape[0]
    zp = np.asarray(w_zp, np.int64).reshape((o,) + (1,) * (w.ndim - 1))
    wz = (w.astype(np.int64) - zp).reshape((o, len(index), per) + w.shape[2:])
    out = np.zeros((o, c_in, per) + w.shape[2:], np.int64)
    np.add.at(out, (slice(None), index), wz)
    if out.min(initial=0) < -128 or out.max(initial=0) > 127:     # w - w_zp must stay int8 (ENGINE.md)
        return None
    out = out.reshape((o, c_in * per) + w.shape[2:]) + zp
    info = np.iinfo(w.dtype)
    if out.min(initial=0) < info.min or out.max(initial=0) > info.max:
        return None
    return out.astype(w.dtype)


def _is_depthwise(g: ir.Graph, layer: ir.Layer) -> bool:
    c = g.tensor(layer.inputs[0]).channels
    return layer.op == "conv" and layer.attrs.get("groups", 1) == c == g.tensor(layer.outputs[0]).channels > 1


def _plan_reader(g: ir.Graph, gather: ir.Layer, reader: ir.Layer, permutation: bool):
    """How READER of the gather's output takes the gather away: a function doing it, or None."""
    x, y = gather.inputs[0], gather.outputs[0]
    index = np.asarray(gather.attrs["index"], np.int64)
    c_in = g.tensor(x).channels
    if reader.inputs != [y] or y in g.outputs:
        return None
    if reader.op in ("conv", "gemm") and reader.attrs.get("groups", 1) == 1:
        w = refold(reader.params["w"], reader.params["w_zp"], index, c_in)
        return None if w is None else lambda: _fold(reader, x, w, gather.name)
    if reader.op == "flatten" and len(g.tensor(x).shape) == 3:
        out = reader.outputs[0]
        gemms = _consumers(g, out)
        per = int(np.prod(g.tensor(x).shape[1:]))
        ws = [refold(m.params["w"], m.params["w_zp"], index, c_in, per) if m.op == "gemm" else None for m in gemms]
        if not gemms or out in g.outputs or any(w is None for w in ws):
            return None
        return lambda: _fold_flatten(g, reader, x, gemms, ws, c_in * per, gather.name)
    if permutation and (reader.op in CHANNELWISE or _is_depthwise(g, reader)):
        return lambda: _push(g, gather, reader)
    return None


def _fold(reader: ir.Layer, x: str, w: np.ndarray, name: str) -> None:
    reader.inputs = [x]
    reader.params = dict(reader.params, w=w)
    reader.meta = dict(reader.meta, folded_gathers=reader.meta.get("folded_gathers", []) + [name])


def _fold_flatten(g, flatten, x, gemms, ws, size, name) -> None:
    flatten.inputs = [x]
    out = g.tensor(flatten.outputs[0])
    g.tensors[out.name] = ir.Tensor(out.name, (size,), out.q)
    for gemm, w in zip(gemms, ws):
        _fold(gemm, out.name, w, name)


def _push(g: ir.Graph, gather: ir.Layer, reader: ir.Layer) -> None:
    """READER reads the gather's input; its per-channel parameters follow the permutation; a new gather
    after it writes its old output."""
    index = np.asarray(gather.attrs["index"], np.int64)
    inv = np.argsort(index)               # new channel j computes what old channel inv[j] did
    out = g.tensor(reader.outputs[0])
    moved = _fresh(f"{out.name}:unshuffled", g.tensors)
    g.tensors[moved] = ir.Tensor(moved, out.shape, out.q)
    reader.inputs, reader.outputs = [gather.inputs[0]], [moved]
    p = dict(reader.params)
    for k in ("w", "w_zp", "w_scale", "b"):
        if k in p:
            p[k] = np.asarray(p[k])[inv]
    if "table" in p and len(p["table"]) > 1:
        p["table"] = np.asarray(p["table"])[inv]
    reader.params = p
    name = _fresh(f"{gather.name}>{reader.name}", {layer.name for layer in g.layers})
    g.layers.insert(g.layers.index(reader) + 1,
                    ir.Layer(name, "gather", [moved], [out.name], {"index": tuple(int(i) for i in index)}))


def _step(g: ir.Graph, gather: ir.Layer) -> bool:
    """One rewrite of GATHER (True) or none possible (False)."""
    x, y = gather.inputs[0], gather.outputs[0]
    index = np.asarray(gather.attrs["index"], np.int64)
    prod = next((layer for layer in g.layers if x in layer.outputs), None)
    readers = _consumers(g, y)
    if prod is not None and prod.op == "gather":          # compose
        gather.inputs = list(prod.inputs)
        gather.attrs = dict(gather.attrs, index=tuple(int(i) for i in np.asarray(prod.attrs["index"])[index]))
        if not _consumers(g, x) and x not in g.outputs:
            g.layers.remove(prod)
        return True
    c_in = g.tensor(x).channels
    if y not in g.outputs and (not readers or (len(index) == c_in and (index == np.arange(c_in)).all())):
        for r in readers:                                   # nobody reads it, or the identity
            r.inputs = [x if t == y else t for t in r.inputs]
        g.layers.remove(gather)
        return True
    permutation = len(index) == c_in and len(set(index.tolist())) == c_in
    plans = [_plan_reader(g, gather, r, permutation) for r in readers]
    if any(p is None for p in plans):
        return False
    for p in plans:
        p()
    g.layers.remove(gather)
    return True


def selection_layer(g: ir.Graph, gather: ir.Layer) -> ir.Layer:
    """GATHER as a 1x1 conv (a gemm on vectors) with 0/1 weights whose requantization is the identity."""
    x, y = g.tensor(gather.inputs[0]), g.tensor(gather.outputs[0])
    index = np.asarray(gather.attrs["index"], np.int64)
    o = len(index)
    w = np.zeros((o, x.channels), np.int8)
    w[np.arange(o), index] = 1
    params = {"w": w, "w_zp": np.zeros(o, np.int32), "w_scale": np.ones(o, np.float32), "b": np.zeros(o, np.int32)}
    attrs = {"act_min": y.q.qmin, "act_max": y.q.qmax, "selection": True}
    if len(x.shape) == 3:
        params["w"] = w.reshape(o, x.channels, 1, 1)
        attrs.update(kernel=(1, 1), stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1)
        return ir.Layer(gather.name, "conv", [x.name], [y.name], attrs, params)
    return ir.Layer(gather.name, "gemm", [x.name], [y.name], attrs, params)


def without_gathers(graph: ir.Graph) -> ir.Graph:
    """GRAPH with every gather folded into its readers' weights, pushed behind channel-wise layers, or made a
    selection conv (the same graph object when it has none)."""
    if not any(layer.op == "gather" for layer in graph.layers):
        return graph
    g = graph.copy()
    changed = True
    while changed:
        changed = any(_step(g, layer) for layer in list(g.layers) if layer.op == "gather")
    g.layers = [selection_layer(g, layer) if layer.op == "gather" else layer for layer in g.layers]
    g.tensors = {name: t for name, t in g.tensors.items()
                 if any(name in layer.inputs or name in layer.outputs for layer in g.layers) or name in g.inputs}
    g.validate()
    return g
