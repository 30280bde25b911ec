"""Pruning analysis: which channels are constant, and which can be removed exactly.

A conv/gemm output channel whose weights all equal their zero point is *dead*:
its accumulator is its bias everywhere (padding taps contribute 0), so it outputs
one integer constant.  Constants flow on through clip, pooling, residual adds,
concat and flatten; ``constants`` computes them with the golden model's own
arithmetic.

Channels are tied across layers: clip/pool in and out, every tensor meeting at
an add, concat inputs and their output slice, a flattened channel and its H*W
columns.  A tied group is removed only when every member may go:

* it is a constant channel (a live channel always stays);
* a conv/gemm output channel in it is dead;
* every conv/gemm reading it either sees its input zero point (drop the columns)
  or can take the constant into its int32 bias exactly (``fold``);
* it is not part of a graph output.

``analyze(graph)`` returns the per-tensor keep masks, constants and the reason
each dead channel was kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import ir
from .constants import NO_CONST, constants, dead_channels

CHANNELWISE = ("clip", "maxpool", "avgpool", "gavgpool", "add")


@dataclass
class Analysis:
    """Outcome of the pruning analysis of one graph."""
    const: dict                 # tensor -> int64 array (C,): constant value, or NO_CONST
    dead: dict                  # conv/gemm layer name -> bool array (O,): weights all zero
    keep: dict                  # integer tensor -> bool array (C,): channel stays
    kept_reasons: dict = field(default_factory=dict)  # layer -> list of reasons (dead but kept)

    def folded(self, tensor: str, zx: int) -> np.ndarray:
        """Removed channels of TENSOR whose constant differs from ZX (they need a bias correction)."""
        c = self.const[tensor]
        return ~self.keep[tensor] & (c != zx)


def touches_padding(graph: ir.Graph, layer: ir.Layer) -> bool:
    """True when some output window of a conv reads a padded position."""
    _, h, w = graph.tensor(layer.inputs[0]).shape
    _, oh, ow = graph.tensor(layer.outputs[0]).shape
    kh, kw = layer.attrs["kernel"]
    sh, sw = layer.attrs["stride"]
    dh, dw = layer.attrs.get("dilation", (1, 1))
    pt, pl, pb, pr = layer.attrs["pads"]
    for size, out, k, s, d, p0 in ((h, oh, kh, sh, dh, pt), (w, ow, kw, sw, dw, pl)):
        first = -p0
        last = (out - 1) * s - p0 + d * (k - 1)
        if first < 0 or last >= size:
            return True
    return False


def analyze(graph: ir.Graph, foldable=None) -> Analysis:
    """Find dead and constant channels and decide which tied groups can be removed.

    FOLDABLE(layer) -> bool says whether a conv/gemm may take a constant input
    channel into its bias (default: always, where no padding is involved); the
    ONNX export narrows it to layers whose format has an int32 bias.
    """
    foldable = foldable or (lambda layer: True)
    const = constants(graph)
    base, n = {}, 0
    for name, t in graph.tensors.items():
        if t.q is not None:
            base[name] = n
            n += t.channels

    def ids(tensor):
        return base[tensor] + np.arange(graph.tensor(tensor).channels)

    src, dst, tie_layer = [], [], []          # tie edges and the layer making each

    def tie(a, b, layer):
        src.append(a)
        dst.append(b)
        tie_layer.append(np.full(len(a), layers_idx[layer.name]))

    blocked = np.zeros(n, dtype=bool)
    why = {}                                   # node id -> reason (first one wins)

    def block(nodes, reason_of):
        for i in np.flatnonzero(~blocked[nodes]):
            why.setdefault(int(nodes[i]), reason_of(int(i)))
        blocked[nodes] = True

    layers_idx = {layer.name: k for k, layer in enumerate(graph.layers)}
    dead = {}
    for layer in graph.layers:
        op = layer.op
        if op in CHANNELWISE:
            out = ids(layer.outputs[0])
            for t in layer.inputs:
                tie(ids(t), out, layer)
        elif op == "concat":
            out, off = ids(layer.outputs[0]), 0
            for t in layer.inputs:
                c = graph.tensor(t).channels
                tie(ids(t), out[off:off + c], layer)
                off += c
        elif op == "flatten":
            c, h, w = graph.tensor(layer.inputs[0]).shape
            tie(np.repeat(ids(layer.inputs[0]), h * w), ids(layer.outputs[0]), layer)
        elif op == "quantize":
            block(ids(layer.outputs[0]), lambda i, t=layer.outputs[0]: f"'{t}' is the network input")
        elif op == "dequantize":
            block(ids(layer.inputs[0]), lambda i, t=layer.inputs[0]: f"'{t}' is a network output")
        elif op in ("conv", "gemm"):
            dead[layer.name] = dead_channels(layer)
            _consumer_constraints(graph, layer, const, ids, block, foldable)
    for t in graph.outputs:
        if t in base:
            block(ids(t), lambda i, t=t: f"'{t}' is a network output")
    # a constant channel that is not dead (e.g. a pool of a dead channel) is fine;
    # a non-constant channel of any tensor blocks its group
    for t in base:
        nodes = ids(t)
        block(nodes[const[t] == NO_CONST], lambda i, t=t: "live")

    if src:
        s, d = np.concatenate(src), np.concatenate(dst)
    else:
        s = d = np.zeros(0, dtype=np.int64)
    adj = coo_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    group_blocked = np.zeros(label.max() + 1 if n else 0, dtype=bool)
    group_blocked[label[blocked]] = True

    # never leave a tensor with no channel: keep the group of its channel 0
    while True:
        empty = [t for t in base if not group_blocked[label[ids(t)]].any()]
        if not empty:
            break
        for t in empty:
            node = base[t]
            why.setdefault(node, f"'{t}' keeps at least one channel")
            blocked[node] = True
            group_blocked[label[node]] = True

    keep = {t: group_blocked[label[ids(t)]] for t in base}
    reasons = _kept_reasons(graph, dead, keep, ids, label, blocked, why, s, d,
                            np.concatenate(tie_layer) if tie_layer else np.zeros(0, int), n)
    return Analysis(const=const, dead=dead, keep=keep, kept_reasons=reasons)


def _consumer_constraints(graph, layer, const, ids, block, foldable):
    """Block input channels of a conv/gemm that cannot be dropped or folded exactly."""
    src = layer.inputs[0]
    zx = graph.tensor(src).q.zero_point
    c = const[src]
    nodes = ids(src)
    if layer.op == "conv" and layer.attrs.get("groups", 1) != 1:
        block(nodes, lambda i: f"input of grouped conv '{layer.name}'")
        block(ids(layer.outputs[0]), lambda i: f"output of grouped conv '{layer.name}'")
        return
    needs_fold = (c != NO_CONST) & (c != zx)
    if not needs_fold.any():
        return
    if not foldable(layer):
        block(nodes[needs_fold], lambda i: f"constant channel {np.flatnonzero(needs_fold)[i]} "
                                           f"cannot be folded into '{layer.name}' in this format")
    elif layer.op == "conv" and touches_padding(graph, layer):
        block(nodes[needs_fold], lambda i: f"border correction of constant channel "
                                           f"{np.flatnonzero(needs_fold)[i]} feeding '{layer.name}'")


def _kept_reasons(graph, dead, keep, ids, label, blocked, why, s, d, tie_layer, n):
    """For each conv/gemm, why each of its dead output channels stays."""
    # the first add/concat tying each group, for the message
    tied_by = {}
    for k in np.argsort(tie_layer, kind="stable"):
        layer = graph.layers[tie_layer[k]]
        if layer.op in ("add", "concat"):
            tied_by.setdefault(int(label[s[k]]), layer)
    # the blocking reason of each group, with the tensor it was found on
    owner = {}
    for name in keep:
        nodes = ids(name)
        for c in np.flatnonzero(blocked[nodes]):
            owner.setdefault(int(label[nodes[c]]), (name, int(c), why[int(nodes[c])]))
    out = {}
    for layer in graph.layers:
        if layer.name not in dead:
            continue
        t = layer.outputs[0]
        nodes = ids(t)
        msgs = []
        for c in np.flatnonzero(dead[layer.name] & keep[t]):
            g = int(label[nodes[c]])
            where, wc, reason = owner[g]
            if reason == "live":
                prod = graph.producer(where)
                reason = f"channel {wc} live in '{prod.name if prod else where}'"
            if g in tied_by and where != t:
                tl = next((c for c in graph.consumers(t) if c.op in ("add", "concat")), tied_by[g])
                reason = f"tied by {tl.op} '{tl.name}': {reason}"
            msgs.append(f"channel {c}: {reason}")
        out[layer.name] = msgs
    return out
