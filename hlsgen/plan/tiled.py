"""Tiled golden: execute a plan's invocations on a numpy model of the engine's memories.

The activation memory is a byte array (one row per sample of the batch), the
weight memory is weights.bin itself. Each invocation reads exactly the rows
its fields say are loaded (a window tap on a map row outside iy0..iy1 is an
error: that is what proves the tiling), computes what ENGINE.md sections 1-4
say with integer arithmetic only (requant_int, add_int, avgpool_int), and
writes its output words. Host steps: quantize and im2col before the first
invocation, dequantize after the last. The result must equal hlsgen.golden.run
bit for bit; the HLS kernel and the RTL twin must equal this.
"""
from __future__ import annotations

import numpy as np

from ..golden import ops
from ..golden.requant import add_int, avgpool_int, mul_int, requant_int
from ..ir import QParams
from .engine import align
from .invocation import Invocation
from .plan_types import TensorData


class Memory:
    """Activation memory of a batch: (N, act_bytes) bytes."""

    def __init__(self, n: int, nbytes: int, pi: int):
        self.a = np.zeros((n, nbytes), np.uint8)
        self.pi = pi

    def rows(self, addr, y0, y1, w, cw, signed) -> np.ndarray:
        """Rows y0..y1-1 of a map: (N, y1-y0, w, cw*PI) as int64."""
        row = w * cw * self.pi
        raw = self.a[:, addr + y0 * row: addr + y1 * row].reshape(len(self.a), y1 - y0, w, cw * self.pi)
        return (raw.view(np.int8) if signed else raw).astype(np.int64)

    def write_rows(self, addr, y0, y1, w, cw, c0w, values: np.ndarray) -> None:
        """Write (N, y1-y0, w, k*PI) values at word offset c0w of each pixel."""
        row = w * cw * self.pi
        view = self.a[:, addr + y0 * row: addr + y1 * row].reshape(len(self.a), y1 - y0, w, cw * self.pi)
        view[..., c0w * self.pi: c0w * self.pi + values.shape[-1]] = (values & 0xFF).astype(np.uint8)


def _q(t: TensorData) -> QParams:
    return QParams(t.scale, t.zero_point, t.dtype)


def read_tensor(mem: Memory, t: TensorData, tensors: dict) -> np.ndarray:
    """A tensor's values: (N, C, H, W) for maps, (N, C*H*W) for vectors / flatten views."""
    if t.view_of:
        return read_tensor(mem, tensors[t.view_of], tensors).reshape(len(mem.a), -1)
    v = mem.rows(t.addr, 0, t.h, t.w, t.map_cw, t.dtype == "int8")
    v = v[..., t.c0w * mem.pi: t.c0w * mem.pi + t.c].transpose(0, 3, 1, 2)
    return v if len(t.shape) == 3 else v.reshape(len(mem.a), -1)


def write_tensor(mem: Memory, t: TensorData, values: np.ndarray, fill: int) -> None:
    """Write (N, C, H, W) values as a map; padding lanes get FILL."""
    n, c, h, w = values.shape
    full = np.full((n, h, w, t.map_cw * mem.pi), fill, np.int64)
    full[..., :c] = values.transpose(0, 2, 3, 1)
    mem.write_rows(t.addr, 0, h, w, t.map_cw, 0, full)


def _window(mem: Memory, f: dict, k: int, fill: int, signed: bool):
    """Padded input window of the tile's output rows, (N, rows, cols, in_cw*PI), filled with FILL
    outside the map; raises if a needed map row was not loaded."""
    s, pt, pl = f["stride"], f["pad_t"], f["pad_l"]
    y0 = f["oy0"] * s - pt
    y1 = (f["oy1"] - 1) * s - pt + k
    x1 = (f["out_w"] - 1) * s - pl + k
    lo_row, hi_row = max(y0, 0), min(y1, f["in_h"])
    if lo_row < f["iy0"] or hi_row > f["iy1"]:
        raise AssertionError(f"tile needs map rows {lo_row}..{hi_row - 1}, loaded {f['iy0']}..{f['iy1'] - 1}")
    loaded = mem.rows(f["in_addr"], f["iy0"], f["iy1"], f["in_w"], f["in_cw"], signed)
    n = len(mem.a)
    win = np.full((n, y1 - y0, x1 + pl, f["in_cw"] * mem.pi), fill, np.int64)
    xs = min(f["in_w"], x1)
    if hi_row > lo_row:
        win[:, lo_row - y0: hi_row - y0, pl: pl + xs] = loaded[:, lo_row - f["iy0"]: hi_row - f["iy0"], :xs]
    return win


def _taps(win, k, s, oh, ow):
    for kh in range(k):
        for kw in range(k):
            yield kh, kw, win[:, kh: kh + s * (oh - 1) + 1: s, kw: kw + s * (ow - 1) + 1: s]


def _group_weights(wmem: np.ndarray, f: dict, pi: int, po: int):
    """(W (k, k, in_cw*PI, groups*PO) int64, bias (groups*PO,), scale (groups*PO,) float32); a group's
    window of tap_cw words from word g*cw_step sits at its place, words past in_cw dropped (their
    taps read nothing: ENGINE.md section 1, grouped convs)."""
    k, cw, tcw = f["k"], f["in_cw"], f["tap_cw"]
    wbytes = k * k * tcw * po * pi
    ws, bs, ss = [], [], []
    for g in range(f["groups"]):
        base = f["w_addr"] + g * f["w_group_bytes"]
        w = wmem[base: base + wbytes].view(np.int8).reshape(k, k, tcw, po, pi)
        full = np.zeros((k, k, cw + tcw + g * f["cw_step"], pi, po), np.int8)
        full[:, :, g * f["cw_step"]: g * f["cw_step"] + tcw] = w.transpose(0, 1, 2, 4, 3)
        ws.append(full[:, :, :cw].reshape(k, k, cw * pi, po))
        c = wmem[base + align(wbytes): base + align(wbytes) + 8 * po].view("<u4").reshape(po, 2)
        bs.append(c[:, 0].view(np.int32))
        ss.append(c[:, 1].view(np.float32))
    return (np.concatenate(ws, axis=3).astype(np.float64), np.concatenate(bs).astype(np.int64),
            np.concatenate(ss))


def _group_tables(wmem: np.ndarray, f: dict, pi: int, po: int) -> np.ndarray:
    """A fused table's rows, (groups*PO, 256): PO per block, after the constants (ENGINE.md section 3)."""
    toff = align(f["k"] * f["k"] * f["tap_cw"] * po * pi) + align(8 * po)
    rows = [wmem[f["w_addr"] + g * f["w_group_bytes"] + toff:][:po * 256].reshape(po, 256)
            for g in range(f["groups"])]
    return np.concatenate(rows).astype(np.int64)


def conv(mem: Memory, wmem: np.ndarray, f: dict, po: int) -> None:
    pi, k, s, pk = mem.pi, f["k"], f["stride"], max(f["pool_k"], 1)
    oh, ow = f["oy1"] - f["oy0"], f["out_w"] * pk        # conv rows and columns computed
    win = _window(mem, dict(f, out_w=ow), k, f["zx"], bool(f["in_signed"]))
    w, bias, scale = _group_weights(wmem, f, pi, po)
    acc = np.zeros((len(mem.a), oh, ow, w.shape[3]), np.float64)
    for kh, kw, tap in _taps(win, k, s, oh, ow):
        acc += tap.astype(np.float64) @ w[kh, kw]       # exact: |sums| < 2^53
    acc = acc.astype(np.int64) + bias
    nw = f["out_words"] * pi
    y = requant_int(acc, scale, f["zy"], f["lo"], f["hi"]).astype(np.int64)[..., :nw]
    if f["add_en"]:
        b = mem.rows(f["add_addr"], f["oy0"], f["oy1"], ow, f["out_words"], bool(f["add_signed"]))
        y = add_int(y, b, _add_consts(f), f["add_lo"], f["add_hi"])
    if f["tab_en"]:                                        # fused table: channel c's row, after the add
        tab = _group_tables(wmem, f, pi, po)[:nw]
        y = tab[np.arange(nw), y & 0xFF]
        if f["out_signed"]:
            y = np.where(y > 127, y - 256, y)
    if pk > 1:                                             # fused max pool: window = stride = pk
        y = y.reshape(len(mem.a), oh // pk, pk, ow // pk, pk, nw).max(axis=(2, 4))
    mem.write_rows(f["out_addr"], f["oy0"] // pk, f["oy1"] // pk, ow // pk, f["out_cw"], f["out_c0w"], y)


def pool(mem: Memory, f: dict, kind: str) -> None:
    signed = bool(f["in_signed"])
    if kind == "gavgpool":
        x = mem.rows(f["in_addr"], f["iy0"], f["iy1"], f["in_w"], f["in_cw"], signed)
        if (f["iy0"], f["iy1"]) != (0, f["in_h"]):
            raise AssertionError("gavgpool needs the whole map loaded")
        t = (x - f["zx"]).sum(axis=(1, 2), keepdims=True)
        y = requant_int(t, _f32(f["scale"]), f["zy"], f["lo"], f["hi"])
        mem.write_rows(f["out_addr"], 0, 1, 1, f["in_cw"], 0, y)
        return
    k, s = f["k"], f["stride"]
    oh, ow = f["oy1"] - f["oy0"], f["out_w"]
    if kind == "maxpool":
        win = _window(mem, f, k, np.iinfo(np.int64).min, signed)
        y = None
        for _, _, tap in _taps(win, k, s, oh, ow):
            y = tap.copy() if y is None else np.maximum(y, tap)
    else:
        win = _window(mem, f, k, _PAD, signed)        # taps outside the map: skipped, not counted
        taps = [(tap, tap != _PAD) for _, _, tap in _taps(win, k, s, oh, ow)]
        count = f["count"] or sum(valid.astype(np.int64) for _, valid in taps)
        y = avgpool_int(taps, f["zx"], _f32(f["scale"]), _f32(f["y_scale"]), count, f["zy"], f["lo"], f["hi"],
                        f["y_recip"])
    mem.write_rows(f["out_addr"], f["oy0"], f["oy1"], ow, f["in_cw"], 0, y)


def add(mem: Memory, f: dict) -> None:
    nb = f["words"] * mem.pi

    def operand(addr, signed):
        raw = mem.a[:, addr: addr + nb]
        return (raw.view(np.int8) if signed else raw).astype(np.int64)

    y = add_int(operand(f["a_addr"], f["a_signed"]), operand(f["b_addr"], f["b_signed"]), _add_consts(f),
                f["lo"], f["hi"])
    mem.a[:, f["out_addr"]: f["out_addr"] + nb] = (y & 0xFF).astype(np.uint8)


def table(mem: Memory, wmem: np.ndarray, f: dict) -> None:
    """Lane i of word w looks its byte up in table word (w if t_words > 1 else 0), lane i (ENGINE.md section 3)."""
    pi = mem.pi
    tw = f["t_words"]
    if f["oy0"] < f["iy0"] or f["oy1"] > f["iy1"]:
        raise AssertionError(f"table rows {f['oy0']}..{f['oy1'] - 1}, loaded {f['iy0']}..{f['iy1'] - 1}")
    tables = wmem[f["w_addr"]: f["w_addr"] + tw * pi * 256].reshape(tw, pi, 256).astype(np.int64)
    x = mem.rows(f["in_addr"], f["oy0"], f["oy1"], f["in_w"], f["in_cw"], False)    # raw bytes
    x = x.reshape(x.shape[:3] + (f["in_cw"], pi))
    word = np.arange(f["in_cw"]).reshape(-1, 1) if tw > 1 else np.zeros((1, 1), np.int64)
    y = tables[word, np.arange(pi).reshape(1, -1), x]
    mem.write_rows(f["out_addr"], f["oy0"], f["oy1"], f["out_w"], f["out_cw"], f["out_c0w"],
                   y.reshape(x.shape[:3] + (f["in_cw"] * pi,)))


def mul(mem: Memory, f: dict) -> None:
    """Rows oy0..oy1-1 (loaded: iy0..iy1-1) times the vector at b_addr, lane by lane (``mul_int``)."""
    if f["oy0"] < f["iy0"] or f["oy1"] > f["iy1"]:
        raise AssertionError(f"mul rows {f['oy0']}..{f['oy1'] - 1}, loaded {f['iy0']}..{f['iy1'] - 1}")
    nb = f["in_cw"] * mem.pi
    raw = mem.a[:, f["b_addr"]: f["b_addr"] + nb]
    b = (raw.view(np.int8) if f["b_signed"] else raw).astype(np.int64)[:, None, None, :]
    x = mem.rows(f["in_addr"], f["oy0"], f["oy1"], f["in_w"], f["in_cw"], bool(f["in_signed"]))
    y = mul_int(x, b, f["zx"], f["zb"], _f32(f["scale"]), f["zy"], f["lo"], f["hi"])
    mem.write_rows(f["out_addr"], f["oy0"], f["oy1"], f["out_w"], f["in_cw"], 0, y)


_PAD = -1 << 20     # window fill marking taps outside the map


def _f32(bits: int) -> np.float32:
    return np.uint32(bits).view(np.float32)


def _add_consts(f: dict) -> dict:
    return {n: f["add_" + n] for n in ("ma", "mb", "k", "wsh", "sh")}


def invoke(mem: Memory, wmem: np.ndarray, inv: Invocation, po: int) -> None:
    if inv.kind == "conv":
        conv(mem, wmem, inv.fields, po)
    elif inv.kind == "add":
        add(mem, inv.fields)
    elif inv.kind == "table":
        table(mem, wmem, inv.fields)
    elif inv.kind == "mul":
        mul(mem, inv.fields)
    else:
        pool(mem, inv.fields, inv.kind)


def _im2col(x: np.ndarray, step: dict, out_shape) -> np.ndarray:
    """Stem packing: channel (kh*K + kw)*C + c of output pixel (oy, ox); padded taps hold zx."""
    n, c, h, w = x.shape
    k, s, pt, pl = step["k"], step["stride"], step["pad_t"], step["pad_l"]
    _, oh, ow = out_shape
    xp = np.full((n, c, (oh - 1) * s + k, (ow - 1) * s + k), step["zx"], np.int64)
    hh, ww = min(h, xp.shape[2] - pt), min(w, xp.shape[3] - pl)
    xp[:, :, pt:pt + hh, pl:pl + ww] = x[:, :, :hh, :ww]
    cols = [xp[:, :, kh: kh + s * (oh - 1) + 1: s, kw: kw + s * (ow - 1) + 1: s]
            for kh in range(k) for kw in range(k)]
    return np.concatenate(cols, axis=1)


def host_input(plan, x: np.ndarray) -> Memory:
    """The activation memory after the host's input steps (quantize, stem im2col) on the batch X."""
    d = plan.data
    x = np.asarray(x, np.float32)
    mem = Memory(len(x), d.act_bytes, d.engine.pi)
    tensors = d.tensors
    for step in d.host:
        if step["kind"] == "quantize":
            t = tensors[step["tensor"]]
            q = ops.quantize(x, _q(t))
            write_tensor(mem, t, q.reshape((len(x),) + tuple(t.shape)), t.zero_point)
        elif step["kind"] == "im2col":
            src, dst = tensors[step["src"]], tensors[step["dst"]]
            write_tensor(mem, dst, _im2col(read_tensor(mem, src, tensors), step, dst.shape), step["zx"])
    return mem


def host_output(plan, mem: Memory) -> list:
    """The graph outputs (float32) from the final activation memory (the host's dequantize steps)."""
    d = plan.data
    tensors = d.tensors
    outputs = {}
    for step in d.host:
        if step["kind"] == "dequantize":
            t = tensors[step["tensor"]]
            outputs[step["output"]] = ops.dequantize(read_tensor(mem, t, tensors), _q(t)).astype(np.float32)
    return [outputs[o.name].reshape((len(mem.a),) + tuple(o.shape)) for o in d.outputs]


def run(plan, x: np.ndarray, tensors_out: bool = False):
    """Execute PLAN on the float32 NCHW batch X; returns the graph outputs (float32),
    or with ``tensors_out`` also every mapped tensor's values (dict)."""
    mem = host_input(plan, x)
    wmem = np.frombuffer(plan.weights, np.uint8)
    po = plan.data.engine.po
    tensors = plan.data.tensors
    ends: dict = {}       # tensors_out: a tensor is read at the end of its buffer's life (its address is reused after)
    for name, t in tensors.items() if tensors_out else ():
        ends.setdefault(t.live[1] if t.live else -1, []).append(name)
    values = {}

    def snapshot(i):
        values.update((name, read_tensor(mem, tensors[name], tensors)) for name in ends.get(i, []))
    snapshot(-1)
    for i, inv in enumerate(plan.data.invocations):
        invoke(mem, wmem, inv, po)
        snapshot(i)
    snapshot(len(plan.data.invocations))
    result = host_output(plan, mem)
    return (result, values) if tensors_out else result
