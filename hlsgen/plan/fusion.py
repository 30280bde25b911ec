"""Fusion decisions: which layers run inside another layer's invocation (ENGINE.md section 3).

A conv's (or gemm's) epilogue takes, in this order: a clip keeping the quantization, a residual add
(and its clip), a table layer, and a max pool whose window equals its stride. ``Fusion`` answers
these questions from the graph's structure for the lowering (plan.lowering, plan.lower_conv), the
bank choice (plan.memory) and the buffer sizes (plan.buffers); the lowering adds the conditions only
it knows (tensor maps, banks, the engine's epilogue tables).
"""
from __future__ import annotations

from .. import ir


def bounds(layer: ir.Layer, q: ir.QParams) -> tuple:
    """Output clamp: the layer's act_min/act_max within the dtype range (as the golden model)."""
    return max(layer.attrs.get("act_min", q.qmin), q.qmin), min(layer.attrs.get("act_max", q.qmax), q.qmax)


def stem_shape(cin: int, k: int, pi: int) -> bool:
    """A conv of this shape runs as a stem (a 1x1 conv over the host's im2col of its input) when its input
    is the quantized network input (plan.lower_conv adds that test): fewer input channels than PI, k > 1."""
    return cin < pi and k > 1


def other_input(layer: ir.Layer, t: str) -> str:
    """The operand of a two-input LAYER that is not T (T itself for T op T)."""
    return layer.inputs[1] if layer.inputs[0] == t else layer.inputs[0]


class Fusion:
    """Producers and consumers of a graph's tensors, and what may fuse after a tensor."""

    def __init__(self, graph: ir.Graph):
        self.g = graph
        self.producer = {t: layer for layer in graph.layers for t in layer.outputs}
        self.consumers: dict = {}
        for layer in graph.layers:
            for t in layer.inputs:
                self.consumers.setdefault(t, []).append(layer)

    def single_consumer(self, t: str, op: str):
        """T's only reader when it is an OP layer and T is not a graph output, else None."""
        cons = self.consumers.get(t, [])
        if len(cons) == 1 and cons[0].op == op and t not in self.g.outputs:
            return cons[0]
        return None

    def clip_after(self, t: str):
        """The clip fused into the writer of T: T's only reader, keeping T's quantization (else None)."""
        clip = self.single_consumer(t, "clip")
        if clip is None or self.g.tensor(clip.outputs[0]).q != self.g.tensor(t).q:
            return None
        return clip

    def fuse_clip(self, t: str, lo: int, hi: int, covered: list):
        """Take T's fused clip (if any) into COVERED: (what the writer then writes, its clamp lo, hi)."""
        clip = self.clip_after(t)
        if clip is None:
            return t, lo, hi
        out = clip.outputs[0]
        covered.append(clip.name)
        clo, chi = bounds(clip, self.g.tensor(out).q)
        return out, max(lo, clo), min(hi, chi)

    def through_clip(self, t: str) -> str:
        """What the writer of T writes once its fused clip (if any) is taken."""
        clip = self.clip_after(t)
        return t if clip is None else clip.outputs[0]

    def is_stem(self, layer: ir.Layer, pi: int) -> bool:
        """A conv that runs as a stem (a 1x1 conv over the host's im2col of its input, plan.lower_conv):
        its shape allows it (``stem_shape``), one group, and its input is the quantized network input."""
        cin = int(layer.params["w"].shape[1]) * layer.attrs.get("groups", 1)
        prod = self.producer.get(layer.inputs[0])
        return (stem_shape(cin, layer.attrs["kernel"][0], pi) and layer.attrs.get("groups", 1) == 1
                and prod is not None and prod.op == "quantize")

    def residual_of(self, t: str):
        """(add, its other operand) when T's only reader is an add, the residual add a conv epilogue
        writing T takes (when its maps allow: plan.lower_conv), else None."""
        add = self.single_consumer(t, "add")
        return None if add is None else (add, other_input(add, t))

    def fusable_pool(self, t: str) -> int:
        """Window of a max pool that can run in the epilogue of the conv writing T (0: none): T's only
        consumer, window = stride, no padding, floor output size, same quantization."""
        pool = self.single_consumer(t, "maxpool")
        if pool is None:
            return 0
        kh, kw = pool.attrs["kernel"]
        sh, sw = pool.attrs["stride"]
        pads = tuple(pool.attrs.get("pads", (0, 0, 0, 0)))
        x, y = self.g.tensor(t), self.g.tensor(pool.outputs[0])
        ok = (kh == kw == sh == sw and 1 < kh <= 15 and not any(pads) and x.q == y.q and len(x.shape) == 3
              and tuple(pool.attrs.get("dilation", (1, 1))) == (1, 1)
              and tuple(y.shape[1:]) == (x.shape[1] // kh, x.shape[2] // kh))
        return int(kh) if ok else 0

    def pool_window_bound(self, t: str) -> int:
        """At least the window of any max pool a conv writing T may fuse (1: none), whatever the engine:
        a max pool with window = stride after T through up to two clips or tables (plan.buffers sizes
        the input buffer for it; ``fusable_pool`` decides)."""
        for _ in range(3):
            cons = self.consumers.get(t, [])
            if len(cons) != 1:
                return 1
            if cons[0].op == "maxpool" and cons[0].attrs["kernel"][0] == cons[0].attrs["stride"][0]:
                return int(cons[0].attrs["kernel"][0])
            if cons[0].op not in ("clip", "table"):
                return 1
            t = cons[0].outputs[0]
        return 1
