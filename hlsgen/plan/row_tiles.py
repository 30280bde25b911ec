"""Row tiles: the output rows one invocation of a windowed op computes, sized to the input buffer
(ENGINE.md section 4)."""
from __future__ import annotations


def in_rows(oy0, oy1, k, s, pt, in_h) -> tuple:
    """Input rows [iy0, iy1) that output rows [oy0, oy1) of a K-window at stride S, top padding PT read."""
    return max(0, oy0 * s - pt), max(min(in_h, (oy1 - 1) * s - pt + k), max(0, oy0 * s - pt))


def row_tiles(in_buf_bytes, in_h, out_h, k, s, pt, row_bytes, all_rows=False, mult=1) -> list:
    """Row tiles [(iy0, iy1, oy0, oy1)] whose input rows fit the input buffer; with MULT (a fused
    pool's window) every tile covers whole multiples of MULT output rows."""
    cap = in_buf_bytes // max(row_bytes, 1)
    if all_rows:
        if in_h > cap:
            raise AssertionError("input buffer smaller than a whole map")
        return [(0, in_h, 0, out_h)]
    a, b = in_rows(0, out_h, k, s, pt, in_h)
    if b - a <= cap:
        n = out_h
    else:
        n = max(mult, ((cap - k) // s + 1) // mult * mult)
    tiles = []
    for oy in range(0, out_h, n):
        iy0, iy1 = in_rows(oy, min(out_h, oy + n), k, s, pt, in_h)
        if iy1 - iy0 > cap:
            raise AssertionError("input buffer smaller than a tile's window")
        tiles.append((iy0, iy1, oy, min(out_h, oy + n)))
    return tiles
