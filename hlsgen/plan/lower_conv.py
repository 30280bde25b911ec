"""Lowering of conv and gemm layers: a stem's host im2col, grouped-conv windows, the fused epilogue
(clip, residual add, table, max pool), weights.bin blocks and row-tiled conv invocations."""
from __future__ import annotations

from ..errors import UserError
from .fusion import bounds
from .invocation import Invocation
from .row_tiles import row_tiles
from .steps import Step, add_fields, signed
from .weight_pack import engine_weights, group_window


class ConvLowering:
    """The conv and gemm lowerings of ``schedule._Lowering`` (its graph ``g``, engine ``e``, fusion
    index ``fx``, activation memory ``mem`` and weights ``wts``)."""

    def _epilogue(self, layer, lo, hi, covered):
        """Fuse clip, residual add and its clip, then a table layer, after a conv/gemm:
        (out tensor, fields, the fused table's rows or None)."""
        tensors, slot = self.mem.tensors, self.mem.concat_slot
        out, lo, hi = self.fx.fuse_clip(layer.outputs[0], lo, hi, covered)
        q_conv = self.g.tensor(out).q
        f = {"zy": q_conv.zero_point, "lo": lo, "hi": hi, "out_signed": signed(q_conv)}
        residual = self.fx.residual_of(out)
        if residual is not None and out not in slot:
            add, other = residual
            res = tensors.get(other)
            x = tensors[layer.inputs[0]]
            x = tensors[x.view_of] if x.view_of else x
            ok = (other != out and res is not None and res.view_of is None and res.c0w == 0
                  and res.map_cw == self.e.words(res.c) and tuple(res.shape) == tuple(self.g.tensor(out).shape)
                  and res.bank == x.bank)
            if ok:
                covered.append(add.name)
                q_out = self.g.tensor(add.outputs[0]).q
                a_lo, a_hi = bounds(add, q_out)
                out2, a_lo, a_hi = self.fx.fuse_clip(add.outputs[0], a_lo, a_hi, covered)
                f.update(add_fields(q_conv, res.q, q_out, add.name), add_en=1, add_addr=res.addr,
                         add_signed=signed(res.q), add_lo=a_lo, add_hi=a_hi, out_signed=signed(q_out))
                out = out2
        table = None
        tab = self.fx.single_consumer(out, "table") if self.e.epilogue_tables else None
        if tab is not None and out not in slot:
            covered.append(tab.name)
            out, table = tab.outputs[0], tab.params["table"]
            f.update(tab_en=1, out_signed=signed(self.g.tensor(out).q))
        return out, f, table

    def _lower_gemm(self, layer):
        return self._lower_conv(layer)

    def _lower_conv(self, layer):
        e, mem = self.e, self.mem
        covered = [layer.name]
        x = mem.map(layer.inputs[0])
        xq = x.q
        out_t = self.g.tensor(layer.outputs[0])
        cout = int(layer.params["w"].shape[0])
        stem = False
        host = []
        if layer.op == "gemm":
            src = mem.tensors[x.view_of] if x.view_of else x
            c, h, wd = src.c, src.h, src.w
            cw = e.words(c)
            if src.c0w != 0 or src.map_cw != cw:
                raise UserError(f"node {layer.name}: gemm input must be a whole feature map")
            layout = ("gemm", c, h, wd, cw * e.pi)
            k, s, pt, pl = 1, 1, 0, 0
            in_h, in_w, in_cw, out_h, out_w = 1, 1, h * wd * cw, 1, 1
            x = src
        else:
            kh, kw = layer.attrs["kernel"]
            sh, sw = layer.attrs["stride"]
            pads = layer.attrs["pads"]
            if kh != kw or sh != sw or tuple(layer.attrs.get("dilation", (1, 1))) != (1, 1):
                raise UserError(f"node {layer.name}: only square kernels, equal strides and no dilation "
                                "are supported")
            k, s, pt, pl = kh, sh, pads[0], pads[1]
            if k > 15 or s > 15 or pt > 15 or pl > 15:
                raise UserError(f"node {layer.name}: kernel, stride or padding above 15")
            groups = layer.attrs.get("groups", 1)
            out_h, out_w = int(out_t.shape[1]), int(out_t.shape[2])
            cin = int(layer.params["w"].shape[1]) * groups
            layout = ("conv", groups)
            if self.fx.is_stem(layer, e.pi) and x.c0w == 0:
                stem = True
                packed = mem.packed(f"{layer.name}:im2col", x, k * k * cin, out_h, out_w)
                host.append({"kind": "im2col", "layer": layer.name, "src": x.name, "dst": packed.name,
                             "k": k, "stride": s, "pad_t": pt, "pad_l": pl, "zx": xq.zero_point})
                layout = ("stem", groups)
                x, k, s, pt, pl = packed, 1, 1, 0, 0
            in_h, in_w, in_cw = x.h, x.w, x.map_cw
            if x.c0w != 0 or x.map_cw != e.words(x.c):
                raise UserError(f"node {layer.name}: input must be a whole feature map")
        cin_words, cw_step = in_cw, 0
        if layout[0] == "conv" and layout[1] > 1:
            step = group_window(cin, cout, layout[1], e.pi, e.po)
            if step and step < in_cw:      # each PO group reads only its conv groups' input words
                cin_words = cw_step = step
                layout = ("window", layout[1], step, e.pi, e.po)
        out_name, epi, table = self._epilogue(layer, *bounds(layer, out_t.q), covered)
        w_addr, gbytes, ngroups = self.wts.conv(
            cout, k, cin_words, lambda: engine_weights(layer, xq, out_t.q, layout), table)
        pool_k = 0
        if layer.op != "gemm" and not epi.get("add_en") and out_name not in mem.concat_slot:
            pool_k = self.fx.fusable_pool(out_name)
        if pool_k:
            pool = self.fx.single_consumer(out_name, "maxpool")
            covered.append(pool.name)
            out_name = pool.outputs[0]
            out_h, out_w = out_h // pool_k * pool_k, out_w // pool_k
        y = mem.map(out_name, read=x.bank)
        row_bytes = in_w * in_cw * e.pi
        step = Step(layer.name, layer.op, covered, host=host,
                    info={"stem": stem, "k": k, "stride": s, "cin_words": cin_words, "pool_k": pool_k,
                          "cout": cout, "groups": ngroups, "group_bytes": gbytes,
                          "out_h": out_h, "out_w": out_w, "in": x.name, "out": y.name})
        if layer.attrs.get("selection"):
            step.info["note"] = "channel selection (a shuffle or split that no reader could fold) as a 1x1 conv"
        elif layer.meta.get("folded_gathers"):
            step.info["note"] = f"reads {', '.join(layer.meta['folded_gathers'])} folded into its weights"
        base = dict(in_addr=x.addr, in_h=in_h, in_w=in_w, in_cw=in_cw, out_addr=y.addr, out_w=out_w,
                    out_cw=y.map_cw, out_c0w=y.c0w, out_words=e.words(cout), k=k, stride=s, tap_cw=cin_words,
                    cw_step=cw_step,
                    pad_t=pt, pad_l=pl, groups=ngroups, w_addr=w_addr, w_group_bytes=gbytes,
                    zx=xq.zero_point, in_signed=signed(xq), rd_bank=x.bank, wr_bank=y.bank, pool_k=pool_k, **epi)
        for iy0, iy1, oy0, oy1 in row_tiles(e.in_buf_bytes, in_h, out_h, k, s, pt, row_bytes, mult=max(pool_k, 1)):
            step.invocations.append(Invocation(layer.name, "conv",
                                               dict(base, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step
