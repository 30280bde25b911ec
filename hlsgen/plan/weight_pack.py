"""weights.bin: the blocks the engine streams (ENGINE.md section 4), reserved and (with ``pack``) written.

A conv's output group of PO channels is one block: its weights w' in engine order (tap, input word,
output lane, input lane), then its constants (bias' with zx folded, the requant scale's float bits),
then the rows of a table fused into its epilogue; a table layer's block holds its tables. Blocks
start at multiples of the engine's ``w_align``.
"""
from __future__ import annotations

import numpy as np

from ..errors import UserError
from ..golden import requant
from .engine import Engine, align


def consts_offset(k: int, cin_words: int, pi: int, po: int) -> int:
    """Bytes of a conv group block before its fused table's rows: weights, then PO (bias', scale) pairs."""
    return align(k * k * cin_words * po * pi) + align(8 * po)


class WeightBlob:
    """weights.bin as the lowering fills it: ``size`` bytes reserved, ``blob`` their bytes (with ``pack``)."""

    def __init__(self, engine: Engine, pack: bool):
        self.e, self.pack = engine, pack
        self.blob = bytearray()
        self.size = 0

    def conv(self, o: int, k: int, cin_words: int, arrays, table=None):
        """Reserve (and with ``pack``, write) one conv's groups; ``arrays()`` gives w' as
        (O, I, k, k) int, bias' int64 and the float32 scales; TABLE (T, 256): a table layer fused into
        the epilogue, PO rows per block after the constants. Returns (w_addr, group_bytes, groups)."""
        pi, po = self.e.pi, self.e.po
        groups = -(-o // po)
        wbytes = k * k * cin_words * po * pi
        toff = consts_offset(k, cin_words, pi, po)
        gbytes = align(toff + (256 * po if table is not None else 0), self.e.w_align)
        w_addr = self.size
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
                self.blob += blk
        self.size += groups * gbytes
        return w_addr, gbytes, groups

    def table(self, table, t_words: int) -> tuple:
        """Reserve (and with ``pack``, write) a table layer's block: (w_addr, bytes)."""
        tbytes = align(t_words * self.e.pi * 256, self.e.w_align)
        w_addr = self.size
        if self.pack:
            self.blob += table_block(table, t_words, self.e.pi, tbytes)
        self.size += tbytes
        return w_addr, tbytes


def table_block(table, t_words: int, pi: int, nbytes: int) -> bytearray:
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


def group_window(cin: int, cout: int, groups: int, pi: int, po: int) -> int:
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


def engine_weights(layer, xq, yq, layout):
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
