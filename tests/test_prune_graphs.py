"""Small hand-built IR graphs for the pruning tests."""
from __future__ import annotations

import numpy as np

from hlsgen import ir


class Builder:
    """Append layers to an IR graph, one call per layer, tensors named after their layer."""

    def __init__(self, shape, seed=0, zx=-3, scale=0.02):
        self.rng = np.random.default_rng(seed)
        self.tensors = {"x": ir.Tensor("x", tuple(shape))}
        self.layers = []
        self.last = self._add("quant", "quantize", ["x"], tuple(shape), ir.QParams(scale, zx, "int8"))

    def _add(self, name, op, inputs, shape, q, attrs=None, params=None):
        self.tensors[name] = ir.Tensor(name, tuple(shape), q)
        self.layers.append(ir.Layer(name, op, list(inputs), [name], dict(attrs or {}), dict(params or {})))
        self.last = name
        return name

    def _q(self, zy=None):
        zy = int(self.rng.integers(-20, 20)) if zy is None else zy
        return ir.QParams(float(self.rng.uniform(0.02, 0.05)), zy, "int8")

    def conv(self, name, out_ch, k=3, stride=1, pad=None, src=None, dead=(), dead_bias=None,
             relu=True, zy=None, groups=1):
        """A conv with random int8 weights; filters DEAD zeroed, their bias set to DEAD_BIAS if given."""
        src = src or self.last
        c, h, w = self.tensors[src].shape
        pad = k // 2 if pad is None else pad
        wt = self.rng.integers(-60, 60, size=(out_ch, c // groups, k, k)).astype(np.int8)
        wt[list(dead)] = 0
        b = self.rng.integers(-3000, 3000, size=out_ch).astype(np.int32)
        if dead_bias is not None:
            b[list(dead)] = dead_bias
        q = self._q(zy)
        lo, hi = (q.zero_point, 127) if relu else (-128, 127)
        oh = ir.conv_out_size(h, k, stride, pad, pad)
        ow = ir.conv_out_size(w, k, stride, pad, pad)
        return self._add(name, "conv", [src], (out_ch, oh, ow), q,
                         dict(kernel=(k, k), stride=(stride, stride), pads=(pad,) * 4,
                              dilation=(1, 1), groups=groups, act_min=lo, act_max=hi),
                         dict(w=wt, w_zp=np.zeros(out_ch, np.int32),
                              w_scale=self.rng.uniform(0.002, 0.01, out_ch).astype(np.float32), b=b))

    def gemm(self, name, out, src=None, dead=()):
        src = src or self.last
        (i,) = self.tensors[src].shape
        wt = self.rng.integers(-60, 60, size=(out, i)).astype(np.int8)
        wt[list(dead)] = 0
        b = self.rng.integers(-3000, 3000, size=out).astype(np.int32)
        return self._add(name, "gemm", [src], (out,), self._q(), dict(act_min=-128, act_max=127),
                         dict(w=wt, w_zp=np.zeros(out, np.int32),
                              w_scale=self.rng.uniform(0.002, 0.01, out).astype(np.float32), b=b))

    def maxpool(self, name, k=2, stride=2, pad=0, src=None):
        src = src or self.last
        c, h, w = self.tensors[src].shape
        shape = (c, ir.conv_out_size(h, k, stride, pad, pad), ir.conv_out_size(w, k, stride, pad, pad))
        return self._add(name, "maxpool", [src], shape, self.tensors[src].q,
                         dict(kernel=(k, k), stride=(stride, stride), pads=(pad,) * 4))

    def avgpool(self, name, k=3, stride=1, pad=1, count_include_pad=1, src=None):
        src = src or self.last
        c, h, w = self.tensors[src].shape
        shape = (c, ir.conv_out_size(h, k, stride, pad, pad), ir.conv_out_size(w, k, stride, pad, pad))
        return self._add(name, "avgpool", [src], shape, self._q(),
                         dict(kernel=(k, k), stride=(stride, stride), pads=(pad,) * 4,
                              count_include_pad=count_include_pad))

    def clip(self, name, lo, hi, src=None):
        src = src or self.last
        t = self.tensors[src]
        return self._add(name, "clip", [src], t.shape, t.q, dict(act_min=lo, act_max=hi))

    def add(self, name, a, b, relu=True, zy=None):
        q = self._q(zy)
        lo = q.zero_point if relu else -128
        return self._add(name, "add", [a, b], self.tensors[a].shape, q, dict(act_min=lo, act_max=127))

    def gavgpool(self, name, src=None):
        src = src or self.last
        c = self.tensors[src].shape[0]
        return self._add(name, "gavgpool", [src], (c, 1, 1), self._q())

    def concat(self, name, srcs):
        c = sum(self.tensors[s].shape[0] for s in srcs)
        return self._add(name, "concat", srcs, (c,) + self.tensors[srcs[0]].shape[1:],
                         self.tensors[srcs[0]].q, dict(axis=0))

    def flatten(self, name, src=None):
        src = src or self.last
        t = self.tensors[src]
        return self._add(name, "flatten", [src], (int(np.prod(t.shape)),), t.q)

    def graph(self) -> ir.Graph:
        src = self.last
        self.tensors["y"] = ir.Tensor("y", self.tensors[src].shape)
        self.layers.append(ir.Layer("dequant", "dequantize", [src], ["y"]))
        g = ir.Graph(self.tensors, self.layers, ["x"], ["y"])
        g.validate()
        return g
