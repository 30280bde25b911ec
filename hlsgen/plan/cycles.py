"""Cycle model: exactly ENGINE.md section 5 (the RTL twin counts the same), per invocation and per layer.

Notation as there: BR, LR (act_rd), BW, LW (wgt), BO (act_wr), PL, OV; BR and BO
are a whole bank's when the invocation reads and writes different activation banks,
else the shared figure (``Engine.bpc``). Conv: one
act_rd stream of the input rows, each of output group 0's residual rows right after the input rows
its output row needs, then the residual rows of group 1, 2, ... (each group's words only); weight block g streams
from the start of group g-1's first pixel group (double buffer); every pixel group of every
group starts at max(previous pixel group's end, its weight block, the input row and residual row of
its last pixel's row) and takes c_px = max(k*k*tap_cw, ceil(PP*PO/BO), NC) (NC: the epilogue's
passes over a pixel group's outputs, E lanes each). Pixel groups are PP pixels in row-major order
over the tile (``pixel_groups``: flat), or per row with a fused max pool or rows narrower than PP.
Vector ops: pools row by row (k*k cycles per output word; a max pool PP pixels at once), tables row by row (a word per
cycle, after their tables), mul row by row after its vector, gavgpool and add after their whole
input stream. Every invocation ends PL + OV after its last row.
Resident weights: ``wgt`` is the on-chip store; ``preload`` (once per model, not
per frame) streams weights.bin into it over the DDR port.
"""
from __future__ import annotations

import numpy as np

from .engine import Engine


def _cdiv(a, b):
    return -(-a // b)


def _ready(e: Engine, f: dict, nbytes: int) -> int:
    """Cycle at which invocation F's act_rd stream (begun at 0) has delivered ``nbytes`` bytes."""
    return e.ports["act_rd"]["latency"] + _cdiv(nbytes, e.bpc("act_rd", f))


def _row_needs(e: Engine, f: dict, res_row: int = 0) -> tuple:
    """Per output row of the tile: the cycle its last needed input row is present (0: no wait).

    With ``res_row`` (residual bytes per output row) the act_rd stream interleaves: residual
    row j follows the input rows output row j needs (need(j) does not decrease with j), so it
    is at byte a(j)*row_bytes + (j+1)*res_row, a(j) = clamp(need(j)+1, 0, rows), and it is
    what row j waits for.  (Plain Python: a tile has tens of rows, and the planner evaluates tens
    of thousands of invocations.)"""
    row_bytes = f["in_w"] * f["in_cw"] * e.pi
    iy0, nrows = f["iy0"], f["iy1"] - f["iy0"]
    lat, bpc = e.ports["act_rd"]["latency"], e.bpc("act_rd", f)
    first = f["oy0"] * f["stride"] - f["pad_t"] + f["k"] - 1 - iy0     # need(oy0), before the clamp
    needs = []
    for j in range(f["oy1"] - f["oy0"]):
        need = min(first + j * f["stride"], nrows - 1)
        if res_row:
            ahead = min(max(need + 1, 0), nrows)
            needs.append(lat + _cdiv(ahead * row_bytes + (j + 1) * res_row, bpc))
        else:
            needs.append(lat + _cdiv((need + 1) * row_bytes, bpc) if need >= 0 else 0)
    return needs, row_bytes * nrows


def _rows_end(start: int, needs: list, row_cycles) -> int:
    """End of rows run in order, each starting at max(previous end, its need), the first not before
    start; ``row_cycles`` is every row's length, or a list of them."""
    lengths = row_cycles if isinstance(row_cycles, list) else [row_cycles] * len(needs)
    end, after = start + sum(lengths), 0
    for need, length in zip(reversed(needs), reversed(lengths)):
        after += length                 # the row's and its successors' cycles
        end = max(end, need + after)
    return int(end)


def flat_pixels(pp: int, f: dict) -> bool:
    """ENGINE.md section 1, "Pixel groups": a conv's pixel groups run row-major over the tile
    (across rows) unless it has a fused max pool or its rows are narrower than PP."""
    return f.get("pool_k", 0) <= 1 and f["out_w"] >= pp


def pixel_groups(pp: int, f: dict) -> list:
    """Per output row of the tile: the conv's pixel groups whose last computed pixel is in that row
    (the groups that wait for that row's input and residual; their sum is all the tile's groups)."""
    rows = f["oy1"] - f["oy0"]
    cols = f["out_w"] * max(f.get("pool_k", 0), 1)
    if not flat_pixels(pp, f):
        return [_cdiv(cols, pp)] * rows
    done = [(i + 1) * cols // pp for i in range(rows)]          # groups ending by each row's end
    if rows:
        done[-1] = _cdiv(rows * cols, pp)                        # the last group may be partial
    return [d - p for d, p in zip(done, [0] + done[:-1])]


def _residual_rows(e: Engine, f: dict) -> list:
    """Per output group: the bytes of one residual row streamed for it (0 without a fused add).
    ENGINE.md section 5, step 1: group g's words of out_w pixels, when every such chunk is whole beats
    of the act_rd port; else every group's words with group 0."""
    nwo, br = e.po // e.pi, e.ports["act_rd"]["bytes_per_cycle"]
    if not f["add_en"]:
        return [0] * f["groups"]
    if e.po % br or f["out_words"] * e.pi % br or f["add_addr"] % br:
        return [f["out_w"] * f["out_words"] * e.pi] + [0] * (f["groups"] - 1)
    return [f["out_w"] * min(nwo, f["out_words"] - g * nwo) * e.pi for g in range(f["groups"])]


def conv(e: Engine, f: dict) -> dict:
    t = e.timing
    n_out = f["oy1"] - f["oy0"]
    pk = max(f.get("pool_k", 0), 1)
    rrows = _residual_rows(e, f)
    needs, in_bytes = _row_needs(e, f, rrows[0])
    res_bytes = sum(rrows) * n_out
    c_px = max(f["k"] * f["k"] * f["tap_cw"], _cdiv(e.pp * e.po, e.bpc("act_wr", f)), e.epi_passes)
    groups_by_row = pixel_groups(e.pp, f)
    row_cycles = [n * c_px for n in groups_by_row]
    tile_cycles = sum(row_cycles)
    wp = e.ports["wgt"]
    load = wp["latency"] + _cdiv(f["w_group_bytes"], wp["bytes_per_cycle"])
    end, load_start = 0, 0
    for g in range(f["groups"]):
        start = max(end, load_start + load)          # S(g): first row of group g
        if g == 0:
            end = _rows_end(start, needs, row_cycles)
        elif rrows[g] and start < _ready(e, f, in_bytes + n_out * sum(rrows[:g + 1])):
            # group g's residual rows follow the input's (and the groups' before it); it may wait for them
            before, rg = in_bytes + n_out * sum(rrows[:g]), rrows[g]
            lat, bpc = e.ports["act_rd"]["latency"], e.bpc("act_rd", f)
            end = _rows_end(start, [lat - (-(before + (j + 1) * rg) // bpc) for j in range(n_out)], row_cycles)
        else:                                          # every input (and residual) row is present by now
            end = start + tile_cycles
        load_start = start                             # L(g+1) = S(g)
    total = end + t["pipeline_latency"] + t["invocation_overhead"]
    mac = f["groups"] * sum(groups_by_row) * f["k"] * f["k"] * f["tap_cw"]
    wr = n_out // pk * f["out_w"] * f["out_words"] * e.pi
    return _result(e, f, total, mac, in_bytes + res_bytes, wr, f["groups"] * f["w_group_bytes"])


def pool(e: Engine, f: dict, kind: str) -> dict:
    t = e.timing
    n_out = f["oy1"] - f["oy0"]
    words = n_out * f["out_w"] * f["in_cw"]
    if kind == "gavgpool":
        in_bytes = f["in_w"] * f["in_cw"] * e.pi * (f["iy1"] - f["iy0"])
        work = f["in_cw"] * f["in_h"] * f["in_w"]
        end = _ready(e, f, in_bytes) + work
    else:
        needs, in_bytes = _row_needs(e, f)
        px = _cdiv(f["out_w"], e.pp) if kind == "maxpool" else f["out_w"]   # maxpool: PP pixels at once
        work = n_out * px * f["in_cw"] * f["k"] * f["k"]
        end = _rows_end(0, needs, px * f["in_cw"] * f["k"] * f["k"])
    total = end + t["pipeline_latency"] + t["invocation_overhead"]
    return _result(e, f, total, work, in_bytes, words * e.pi, 0)


def table(e: Engine, f: dict) -> dict:
    """Rows of one word per cycle (a 1x1 window), the first not before the tables are in
    (one wgt stream of w_group_bytes from cycle 0)."""
    t, wp = e.timing, e.ports["wgt"]
    needs, in_bytes = _row_needs(e, f)
    loaded = wp["latency"] + _cdiv(f["w_group_bytes"], wp["bytes_per_cycle"])
    end = _rows_end(loaded, needs, f["out_w"] * f["in_cw"])
    total = end + t["pipeline_latency"] + t["invocation_overhead"]
    words = (f["oy1"] - f["oy0"]) * f["out_w"] * f["in_cw"]
    return _result(e, f, total, words, in_bytes, words * e.pi, f["w_group_bytes"])


def mul(e: Engine, f: dict) -> dict:
    """One act_rd stream: the vector (in_cw words), then the rows; rows of one word per cycle (a 1x1
    window), each when its input row is in."""
    t = e.timing
    row_bytes, vec = f["in_w"] * f["in_cw"] * e.pi, f["in_cw"] * e.pi
    rows = [oy - f["iy0"] for oy in range(f["oy0"], f["oy1"])]
    needs = [_ready(e, f, vec + (r + 1) * row_bytes) for r in rows]
    end = _rows_end(0, needs, f["out_w"] * f["in_cw"])
    total = end + t["pipeline_latency"] + t["invocation_overhead"]
    words = len(rows) * f["out_w"] * f["in_cw"]
    return _result(e, f, total, words, vec + (f["iy1"] - f["iy0"]) * row_bytes, words * e.pi, 0)


def add(e: Engine, f: dict) -> dict:
    t = e.timing
    rd = 2 * f["words"] * e.pi
    total = _ready(e, f, rd) + f["words"] + t["pipeline_latency"] + t["invocation_overhead"]
    return _result(e, f, total, f["words"], rd, f["words"] * e.pi, 0)


def _result(e, f, total, mac, rd, wr, wgt) -> dict:
    mem = max(rd / e.bpc("act_rd", f) if rd else 0, wr / e.bpc("act_wr", f) if wr else 0,
              wgt / e.bpc("wgt") if wgt else 0)
    return {"cycles": int(total), "compute_cycles": int(mac), "rd_bytes": int(rd), "wr_bytes": int(wr),
            "wgt_bytes": int(wgt), "memory_cycles": int(np.ceil(mem))}


def preload(e: Engine, f: dict) -> dict:
    """Resident weights: fill the store from weights.bin over the DDR port, once per model."""
    p, t = e.ports["preload"], e.timing
    nbytes = f["w_lines"] * e.bpc("wgt")
    total = p["latency"] + _cdiv(nbytes, p["bytes_per_cycle"]) + t["pipeline_latency"] + t["invocation_overhead"]
    return _result(e, f, total, 0, 0, 0, nbytes)


def invocation(e: Engine, inv) -> dict:
    if inv.kind == "conv":
        return conv(e, inv.fields)
    if inv.kind == "add":
        return add(e, inv.fields)
    if inv.kind == "preload":
        return preload(e, inv.fields)
    if inv.kind == "table":
        return table(e, inv.fields)
    if inv.kind == "mul":
        return mul(e, inv.fields)
    return pool(e, inv.fields, inv.kind)


def layer_cycles(e: Engine, invocations: list) -> dict:
    """Sum over a layer's invocations; ``bound`` = memory when transfers outlast the MACs."""
    tot = {"cycles": 0, "compute_cycles": 0, "rd_bytes": 0, "wr_bytes": 0, "wgt_bytes": 0, "memory_cycles": 0}
    per = []
    for inv in invocations:
        r = invocation(e, inv)
        per.append(r["cycles"])
        for key in tot:
            tot[key] += r[key]
    tot["bound"] = "memory" if tot["memory_cycles"] > tot["compute_cycles"] else "compute"
    tot["invocation_cycles"] = per
    return tot


def total_cycles(e: Engine, invocations: list) -> int:
    return sum(invocation(e, inv)["cycles"] for inv in invocations)
