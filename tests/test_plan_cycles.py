"""Cycle model (ENGINE.md section 5) on hand-computed cases, and the register map."""
from __future__ import annotations

import pytest

from hlsgen.errors import UserError
from hlsgen.plan import cycles
from hlsgen.plan.engine import Engine, candidates, mac_dsps
from hlsgen.plan.invocation import REGISTER_OFFSETS, REGISTERS, Invocation


def engine(wgt_bpc=16, wgt_lat=5):
    ports = {"act_rd": {"bytes_per_cycle": 8, "latency": 10, "bank": "DDR[0]"},
             "act_wr": {"bytes_per_cycle": 4, "latency": 0, "bank": "DDR[0]"},
             "wgt": {"bytes_per_cycle": wgt_bpc, "latency": wgt_lat, "bank": "DDR[1]"}}
    return Engine(pi=4, po=8, macs_per_dsp=2, ports=ports,
                  timing={"pipeline_latency": 3, "invocation_overhead": 7})


CONV = dict(in_h=4, in_w=2, in_cw=1, iy0=0, iy1=4, oy0=0, oy1=2, k=3, stride=2, pad_t=1, pad_l=1,
            out_w=1, out_words=2, groups=2, w_group_bytes=352, add_en=0)


def test_conv_weight_bound():
    # rows present at 11 + i; c_px = max(9, ceil(8/4)) = 9; W(0) = 5 + 22 = 27
    # group 0 rows 27..36, 36..45; W(1) = S(0) + 27 = 54; group 1 rows 54..63, 63..72; + 3 + 7
    assert cycles.conv(engine(), CONV)["cycles"] == 82


def test_conv_input_and_residual_bound():
    e = engine(wgt_bpc=64, wgt_lat=0)                  # W(0) = 6
    # rows wait for input rows 1 and 3 (present at 12 and 14): 12..21, 21..30; W(1) = 12 + 6
    assert cycles.conv(e, CONV)["cycles"] == 30 + 18 + 10
    # residual rows follow the 32 tile bytes: present at 15, 16: 15..24, 24..33, then 33..51
    assert cycles.conv(e, dict(CONV, add_en=1))["cycles"] == 51 + 10


def test_conv_write_bound_pixel():
    e = engine(wgt_bpc=64, wgt_lat=0)
    f = dict(CONV, k=1, stride=1, pad_t=0, oy1=4, out_w=2, groups=1)   # c_px = max(1, 8/4) = 2
    r = cycles.conv(e, f)
    # rows present at 11..14; each row 2 px * 2 = 4 cycles: 11..15, 15..19, 19..23, 23..27
    assert r["cycles"] == 27 + 10
    assert r["compute_cycles"] == 8


def test_vector_ops():
    e = engine()
    pool = dict(in_h=4, in_w=4, in_cw=1, iy0=0, iy1=4, oy0=0, oy1=2, out_w=2, k=2, stride=2, pad_t=0)
    # rows present at 12, 14, 16, 18; output rows need rows 1 and 3; 8 cycles each: 14..22, 22..30
    assert cycles.pool(e, pool, "maxpool")["cycles"] == 30 + 10
    gap = dict(in_h=2, in_w=2, in_cw=2, iy0=0, iy1=2, oy0=0, oy1=1, out_w=1, k=0, stride=1, pad_t=0)
    assert cycles.pool(e, gap, "gavgpool")["cycles"] == 14 + 8 + 10     # 32 bytes, then 2*2*2
    assert cycles.add(e, {"words": 5})["cycles"] == 15 + 5 + 10         # 40 bytes, then 5 words


def test_candidates_fit_budget():
    for budget in (6, 32, 3528):
        shapes = candidates(budget, 2)
        assert shapes and all(mac_dsps(pi, po, 2) <= budget and po % pi == 0 for pi, po in shapes)
    assert candidates(5, 2) == []


def test_register_map():
    names = [f.name for f in REGISTERS]
    assert names[0] == "kind" and len(names) == len(set(names))
    inv = Invocation("l", "add", {"words": 3, "r": -(1 << 40), "zy": -5})
    words = inv.register_words()
    assert len(words) == sum(f.words for f in REGISTERS)
    r_at = REGISTER_OFFSETS["r"] // 4
    assert words[r_at] | (words[r_at + 1] << 32) == (-(1 << 40)) & ((1 << 64) - 1)
    assert Invocation.from_json(inv.to_json()) == inv
    with pytest.raises(UserError, match="does not fit"):
        Invocation("l", "conv", {"k": 16})
    with pytest.raises(ValueError):
        Invocation("l", "add", {"k": 1})
