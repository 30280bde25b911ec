"""Lowering of the vector unit's layers: pools, element-wise adds and clips, tables, a map times a
per-channel vector; row-tiled where they read windows of rows."""
from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..golden import ops, requant
from .fusion import bounds
from .invocation import Invocation
from .row_tiles import row_tiles
from .steps import Step, add_fields, f32_bits, signed


class VectorLowering:
    """The vector-unit lowerings of ``schedule._Lowering`` (its graph ``g``, engine ``e``, fusion index
    ``fx``, activation memory ``mem`` and weights ``wts``)."""

    def _pool(self, layer, kind):
        e = self.e
        x = self.mem.map(layer.inputs[0])
        if x.c0w != 0 or x.map_cw != e.words(x.c):
            raise UserError(f"node {layer.name}: pool input must be a whole feature map")
        out_t = self.g.tensor(layer.outputs[0])
        y = self.mem.map(layer.outputs[0], read=x.bank)
        qx, qy = x.q, out_t.q
        if kind == "gavgpool":
            k, s, pt, pl, count = 0, 1, 0, 0, x.h * x.w
            out_h, out_w = 1, 1
        else:
            kh, kw = layer.attrs["kernel"]
            sh, sw = layer.attrs["stride"]
            pads = layer.attrs.get("pads", (0, 0, 0, 0))
            if kh != kw or sh != sw:
                raise UserError(f"node {layer.name}: only square pooling windows and equal strides")
            whole = layer.attrs.get("count_include_pad", 0) or not any(pads)
            k, s, pt, pl, count = kh, sh, pads[0], pads[1], kh * kw if whole else 0
            out_h, out_w = int(out_t.shape[1]), int(out_t.shape[2])
        if kind == "maxpool":
            if qx != qy:
                raise UserError(f"node {layer.name}: maxpool must keep the quantization of its input")
            scale, y_scale, recip = 0, 0, 0
        elif kind == "gavgpool":
            scale, y_scale, recip = f32_bits(ops.gavgpool_scale(count, qx, qy)), 0, 0
        else:
            scale, y_scale, recip = f32_bits(qx.scale), f32_bits(qy.scale), requant.y_recip(qy.scale)
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=out_w,
                      k=k, stride=s, pad_t=pt, pad_l=pl, scale=scale, y_scale=y_scale, y_recip=recip,
                      zx=qx.zero_point, zy=qy.zero_point, lo=qy.qmin, hi=qy.qmax, in_signed=signed(qx), count=count,
                      rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, kind, [layer.name],
                    info={"k": k, "stride": s, "out_h": out_h, "out_w": out_w, "in": x.name, "out": y.name})
        row_bytes = x.w * x.map_cw * e.pi
        for iy0, iy1, oy0, oy1 in row_tiles(e.in_buf_bytes, x.h, out_h, max(k, 1), s, pt, row_bytes,
                                            all_rows=kind == "gavgpool"):
            step.invocations.append(Invocation(layer.name, kind, dict(fields, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _lower_maxpool(self, layer):
        return self._pool(layer, "maxpool")

    def _lower_avgpool(self, layer):
        return self._pool(layer, "avgpool")

    def _lower_gavgpool(self, layer):
        return self._pool(layer, "gavgpool")

    def _elementwise(self, layer, a_name, b_name, consts, lo, hi, out_name, covered):
        a, b = self.mem.map(a_name), self.mem.map(b_name)
        for t in (a, b):
            if t.view_of or t.c0w != 0 or t.map_cw != self.e.words(t.c):
                raise UserError(f"node {layer.name}: add operands must be whole feature maps")
        self.mem.same_bank(layer, a, b)
        y = self.mem.map(out_name, read=a.bank)
        words = a.h * a.w * a.map_cw
        fields = dict(consts, a_addr=a.addr, b_addr=b.addr, out_addr=y.addr, words=words, lo=lo, hi=hi,
                      a_signed=signed(a.q), b_signed=signed(b.q), rd_bank=a.bank, wr_bank=y.bank)
        return Step(layer.name, layer.op, covered, invocations=[Invocation(layer.name, "add", fields)],
                    info={"in": a.name, "out": y.name})

    def _lower_add(self, layer):
        covered = [layer.name]
        out, lo, hi = self.fx.fuse_clip(layer.outputs[0], *bounds(layer, self.g.tensor(layer.outputs[0]).q),
                                      covered)
        qa, qb = self.g.tensor(layer.inputs[0]).q, self.g.tensor(layer.inputs[1]).q
        consts = add_fields(qa, qb, self.g.tensor(out).q, layer.name)
        return self._elementwise(layer, layer.inputs[0], layer.inputs[1], consts, lo, hi, out, covered)

    def _lower_table(self, layer):
        """Element-wise tables: row by row over the input map (a 1x1 window), the tables streamed
        from weights.bin first; the output may be a channel slice of a concat's map."""
        e = self.e
        x = self.mem.map(layer.inputs[0])
        if x.view_of or x.c0w != 0 or x.map_cw != e.words(x.c):
            raise UserError(f"node {layer.name}: table input must be a whole feature map")
        y = self.mem.map(layer.outputs[0], read=x.bank)
        t_words = 1 if layer.params["table"].shape[0] == 1 else x.map_cw
        w_addr, tbytes = self.wts.table(layer.params["table"], t_words)
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=x.w,
                      out_cw=y.map_cw, out_c0w=y.c0w, k=1, stride=1, pad_t=0, pad_l=0, w_addr=w_addr,
                      w_group_bytes=tbytes, t_words=t_words, in_signed=signed(x.q), rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, "table", [layer.name], blocks=[(w_addr, tbytes)],
                    info={"k": 1, "stride": 1, "out_h": x.h, "out_w": x.w, "in": x.name, "out": y.name,
                          "note": layer.attrs.get("source", "")})
        for iy0, iy1, oy0, oy1 in row_tiles(e.in_buf_bytes, x.h, x.h, 1, 1, 0, x.w * x.map_cw * e.pi):
            step.invocations.append(Invocation(layer.name, "table", dict(fields, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _lower_mul(self, layer):
        """A feature map times a per-channel vector: the vector's words, then the map row by row (a 1x1
        window), each word's lanes times the vector's word of that channel (QLinearMul, ``requant.mul_int``)."""
        e = self.e
        x, v = self.mem.map(layer.inputs[0]), self.mem.map(layer.inputs[1])
        for t in (x, v):
            if t.view_of or t.c0w != 0 or t.map_cw != e.words(t.c):
                raise UserError(f"node {layer.name}: mul operands must be whole feature maps")
        if (v.h, v.w) != (1, 1) or v.c != x.c:
            raise UserError(f"node {layer.name}: mul takes a feature map times a per-channel vector")
        self.mem.same_bank(layer, x, v)
        y = self.mem.map(layer.outputs[0], read=x.bank)
        qy = self.g.tensor(layer.outputs[0]).q
        try:
            ratio = requant.mul_ratio(x.q, v.q, qy)
        except ValueError as err:
            raise UserError(f"node {layer.name}: {err}") from None
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=x.w,
                      k=1, stride=1, pad_t=0, pad_l=0, b_addr=v.addr, scale=f32_bits(ratio), zb=v.q.zero_point,
                      zx=x.q.zero_point, zy=qy.zero_point, lo=qy.qmin, hi=qy.qmax, in_signed=signed(x.q),
                      b_signed=signed(v.q), rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, "mul", [layer.name],
                    info={"k": 1, "stride": 1, "out_h": x.h, "out_w": x.w, "in": x.name, "out": y.name})
        for iy0, iy1, oy0, oy1 in row_tiles(e.in_buf_bytes, x.h, x.h, 1, 1, 0, x.w * x.map_cw * e.pi):
            step.invocations.append(Invocation(layer.name, "mul", dict(fields, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _lower_clip(self, layer):
        """A standalone clip: an add with ra = 1, rb = 0, k = 0 (same quantization in and out)."""
        q = self.g.tensor(layer.inputs[0]).q
        if self.g.tensor(layer.outputs[0]).q != q:
            raise UserError(f"node {layer.name}: clip must keep the quantization of its input")
        t = layer.inputs[0]
        consts = {"add_" + n: v for n, v in requant.add_consts(np.float32(1), np.float32(0), np.float32(0)).items()}
        return self._elementwise(layer, t, t, consts, *bounds(layer, q), layer.outputs[0], [layer.name])
