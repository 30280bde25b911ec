"""Pruning analysis: which channels are constant, and which can be removed exactly.

A conv/gemm output channel whose weights all equal their zero point is *dead*:
its accumulator is its bias everywhere (padding taps contribute 0), so it outputs
one integer constant.  Constants flow on through clip, pooling, residual adds,
concat and flatten; ``constants`` computes them with the golden model's own
arithmetic.

Channels are tied across layers: clip/pool/table in and out, every tensor meeting at
an add, concat inputs and their output slice, a gather's output channel c and its
input channel index[c], a flattened channel and its H*W columns.  A tied group is removed only when every member may go:

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

CHANNELWISE = ("clip", "maxpool", "avgpool", "gavgpool", "add", "mul", "table")


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
    pt, pl = layer.attrs["pads"][:2]        # the far side is covered by the output size
    for size, out, k, s, d, p0 in ((h, oh, kh, sh, dh, pt), (w, ow, kw, sw, dw, pl)):
        first = -p0
        last = (out - 1) * s - p0 + d * (k - 1)
        if first < 0 or last >= size:
            return True
    return False


class _Ties:
    """Every (integer tensor, channel) as a node id; ties between nodes; blocks with their reasons."""

    def __init__(self, graph: ir.Graph):
        self.graph = graph
        self.base, self.n = {}, 0
        for name, t in graph.tensors.items():
            if t.q is not None:
                self.base[name] = self.n
                self.n += t.channels
        self.edges = []        # (node ids, node ids, layer)
        self.blocks = []       # (node ids, reason_of(i) -> str for node ids[i])

    def tensor_of(self, node: int) -> str:
        names = list(self.base)
        return names[int(np.searchsorted(list(self.base.values()), node, side="right")) - 1]

    def ids(self, tensor: str) -> np.ndarray:
        return self.base[tensor] + np.arange(self.graph.tensor(tensor).channels)

    def tie(self, a, b, layer):
        self.edges.append((a, b, layer))

    def block(self, nodes, reason_of):
        self.blocks.append((np.asarray(nodes), reason_of))

    def first_block(self) -> np.ndarray:
        """Per node, the index of the first block naming it (-1: none)."""
        first = np.full(self.n, -1)
        for k, (nodes, _) in enumerate(self.blocks):
            new = nodes[first[nodes] < 0]
            first[new] = k
        return first

    def reason(self, node: int, first: np.ndarray) -> str:
        nodes, reason_of = self.blocks[first[node]]
        return reason_of(int(np.flatnonzero(nodes == node)[0]))

    def labels(self) -> np.ndarray:
        """Connected component of every node over the ties."""
        if not self.edges:
            return np.arange(self.n)
        s = np.concatenate([a for a, _, _ in self.edges])
        d = np.concatenate([b for _, b, _ in self.edges])
        adj = coo_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(self.n, self.n))
        return connected_components(adj, directed=False)[1]


def _collect(graph: ir.Graph, const: dict, foldable) -> tuple:
    """The ties and blocks of GRAPH, and the dead channels of each conv/gemm."""
    ties = _Ties(graph)
    for t in ties.base:   # a channel that varies stays, and with it its whole group
        ties.block(ties.ids(t)[const[t] == NO_CONST], lambda i: "live")
    dead = {}
    for layer in graph.layers:
        op = layer.op
        if op in CHANNELWISE:
            out = ties.ids(layer.outputs[0])
            for t in layer.inputs:
                ties.tie(ties.ids(t), out, layer)
        elif op == "concat":
            out, off = ties.ids(layer.outputs[0]), 0
            for t in layer.inputs:
                c = graph.tensor(t).channels
                ties.tie(ties.ids(t), out[off:off + c], layer)
                off += c
        elif op == "gather":      # output channel c is input channel index[c]
            index = np.asarray(layer.attrs["index"], np.int64)
            ties.tie(ties.ids(layer.inputs[0])[index], ties.ids(layer.outputs[0]), layer)
        elif op == "flatten":
            _, h, w = graph.tensor(layer.inputs[0]).shape
            ties.tie(np.repeat(ties.ids(layer.inputs[0]), h * w), ties.ids(layer.outputs[0]), layer)
        elif op == "quantize":
            ties.block(ties.ids(layer.outputs[0]), lambda i, t=layer.outputs[0]: f"'{t}' is the network input")
        elif op == "dequantize":
            ties.block(ties.ids(layer.inputs[0]), lambda i, t=layer.inputs[0]: f"'{t}' is a network output")
        elif op in ("conv", "gemm"):
            dead[layer.name] = dead_channels(layer)
            _consumer_constraints(graph, layer, const, ties, foldable)
    for t in graph.outputs:
        if t in ties.base:
            ties.block(ties.ids(t), lambda i, t=t: f"'{t}' is a network output")
    return ties, dead


def analyze(graph: ir.Graph, foldable=None) -> Analysis:
    """Find dead and constant channels and decide which tied groups can be removed.

    FOLDABLE(layer) -> bool says whether a conv/gemm may take a constant input
    channel into its bias (default: always, where no padding is involved); the
    ONNX export narrows it to layers whose format has an int32 bias.
    """
    const = constants(graph)
    ties, dead = _collect(graph, const, foldable or (lambda layer: True))
    label = ties.labels()
    group_blocked = np.zeros(ties.n, dtype=bool)
    group_blocked[label[ties.first_block() >= 0]] = True
    # never leave a tensor with no channel: keep the group of its channel 0
    for t in ties.base:
        if not group_blocked[label[ties.ids(t)]].any():
            ties.block(ties.ids(t)[:1], lambda i, t=t: f"'{t}' keeps at least one channel")
            group_blocked[label[ties.base[t]]] = True
    keep = {t: group_blocked[label[ties.ids(t)]] for t in ties.base}
    reasons = _kept_reasons(graph, ties, dead, keep, label)
    return Analysis(const=const, dead=dead, keep=keep, kept_reasons=reasons)


def is_depthwise(graph: ir.Graph, layer: ir.Layer) -> bool:
    """A conv whose output channel c reads input channel c alone (groups == input == output channels)."""
    g = layer.attrs.get("groups", 1)
    return (layer.op == "conv" and g > 1 and graph.tensor(layer.inputs[0]).channels == g
            and graph.tensor(layer.outputs[0]).channels == g)


def _consumer_constraints(graph, layer, const, ties, foldable):
    """Block input channels of a conv/gemm that cannot be dropped or folded exactly; tie a depthwise
    conv's input channel c to its output channel c (they go together: the whole channel leaves the
    conv, so nothing is folded; it goes only when the output channel is constant too)."""
    src = layer.inputs[0]
    zx = graph.tensor(src).q.zero_point
    c = const[src]
    nodes = ties.ids(src)
    if is_depthwise(graph, layer):
        ties.tie(nodes, ties.ids(layer.outputs[0]), layer)
        return
    if layer.op == "conv" and layer.attrs.get("groups", 1) != 1:
        ties.block(nodes, lambda i: f"input of grouped conv '{layer.name}'")
        ties.block(ties.ids(layer.outputs[0]), lambda i: f"output of grouped conv '{layer.name}'")
        return
    needs_fold = np.flatnonzero((c != NO_CONST) & (c != zx))
    if not len(needs_fold):
        return
    if not foldable(layer):
        ties.block(nodes[needs_fold], lambda i: f"constant channel {needs_fold[i]} "
                                                f"cannot be folded into '{layer.name}' in this format")
    elif layer.op == "conv" and touches_padding(graph, layer):
        ties.block(nodes[needs_fold], lambda i: f"border correction of constant channel "
                                                f"{needs_fold[i]} feeding '{layer.name}'")


def _kept_reasons(graph, ties, dead, keep, label):
    """For each conv/gemm, why each of its dead output channels stays."""
    first = ties.first_block()
    blocked = np.flatnonzero(first >= 0)
    owner = np.full(ties.n, ties.n)            # per group: its first blocked node (tensor order)
    np.minimum.at(owner, label[blocked], blocked)
    tied_by = np.full(ties.n, -1)              # per group: the first add/concat tying it
    for k, (a, _, layer) in enumerate(ties.edges):
        if layer.op in ("add", "concat"):
            g = label[a]
            tied_by[g[tied_by[g] < 0]] = k
    producer = {t: layer.name for layer in graph.layers for t in layer.outputs}
    out = {}
    for layer in graph.layers:
        if layer.name not in dead:
            continue
        t = layer.outputs[0]
        nodes = ties.ids(t)
        joins = [c for c in graph.consumers(t) if c.op in ("add", "concat")]
        msgs = []
        for c in np.flatnonzero(dead[layer.name] & keep[t]):
            g = label[nodes[c]]
            node = int(owner[g])
            where = ties.tensor_of(node)
            reason = ties.reason(node, first)
            if reason == "live":
                reason = f"channel {node - ties.base[where]} live in '{producer.get(where, where)}'"
            if tied_by[g] >= 0 and where != t:
                join = joins[0] if joins else ties.edges[tied_by[g]][2]
                reason = f"tied by {join.op} '{join.name}': {reason}"
            msgs.append(f"channel {c}: {reason}")
        out[layer.name] = msgs
    return out
