"""Schedule: the compacted IR mapped onto engine invocations (ENGINE.md sections 1, 3, 4).

``lower(graph, engine)`` decides, layer by layer: where every tensor lives in the
activation memory, which layers fuse (clip into its producer, a residual add
into the conv epilogue), the row tiles of every conv and pool (sized to the
input buffer), and the fields of every invocation. With ``pack=True`` it also
builds weights.bin (engine layout, bias' with zx folded, requant scale bits).
The cycle model, the tiled golden and the emitters read the result.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..errors import UserError
from ..golden import ops, requant
from .concat import needs_table, with_concat_tables
from .engine import Engine, align
from .gather import without_gathers
from .invocation import Invocation

VECTOR_OPS = ("maxpool", "avgpool", "gavgpool")


@dataclass
class TensorMap:
    """Where an integer tensor lives: a feature map of ``map_cw`` words per pixel at ``addr``.

    The tensor's own channels are words ``c0w .. c0w + ceil(C/PI) - 1`` of each pixel
    (``c0w`` > 0 inside a concat). ``view_of``: a flatten output, laid out as its source.
    ``bank``: the activation bank (0 or 1) holding it; addresses are unique over both banks.
    """
    name: str
    shape: tuple
    q: ir.QParams
    addr: int
    h: int
    w: int
    c: int
    map_cw: int
    c0w: int = 0
    view_of: str | None = None
    bank: int = 0

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "addr": self.addr, "bank": self.bank, "c": self.c,
                "h": self.h, "w": self.w, "map_cw": self.map_cw, "c0w": self.c0w,
                "view_of": self.view_of, "scale": self.q.scale, "zero_point": self.q.zero_point,
                "dtype": self.q.dtype}


@dataclass
class Step:
    """One IR layer (or a fused run of layers) and what runs for it."""
    name: str
    op: str
    layers: list                     # IR layer names it covers (first = name)
    invocations: list = field(default_factory=list)
    host: list = field(default_factory=list)
    blocks: list = field(default_factory=list)   # (offset, bytes) in weights.bin
    info: dict = field(default_factory=dict)


@dataclass
class Schedule:
    engine: Engine
    tensors: dict                    # name -> TensorMap
    steps: list
    act_bytes: int
    weights: bytes | None
    weight_bytes: int

    @property
    def invocations(self) -> list:
        return [inv for s in self.steps for inv in s.invocations]

    @property
    def host_steps(self) -> list:
        return [h for s in self.steps for h in s.host]


def _bounds(layer: ir.Layer, q: ir.QParams) -> tuple:
    """Output clamp: the layer's act_min/act_max within the dtype range (as the golden model)."""
    return max(layer.attrs.get("act_min", q.qmin), q.qmin), min(layer.attrs.get("act_max", q.qmax), q.qmax)


def _signed(q: ir.QParams) -> int:
    return int(q.dtype == "int8")


def _hw(shape) -> tuple:
    return (int(shape[1]), int(shape[2])) if len(shape) == 3 else (1, 1)


class _BankConflict(Exception):
    """Two tensors one invocation reads through act_rd ended up in different banks."""


class _Lowering:
    def __init__(self, graph: ir.Graph, engine: Engine, pack: bool, banks: int):
        self.g, self.e, self.pack, self.banks = graph, engine, pack, banks
        self.tensors: dict = {}
        self.act_top = 0
        self.wblob = bytearray()
        self.wsize = 0
        self.order = {layer.name: i for i, layer in enumerate(graph.layers)}
        self.producer = {t: layer for layer in graph.layers for t in layer.outputs}
        self.consumers: dict = {}
        for layer in graph.layers:
            for t in layer.inputs:
                self.consumers.setdefault(t, []).append(layer)
        self.concat_slot = self._plan_concats()
        self.done: set = set()

    # -- memory ------------------------------------------------------------
    def _alloc(self, nbytes: int) -> int:
        addr = self.act_top
        self.act_top = align(addr + nbytes)
        return addr

    def _new_map(self, name: str, shape=None, q=None, read: int | None = None) -> TensorMap:
        t = self.g.tensor(name)
        shape = tuple(shape or t.shape)
        q = q or t.q
        c = int(shape[0])
        h, w = _hw(shape)
        if name in self.concat_slot:
            cat, c0w = self.concat_slot[name]
            base = self._map(cat)
            m = TensorMap(name, shape, q, base.addr, h, w, c, base.map_cw, c0w, bank=base.bank)
        else:
            cw = self.e.words(c)
            m = TensorMap(name, shape, q, self._alloc(h * w * cw * self.e.pi), h, w, c, cw,
                          bank=self._bank(name, read))
        self.tensors[name] = m
        return m

    def _bank(self, name: str, read: int | None) -> int:
        """Bank of a new tensor: the bank of a partner it will be read with through act_rd (the
        residual of the conv it feeds, the other operand of its add), else the bank other than
        READ (what its producer reads), so that act_rd and act_wr each get a whole bank."""
        if self.banks == 1:
            return 0
        for cons in self.consumers.get(name, []):
            partner = None
            if cons.op in ("add", "mul"):
                partner = cons.inputs[1] if cons.inputs[0] == name else cons.inputs[0]
            elif cons.op == "conv" and cons.inputs[0] == name:
                out = cons.outputs[0]
                clip = self._single_consumer(out, "clip")
                out = clip.outputs[0] if clip is not None else out
                add = self._single_consumer(out, "add")
                if add is not None:
                    partner = add.inputs[1] if add.inputs[0] == out else add.inputs[0]
            if partner is not None and partner in self.tensors:
                return self.tensors[partner].bank
        return 0 if read is None else 1 - read

    def _same_bank(self, layer, *maps):
        if len({m.bank for m in maps}) > 1:
            raise _BankConflict(layer.name)

    def _map(self, name: str, read: int | None = None) -> TensorMap:
        if name not in self.tensors:
            if self.g.tensor(name).q is None:
                raise UserError(f"tensor {name}: float tensor inside the integer graph")
            self._new_map(name, read=read)
        return self.tensors[name]

    def _plan_concats(self) -> dict:
        """Concat inputs become channel slices of the concat's map (word-aligned, same quantization)."""
        slot = {}
        for layer in self.g.layers:
            if layer.op != "concat":
                continue
            if layer.attrs.get("axis", 0) != 0:
                raise UserError(f"node {layer.name}: concat on an axis other than channels is not supported")
            c0 = 0
            for t in layer.inputs:
                if needs_table(self.g, layer, t, self.producer, self.consumers):
                    raise AssertionError(f"concat input {t} needs a table (plan.concat.with_concat_tables)")
                if c0 % self.e.pi:
                    raise UserError(f"node {layer.name}: concat input {t} starts at channel {c0}, not a multiple "
                                    f"of the engine's PI={self.e.pi}; not supported")
                slot[t] = (layer.outputs[0], c0 // self.e.pi)
                c0 += self.g.tensor(t).channels
        return slot

    # -- weights ------------------------------------------------------------
    def _conv_weights(self, o: int, k: int, cin_words: int, arrays, table=None):
        """Reserve (and with ``pack``, write) one conv's groups; ``arrays()`` gives w' as
        (O, I, k, k) int, bias' int64 and the float32 scales; TABLE (T, 256): a table layer fused into
        the epilogue, PO rows per block after the constants. Returns (w_addr, group_bytes, groups)."""
        pi, po = self.e.pi, self.e.po
        groups = -(-o // po)
        wbytes = k * k * cin_words * po * pi
        toff = align(wbytes) + align(8 * po)
        gbytes = align(toff + (256 * po if table is not None else 0), self.e.w_align)
        w_addr = self.wsize
        if self.pack:
            wq, bias, scale = arrays()
            full = np.zeros((groups * po, cin_words * pi, k, k), np.int8)
            full[:o, :wq.shape[1]] = wq
            arr = full.reshape(groups, po, cin_words, pi, k, k).transpose(0, 4, 5, 2, 1, 3)
            consts = np.zeros((groups * po, 2), np.uint32)
            consts[:o, 0] = bias.astype(np.int32).view(np.uint32)
            consts[:o, 1] = scale.astype(np.float32).view(np.uint32)
            consts = consts.reshape(groups, po * 2).astype("<u4")
            for g in range(groups):
                blk = bytearray(gbytes)
                blk[:wbytes] = arr[g].tobytes()
                blk[align(wbytes):align(wbytes) + 8 * po] = consts[g].tobytes()
                if table is not None:
                    rows = np.asarray(table, np.int64) & 0xFF
                    rows = np.repeat(rows, po, 0) if len(rows) == 1 else rows[g * po:(g + 1) * po]
                    blk[toff:toff + rows.size] = rows.astype(np.uint8).tobytes()
                self.wblob += blk
        self.wsize += groups * gbytes
        return w_addr, gbytes, groups

    # -- helpers ------------------------------------------------------------
    def _single_consumer(self, t: str, op: str):
        cons = self.consumers.get(t, [])
        if len(cons) == 1 and cons[0].op == op and t not in self.g.outputs:
            return cons[0]
        return None

    def _fuse_clip(self, t: str, lo: int, hi: int, covered: list):
        """Follow a single-consumer clip: returns (tensor, lo, hi)."""
        clip = self._single_consumer(t, "clip")
        if clip is None:
            return t, lo, hi
        out = clip.outputs[0]
        if self.g.tensor(out).q != self.g.tensor(t).q:
            return t, lo, hi
        covered.append(clip.name)
        clo, chi = _bounds(clip, self.g.tensor(out).q)
        return out, max(lo, clo), min(hi, chi)

    def _rows(self, in_h, out_h, k, s, pt, row_bytes, all_rows=False, mult=1):
        """Row tiles [(iy0, iy1, oy0, oy1)] whose input rows fit the input buffer; with MULT (a fused
        pool's window) every tile covers whole multiples of MULT output rows."""
        cap = self.e.in_buf_bytes // max(row_bytes, 1)
        if all_rows:
            if in_h > cap:
                raise AssertionError("input buffer smaller than a whole map")
            return [(0, in_h, 0, out_h)]
        if self._span(0, out_h, k, s, pt, in_h) <= cap:
            n = out_h
        else:
            n = max(mult, ((cap - k) // s + 1) // mult * mult)
        tiles = []
        for oy in range(0, out_h, n):
            iy0, iy1 = self._in_rows(oy, min(out_h, oy + n), k, s, pt, in_h)
            if iy1 - iy0 > cap:
                raise AssertionError("input buffer smaller than a tile's window")
            tiles.append((iy0, iy1, oy, min(out_h, oy + n)))
        return tiles

    @staticmethod
    def _in_rows(oy0, oy1, k, s, pt, in_h):
        return max(0, oy0 * s - pt), max(min(in_h, (oy1 - 1) * s - pt + k), max(0, oy0 * s - pt))

    def _span(self, oy0, oy1, k, s, pt, in_h):
        a, b = self._in_rows(oy0, oy1, k, s, pt, in_h)
        return b - a

    # -- layers ---------------------------------------------------------------
    def run(self) -> Schedule:
        steps = []
        for layer in self.g.layers:
            if layer.name in self.done:
                continue
            fn = getattr(self, f"_lower_{layer.op}")
            step = fn(layer)
            self.done.update(step.layers)
            steps.append(step)
        return Schedule(self.e, self.tensors, steps, self.act_top,
                        bytes(self.wblob) if self.pack else None, self.wsize)

    def _lower_quantize(self, layer):
        m = self._map(layer.outputs[0])
        return Step(layer.name, "quantize", [layer.name],
                    host=[{"kind": "quantize", "layer": layer.name, "input": layer.inputs[0],
                           "tensor": m.name}])

    def _lower_dequantize(self, layer):
        m = self._map(layer.inputs[0])
        return Step(layer.name, "dequantize", [layer.name],
                    host=[{"kind": "dequantize", "layer": layer.name, "tensor": m.name,
                           "output": layer.outputs[0]}])

    def _lower_flatten(self, layer):
        src = self._map(layer.inputs[0])
        t = self.g.tensor(layer.outputs[0])
        self.tensors[t.name] = TensorMap(t.name, tuple(t.shape), src.q, src.addr, src.h, src.w, src.c,
                                         src.map_cw, src.c0w, view_of=src.name, bank=src.bank)
        return Step(layer.name, "flatten", [layer.name], info={"free": "layout permutation in the gemm weights"})

    def _lower_concat(self, layer):
        self._map(layer.outputs[0])
        return Step(layer.name, "concat", [layer.name], info={"free": "inputs written at channel offsets"})

    def _epilogue(self, layer, lo, hi, covered):
        """Fuse clip, residual add and its clip, then a table layer, after a conv/gemm:
        (out tensor, fields, the fused table's rows or None)."""
        out, lo, hi = self._fuse_clip(layer.outputs[0], lo, hi, covered)
        q_conv = self.g.tensor(out).q
        f = {"zy": q_conv.zero_point, "lo": lo, "hi": hi, "out_signed": _signed(q_conv)}
        add = self._single_consumer(out, "add")
        if add is not None and out not in self.concat_slot:
            other = add.inputs[1] if add.inputs[0] == out else add.inputs[0]
            res = self.tensors.get(other)
            x = self.tensors[layer.inputs[0]]
            x = self.tensors[x.view_of] if x.view_of else x
            ok = (other != out and res is not None and res.view_of is None and res.c0w == 0
                  and res.map_cw == self.e.words(res.c) and tuple(res.shape) == tuple(self.g.tensor(out).shape)
                  and res.bank == x.bank)
            if ok:
                covered.append(add.name)
                q_out = self.g.tensor(add.outputs[0]).q
                a_lo, a_hi = _bounds(add, q_out)
                out2, a_lo, a_hi = self._fuse_clip(add.outputs[0], a_lo, a_hi, covered)
                f.update(_add_fields(q_conv, res.q, q_out, add.name), add_en=1, add_addr=res.addr,
                         add_signed=_signed(res.q), add_lo=a_lo, add_hi=a_hi, out_signed=_signed(q_out))
                out = out2
        table = None
        tab = self._single_consumer(out, "table") if self.e.epilogue_tables else None
        if tab is not None and out not in self.concat_slot:
            covered.append(tab.name)
            out, table = tab.outputs[0], tab.params["table"]
            f.update(tab_en=1, out_signed=_signed(self.g.tensor(out).q))
        return out, f, table

    def _lower_gemm(self, layer):
        return self._lower_conv(layer)

    def _lower_conv(self, layer):
        e = self.e
        covered = [layer.name]
        x = self._map(layer.inputs[0])
        xq = x.q
        out_t = self.g.tensor(layer.outputs[0])
        cout = int(layer.params["w"].shape[0])
        stem = False
        host = []
        if layer.op == "gemm":
            src = self.tensors[x.view_of] if x.view_of else x
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
            prod = self.producer.get(layer.inputs[0])
            layout = ("conv", groups)
            if (cin < e.pi and k > 1 and groups == 1 and prod is not None and prod.op == "quantize"
                    and x.c0w == 0):
                stem = True
                packed = self._new_packed(layer, x, k * k * cin, out_h, out_w)
                host.append({"kind": "im2col", "layer": layer.name, "src": x.name, "dst": packed.name,
                             "k": k, "stride": s, "pad_t": pt, "pad_l": pl, "zx": xq.zero_point})
                layout = ("stem", groups)
                x, k, s, pt, pl = packed, 1, 1, 0, 0
            in_h, in_w, in_cw = x.h, x.w, x.map_cw
            if x.c0w != 0 or x.map_cw != e.words(x.c):
                raise UserError(f"node {layer.name}: input must be a whole feature map")
        cin_words, cw_step = in_cw, 0
        if layout[0] == "conv" and layout[1] > 1:
            step = _group_window(cin, cout, layout[1], e.pi, e.po)
            if step and step < in_cw:      # each PO group reads only its conv groups' input words
                cin_words = cw_step = step
                layout = ("window", layout[1], step, e.pi, e.po)
        out_name, epi, table = self._epilogue(layer, *_bounds(layer, out_t.q), covered)
        w_addr, gbytes, ngroups = self._conv_weights(
            cout, k, cin_words, lambda: _engine_weights(layer, xq, out_t.q, layout), table)
        pool_k = 0 if layer.op == "gemm" or epi.get("add_en") else self._fusable_pool(out_name)
        if pool_k:
            pool = self._single_consumer(out_name, "maxpool")
            covered.append(pool.name)
            out_name = pool.outputs[0]
            out_h, out_w = out_h // pool_k * pool_k, out_w // pool_k
        y = self._map(out_name, read=x.bank)
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
                    zx=xq.zero_point, in_signed=_signed(xq), rd_bank=x.bank, wr_bank=y.bank, pool_k=pool_k, **epi)
        for iy0, iy1, oy0, oy1 in self._rows(in_h, out_h, k, s, pt, row_bytes, mult=max(pool_k, 1)):
            step.invocations.append(Invocation(layer.name, "conv",
                                               dict(base, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _fusable_pool(self, t: str) -> int:
        """Window of a max pool that can run in the epilogue of the conv writing T (0: none): T's only
        consumer, window = stride, no padding, floor output size, same quantization."""
        pool = self._single_consumer(t, "maxpool")
        if pool is None or t in self.concat_slot:
            return 0
        kh, kw = pool.attrs["kernel"]
        sh, sw = pool.attrs["stride"]
        pads = tuple(pool.attrs.get("pads", (0, 0, 0, 0)))
        x, y = self.g.tensor(t), self.g.tensor(pool.outputs[0])
        ok = (kh == kw == sh == sw and 1 < kh <= 15 and not any(pads) and x.q == y.q and len(x.shape) == 3
              and tuple(pool.attrs.get("dilation", (1, 1))) == (1, 1)
              and tuple(y.shape[1:]) == (x.shape[1] // kh, x.shape[2] // kh))
        return int(kh) if ok else 0

    def _new_packed(self, layer, x, c, h, w):
        name = f"{layer.name}:im2col"
        cw = self.e.words(c)
        m = TensorMap(name, (c, h, w), x.q, self._alloc(h * w * cw * self.e.pi), h, w, c, cw,
                      bank=x.bank)
        self.tensors[name] = m
        return m

    def _pool(self, layer, kind):
        e = self.e
        x = self._map(layer.inputs[0])
        if x.c0w != 0 or x.map_cw != e.words(x.c):
            raise UserError(f"node {layer.name}: pool input must be a whole feature map")
        out_t = self.g.tensor(layer.outputs[0])
        y = self._map(layer.outputs[0], read=x.bank)
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
            scale, y_scale, recip = _f32_bits(ops.gavgpool_scale(count, qx, qy)), 0, 0
        else:
            scale, y_scale, recip = _f32_bits(qx.scale), _f32_bits(qy.scale), requant.y_recip(qy.scale)
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=out_w,
                      k=k, stride=s, pad_t=pt, pad_l=pl, scale=scale, y_scale=y_scale, y_recip=recip,
                      zx=qx.zero_point, zy=qy.zero_point, lo=qy.qmin, hi=qy.qmax, in_signed=_signed(qx), count=count,
                      rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, kind, [layer.name],
                    info={"k": k, "stride": s, "out_h": out_h, "out_w": out_w, "in": x.name, "out": y.name})
        row_bytes = x.w * x.map_cw * e.pi
        for iy0, iy1, oy0, oy1 in self._rows(x.h, out_h, max(k, 1), s, pt, row_bytes,
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
        a, b = self._map(a_name), self._map(b_name)
        for t in (a, b):
            if t.view_of or t.c0w != 0 or t.map_cw != self.e.words(t.c):
                raise UserError(f"node {layer.name}: add operands must be whole feature maps")
        self._same_bank(layer, a, b)
        y = self._map(out_name, read=a.bank)
        words = a.h * a.w * a.map_cw
        fields = dict(consts, a_addr=a.addr, b_addr=b.addr, out_addr=y.addr, words=words, lo=lo, hi=hi,
                      a_signed=_signed(a.q), b_signed=_signed(b.q), rd_bank=a.bank, wr_bank=y.bank)
        return Step(layer.name, layer.op, covered, invocations=[Invocation(layer.name, "add", fields)],
                    info={"in": a.name, "out": y.name})

    def _lower_add(self, layer):
        covered = [layer.name]
        out, lo, hi = self._fuse_clip(layer.outputs[0], *_bounds(layer, self.g.tensor(layer.outputs[0]).q),
                                      covered)
        qa, qb = self.g.tensor(layer.inputs[0]).q, self.g.tensor(layer.inputs[1]).q
        consts = _add_fields(qa, qb, self.g.tensor(out).q, layer.name)
        return self._elementwise(layer, layer.inputs[0], layer.inputs[1], consts, lo, hi, out, covered)

    def _lower_table(self, layer):
        """Element-wise tables: row by row over the input map (a 1x1 window), the tables streamed
        from weights.bin first; the output may be a channel slice of a concat's map."""
        e = self.e
        x = self._map(layer.inputs[0])
        if x.view_of or x.c0w != 0 or x.map_cw != e.words(x.c):
            raise UserError(f"node {layer.name}: table input must be a whole feature map")
        y = self._map(layer.outputs[0], read=x.bank)
        t_words = 1 if layer.params["table"].shape[0] == 1 else x.map_cw
        tbytes = align(t_words * e.pi * 256, e.w_align)
        w_addr = self.wsize
        if self.pack:
            self.wblob += _table_block(layer.params["table"], t_words, e.pi, tbytes)
        self.wsize += tbytes
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=x.w,
                      out_cw=y.map_cw, out_c0w=y.c0w, k=1, stride=1, pad_t=0, pad_l=0, w_addr=w_addr,
                      w_group_bytes=tbytes, t_words=t_words, in_signed=_signed(x.q), rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, "table", [layer.name], blocks=[(w_addr, tbytes)],
                    info={"k": 1, "stride": 1, "out_h": x.h, "out_w": x.w, "in": x.name, "out": y.name,
                          "note": layer.attrs.get("source", "")})
        for iy0, iy1, oy0, oy1 in self._rows(x.h, x.h, 1, 1, 0, x.w * x.map_cw * e.pi):
            step.invocations.append(Invocation(layer.name, "table", dict(fields, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _lower_mul(self, layer):
        """A feature map times a per-channel vector: the vector's words, then the map row by row (a 1x1
        window), each word's lanes times the vector's word of that channel (QLinearMul, ``requant.mul_int``)."""
        e = self.e
        x, v = self._map(layer.inputs[0]), self._map(layer.inputs[1])
        for t in (x, v):
            if t.view_of or t.c0w != 0 or t.map_cw != e.words(t.c):
                raise UserError(f"node {layer.name}: mul operands must be whole feature maps")
        if (v.h, v.w) != (1, 1) or v.c != x.c:
            raise UserError(f"node {layer.name}: mul takes a feature map times a per-channel vector")
        self._same_bank(layer, x, v)
        y = self._map(layer.outputs[0], read=x.bank)
        qy = self.g.tensor(layer.outputs[0]).q
        try:
            ratio = requant.mul_ratio(x.q, v.q, qy)
        except ValueError as err:
            raise UserError(f"node {layer.name}: {err}") from None
        fields = dict(in_addr=x.addr, in_h=x.h, in_w=x.w, in_cw=x.map_cw, out_addr=y.addr, out_w=x.w,
                      k=1, stride=1, pad_t=0, pad_l=0, b_addr=v.addr, scale=_f32_bits(ratio), zb=v.q.zero_point,
                      zx=x.q.zero_point, zy=qy.zero_point, lo=qy.qmin, hi=qy.qmax, in_signed=_signed(x.q),
                      b_signed=_signed(v.q), rd_bank=x.bank, wr_bank=y.bank)
        step = Step(layer.name, "mul", [layer.name],
                    info={"k": 1, "stride": 1, "out_h": x.h, "out_w": x.w, "in": x.name, "out": y.name})
        for iy0, iy1, oy0, oy1 in self._rows(x.h, x.h, 1, 1, 0, x.w * x.map_cw * e.pi):
            step.invocations.append(Invocation(layer.name, "mul", dict(fields, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return step

    def _lower_clip(self, layer):
        """A standalone clip: an add with ra = 1, rb = 0, k = 0 (same quantization in and out)."""
        q = self.g.tensor(layer.inputs[0]).q
        if self.g.tensor(layer.outputs[0]).q != q:
            raise UserError(f"node {layer.name}: clip must keep the quantization of its input")
        t = layer.inputs[0]
        consts = {"add_" + n: v for n, v in requant.add_consts(np.float32(1), np.float32(0), np.float32(0)).items()}
        return self._elementwise(layer, t, t, consts, *_bounds(layer, q), layer.outputs[0], [layer.name])


def _table_block(table, t_words: int, pi: int, nbytes: int) -> bytearray:
    """weights.bin bytes of a table layer: for each table word, for each lane, its 256 output bytes
    (lane i of word w: channel w*PI + i's table; one table for all: word 0, every lane the same)."""
    t = np.asarray(table, np.int64) & 0xFF
    full = np.zeros((t_words * pi, 256), np.uint8)
    if t.shape[0] == 1:
        full[:] = t[0]
    else:
        full[:t.shape[0]] = t
    blk = bytearray(nbytes)
    blk[:full.size] = full.tobytes()
    return blk


def _group_window(cin: int, cout: int, groups: int, pi: int, po: int) -> int:
    """Input words each PO-channel output group of a grouped conv reads (its conv groups' inputs), when
    they are whole words at a uniform step (a depthwise conv: PO/PI); 0 when not (the conv then reads
    every input word, its weights block-diagonal)."""
    if cin % groups or cout % groups:
        return 0
    ig, og = cin // groups, cout // groups
    if po % og:
        return 0
    ch = po // og * ig
    return ch // pi if ch % pi == 0 else 0


def _engine_weights(layer, xq, yq, layout):
    """w' = w - w_zp in engine column order as (O, I', k, k), bias' = b - zx*sum(w'), scales.

    layout: ("conv", groups) dense (grouped convs block-diagonal); ("window", groups, words, PI, PO): output
    group g's columns are the WORDS input words from word g*WORDS of the block-diagonal; ("stem", 1) columns
    (kh*K + kw)*Cin + c of a 1x1 conv over the host-packed input; ("gemm", C, H, W, Cpad)
    ONNX flatten order c*H*W + y*W + x permuted to ((y*W + x)*Cw)*PI + c, padding lanes 0.
    """
    p = layer.params
    w = p["w"].astype(np.int32) - p["w_zp"].astype(np.int32).reshape((-1,) + (1,) * (p["w"].ndim - 1))
    if w.min(initial=0) < -128 or w.max(initial=0) > 127:
        raise UserError(f"node {layer.name}: weight minus its zero point does not fit int8")
    bias = p["b"].astype(np.int64) - xq.zero_point * w.reshape(w.shape[0], -1).sum(1)
    if np.abs(bias).max(initial=0) >= 2 ** 31:
        raise UserError(f"node {layer.name}: bias with the input zero point folded overflows int32")
    scale = requant.conv_scale(xq.scale, p["w_scale"], yq.scale)
    o = w.shape[0]
    if layout[0] == "gemm":
        _, c, h, wd, cpad = layout
        wp = np.zeros((o, h, wd, cpad), np.int32)
        wp[..., :c] = w.reshape(o, c, h, wd).transpose(0, 2, 3, 1)
        return wp.reshape(o, -1, 1, 1), bias, scale
    groups = layout[1]
    if groups > 1:
        ig, og, k = w.shape[1], o // groups, w.shape[2]
        dense = np.zeros((o, ig * groups, k, w.shape[3]), np.int32)
        for gi in range(groups):
            dense[gi * og:(gi + 1) * og, gi * ig:(gi + 1) * ig] = w[gi * og:(gi + 1) * og]
        w = dense
    if layout[0] == "stem":
        w = w.transpose(0, 2, 3, 1).reshape(o, -1, 1, 1)
    if layout[0] == "window":
        _, _, words, pi, po = layout
        n = -(-o // po)
        wide = np.zeros((o, max(w.shape[1], ((n - 1) * words + words) * pi)) + w.shape[2:], np.int32)
        wide[:, :w.shape[1]] = w
        w = np.concatenate([wide[g * po:(g + 1) * po, g * words * pi:(g + 1) * words * pi] for g in range(n)])
    return w, bias, scale


@functools.lru_cache(maxsize=None)
def _add_fields(qa, qb, qy, node):
    """The add_* constants of QLinearAdd's exact integer form (hlsgen.golden.requant.add_consts)."""
    try:
        c = ops.add_layer_consts(qa, qb, qy)
    except ValueError as e:
        raise UserError(f"node {node}: {e}") from None
    return {"add_" + n: v for n, v in c.items()}


def _f32_bits(v) -> int:
    return int(np.float32(v).view(np.uint32))


def lower(graph: ir.Graph, engine: Engine, pack: bool = True) -> Schedule:
    """Schedule over the engine's activation banks; all in one bank when two would make an
    invocation read through act_rd from both."""
    graph = with_concat_tables(without_gathers(graph))
    try:
        return _Lowering(graph, engine, pack, engine.act_banks).run()
    except _BankConflict:
        return _Lowering(graph, engine, pack, 1).run()


def buffer_needs(graph: ir.Graph, pi: int, po: int) -> dict:
    """Smallest input buffer (bytes) that holds one output row's window of every layer, the
    largest that holds every layer's whole input, and the largest weight block."""
    words = lambda c: -(-c // pi)  # noqa: E731
    graph = with_concat_tables(without_gathers(graph))
    need_min = need_max = wblock = 0
    producer = {t: layer for layer in graph.layers for t in layer.outputs}
    consumers: dict = {}
    for layer in graph.layers:
        for t in layer.inputs:
            consumers.setdefault(t, []).append(layer)

    def pool_after(t: str) -> int:
        """Window of a max pool after T (through a clip) that the conv may fuse (k = stride)."""
        for _ in range(3):
            cons = consumers.get(t, [])
            if len(cons) != 1:
                return 1
            if cons[0].op == "maxpool" and cons[0].attrs["kernel"][0] == cons[0].attrs["stride"][0]:
                return int(cons[0].attrs["kernel"][0])
            if cons[0].op not in ("clip", "table"):
                return 1
            t = cons[0].outputs[0]
        return 1

    for layer in graph.layers:
        if layer.op not in ("conv", "gemm", "table", "mul") + VECTOR_OPS:
            continue
        shape = graph.tensor(layer.inputs[0]).shape
        if layer.op == "gemm":
            c = int(np.prod(shape))
            src = producer.get(layer.inputs[0])
            if src is not None and src.op == "flatten":
                s3 = graph.tensor(src.inputs[0]).shape
                c = (int(s3[1]) * int(s3[2]) if len(s3) == 3 else 1) * words(int(s3[0])) * pi
            row = words(c) * pi
            need_min, need_max = max(need_min, row), max(need_max, row)
            wblock = max(wblock, align(words(c) * pi * po) + align(8 * po))
            continue
        c, h, w = int(shape[0]), *_hw(shape)
        row = w * words(c) * pi
        if layer.op == "gavgpool":
            rows = h
        elif layer.op in ("table", "mul"):
            rows = 1
        else:
            k = layer.attrs["kernel"][0]
            rows = min(h, k)
            if layer.op == "conv":
                pk = pool_after(layer.outputs[0])
                rows = min(h, (pk - 1) * layer.attrs["stride"][0] + k)
                cin = layer.params["w"].shape[1] * layer.attrs.get("groups", 1)
                if cin < pi and k > 1:      # a possible stem: 1x1 over the packed input
                    oshape = graph.tensor(layer.outputs[0]).shape
                    prow = int(oshape[2]) * words(k * k * cin) * pi
                    need_min = max(need_min, prow * min(pk, int(oshape[1])))
                    need_max = max(need_max, prow * int(oshape[1]))
                wblock = max(wblock, align(k * k * words(cin) * pi * po) + align(8 * po))
        need_min = max(need_min, rows * row)
        need_max = max(need_max, h * row)
    return {"in_min": need_min, "in_max": need_max, "w_block": wblock}
