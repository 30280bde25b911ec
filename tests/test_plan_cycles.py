"""Cycle model (ENGINE.md section 5) on hand-computed cases, and the register map."""
from __future__ import annotations

import pytest

from hlsgen.errors import UserError
from hlsgen.plan import cycles
from hlsgen.plan.engine import Engine, candidates, mac_dsps
from hlsgen.plan.invocation import REGISTER_OFFSETS, REGISTERS, Invocation


def engine(wgt_bpc=16, wgt_lat=5, pp=1):
    # act_rd / act_wr: 8 / 4 bytes per cycle when they share a bank, 16 / 16 on two banks
    ports = {"act_rd": {"bytes_per_cycle": 16, "shared_bytes_per_cycle": 8, "latency": 10, "banks": ["a", "b"]},
             "act_wr": {"bytes_per_cycle": 16, "shared_bytes_per_cycle": 4, "latency": 0, "banks": ["a", "b"]},
             "wgt": {"bytes_per_cycle": wgt_bpc, "latency": wgt_lat, "bank": "DDR[1]"}}
    return Engine(pi=4, po=8, macs_per_dsp=2, ports=ports,
                  timing={"pipeline_latency": 3, "invocation_overhead": 7}, pp=pp)


CONV = dict(in_h=4, in_w=2, in_cw=1, tap_cw=1, iy0=0, iy1=4, oy0=0, oy1=2, k=3, stride=2, pad_t=1, pad_l=1,
            out_w=1, out_words=2, groups=2, w_group_bytes=352, add_en=0, rd_bank=0, wr_bank=0)


def test_table_waits_for_its_tables():
    # tables: 1 word x PI=4 lanes x 256 bytes = 1024 on wgt (16 B/cycle, latency 5): in at 5 + 64 = 69;
    # rows of 2 words (present at 11, 11, 12) take 2 cycles each from 69: 75; + 3 + 7
    f = dict(in_h=3, in_w=2, in_cw=1, iy0=0, iy1=3, oy0=0, oy1=3, k=1, stride=1, pad_t=0, pad_l=0, out_w=2,
             w_group_bytes=1024, t_words=1, rd_bank=0, wr_bank=1)
    assert cycles.table(engine(), f)["cycles"] == 85
    # small tables: the input rows decide (present at 11, 11, 12), rows 11..13, 13..15, 15..17
    assert cycles.table(engine(wgt_bpc=512), dict(f, w_group_bytes=512))["cycles"] == 27


def test_conv_weight_bound():
    # rows present at 11 + i; c_px = max(9, ceil(8/4)) = 9; W(0) = 5 + 22 = 27
    # group 0 rows 27..36, 36..45; W(1) = S(0) + 27 = 54; group 1 rows 54..63, 63..72; + 3 + 7
    assert cycles.conv(engine(), CONV)["cycles"] == 82


def test_conv_input_and_residual_bound():
    e = engine(wgt_bpc=64, wgt_lat=0)                  # W(0) = 6
    # rows wait for input rows 1 and 3 (present at 12 and 14): 12..21, 21..30; W(1) = 12 + 6
    assert cycles.conv(e, CONV)["cycles"] == 30 + 18 + 10
    # residual row j follows the input rows row j needs (a = 2, 4; 8 bytes each):
    # present at 10 + (16 + 8)/8 = 13 and 10 + (32 + 16)/8 = 16: rows 13..22, 22..31; W(1) = 13 + 6;
    # group 1: 31..49 (reading the whole tile first had them at 15, 16: 61 cycles)
    assert cycles.conv(e, dict(CONV, add_en=1))["cycles"] == 49 + 10


def test_two_banks():
    e = engine(wgt_bpc=64, wgt_lat=0)
    f = dict(CONV, k=1, stride=1, pad_t=0, oy1=4, out_w=2, groups=1, rd_bank=1, wr_bank=0)
    # act_rd 16 bytes/cycle: rows present at 10 + 1..4 (8 bytes each: ceil(8i/16)) = 11, 11, 12, 12;
    # c_px = max(1, ceil(8/16)) = 1, rows of 2 cycles: 11..13, 13..15, 15..17, 17..19
    assert cycles.conv(e, f)["cycles"] == 19 + 10
    # the same invocation in one bank: 8 / 4 bytes per cycle (rows 11..15, 15..19, 19..23, 23..27)
    assert cycles.conv(e, dict(f, rd_bank=0))["cycles"] == 27 + 10


def test_conv_write_bound_pixel():
    e = engine(wgt_bpc=64, wgt_lat=0)
    f = dict(CONV, k=1, stride=1, pad_t=0, oy1=4, out_w=2, groups=1)   # c_px = max(1, 8/4) = 2
    r = cycles.conv(e, f)
    # rows present at 11..14; each row 2 px * 2 = 4 cycles: 11..15, 15..19, 19..23, 23..27
    assert r["cycles"] == 27 + 10
    assert r["compute_cycles"] == 8


def test_pixel_lanes():
    e = engine(wgt_bpc=64, wgt_lat=0, pp=2)
    f = dict(CONV, k=1, stride=1, pad_t=0, in_w=3, oy1=4, out_w=3, groups=1, rd_bank=1, wr_bank=0)
    # rows of 12 bytes present at 10 + ceil(12*(i+1)/16) = 11, 12, 13, 13; c_px = max(1, ceil(2*8/16)) = 1;
    # flat pixel groups (ENGINE.md section 1): the 12 pixels in 6 groups of 2, whose last pixels are in
    # rows 0, 1, 1, 2, 3, 3 (group 1 = pixels (0, 2) and (1, 0)); each waits for its last row:
    # 11..12, 12..14 (rows 1), 14..15, 15..17
    assert cycles.pixel_groups(2, f) == [1, 2, 1, 2]
    r = cycles.conv(e, f)
    assert r["cycles"] == 17 + 10 and r["compute_cycles"] == 6
    # one pixel lane: 3 cycles per row: 11..14, 14..17, 17..20, 20..23
    assert cycles.conv(engine(wgt_bpc=64, wgt_lat=0), f)["cycles"] == 23 + 10
    # rows narrower than PP keep a row's own groups: 2 pixel lanes on rows of one column
    assert cycles.pixel_groups(2, dict(f, out_w=1)) == [1, 1, 1, 1]


def test_fused_pool():
    e = engine(wgt_bpc=64, wgt_lat=0, pp=2)
    # pool_k 2: conv rows 0..3, conv columns 0..1 (out_w = 1 pooled pixel): one pixel group per row,
    # c_px = max(1, ceil(2*8/4)) = 4 (one bank); rows present at 11..14: 11..15, 15..19, 19..23, 23..27
    f = dict(CONV, k=1, stride=1, pad_t=0, oy1=4, out_w=1, groups=1, pool_k=2)
    r = cycles.conv(e, f)
    assert r["cycles"] == 27 + 10
    assert r["wr_bytes"] == 2 * 1 * 2 * 4          # two pooled rows of one pixel, two words each


def test_vector_ops():
    e = engine()
    one = dict(rd_bank=0, wr_bank=0)
    pool = dict(in_h=4, in_w=4, in_cw=1, iy0=0, iy1=4, oy0=0, oy1=2, out_w=2, k=2, stride=2, pad_t=0, **one)
    # rows present at 12, 14, 16, 18; output rows need rows 1 and 3; 8 cycles each: 14..22, 22..30
    assert cycles.pool(e, pool, "maxpool")["cycles"] == 30 + 10
    # two pixel lanes: a max pool's row is one group of 4 cycles (14..18, 18..22); an average pool stays
    # one pixel at a time
    assert cycles.pool(engine(pp=2), pool, "maxpool")["cycles"] == 22 + 10
    assert cycles.pool(engine(pp=2), pool, "avgpool")["cycles"] == 30 + 10
    gap = dict(in_h=2, in_w=2, in_cw=2, iy0=0, iy1=2, oy0=0, oy1=1, out_w=1, k=0, stride=1, pad_t=0, **one)
    assert cycles.pool(e, gap, "gavgpool")["cycles"] == 14 + 8 + 10     # 32 bytes, then 2*2*2
    assert cycles.add(e, {"words": 5, **one})["cycles"] == 15 + 5 + 10  # 40 bytes, then 5 words


def test_candidates_fit_budget():
    for budget in (6, 32, 3528):
        shapes = candidates(budget, 2)
        assert shapes and all(mac_dsps(pi, po, 2, pp, lanes=pi) <= budget and po % pi == 0 for pp, pi, po in shapes)
        assert {pp for pp, _, _ in shapes} > {1} or budget < 32
    assert candidates(5, 2) == []


def test_register_map():
    names = [f.name for f in REGISTERS]
    assert names[0] == "kind" and len(names) == len(set(names))
    inv = Invocation("l", "add", {"words": 3, "add_k": -(1 << 40), "lo": -5})
    words = inv.register_words()
    assert len(words) == sum(f.words for f in REGISTERS)
    r_at = REGISTER_OFFSETS["add_k"] // 4
    assert words[r_at] | (words[r_at + 1] << 32) == (-(1 << 40)) & ((1 << 64) - 1)
    assert Invocation.from_json(inv.to_json()) == inv
    with pytest.raises(UserError, match="does not fit"):
        Invocation("l", "conv", {"k": 16})
    with pytest.raises(ValueError):
        Invocation("l", "add", {"k": 1})


def test_preload_cycles():
    # resident weights: wgt is the store (64 B/cycle lines here), preload streams over the DDR port
    e = engine(wgt_bpc=64, wgt_lat=4)
    e.ports["preload"] = {"bytes_per_cycle": 32, "latency": 20, "bank": "DDR[1]"}
    # 20 + ceil(10*64 / 32) + 3 + 7
    assert cycles.invocation(e, Invocation("weights.bin", "preload", {"w_lines": 10}))["cycles"] == 50


def _testnet(testnet, kind="vgg"):
    from hlsgen.frontend import load
    return load(testnet(kind))


def test_lut_model_counts_the_lane_units():
    """Requantizer and add unit on every output lane; the average-pool units on every input lane,
    only when the model has an average pool (the RTL generates them only then)."""
    from hlsgen.plan import resources
    from hlsgen.plan.engine import get_target, ports
    _, tgt = get_target("alveo-u200")
    e = Engine(pi=8, po=16, macs_per_dsp=2, ports=ports(tgt, 300.0))
    plain, avg = resources.estimate(e)["lut"], resources.estimate(e, avgpool=True)["lut"]
    assert plain >= 16 * (resources.LUT_REQUANT + resources.LUT_ADD) + 8 * 16 * resources.LUT_PER_MAC
    assert avg - plain == 8 * (resources.LUT_AVG_TAP + resources.LUT_AVG_OUT)


def test_resident_weights_plan(testnet):
    from hlsgen.plan import make_plan, resources
    from hlsgen.plan.engine import get_target, store_line
    graph = _testnet(testnet)
    res = make_plan(graph, dsp_budget=200).data
    e = res.engine
    line = store_line(e.pi, e.po)
    assert e.ports["wgt"] == {"bytes_per_cycle": line, "latency": 4, "bank": "on-chip"}
    assert e.ports["preload"]["bank"].startswith("DDR") and e.w_store_bytes == res.weights_bytes
    assert ([inv.to_json() for inv in res.preload]
            == [{"layer": "weights.bin", "kind": "preload", "w_lines": res.weights_bytes // line}])
    assert res.weights_bytes % line == 0 and res.preload_cycles > 0
    for inv in res.invocations:
        if inv.kind == "conv":
            assert inv["w_addr"] % line == 0 and inv["w_group_bytes"] % line == 0
    streamed = make_plan(graph, dsp_budget=200, weights="streamed").data
    assert "preload" not in streamed.engine.ports and streamed.preload == []
    assert streamed.preload_cycles == 0 and streamed.engine.w_store_bytes == 0
    assert streamed.total_cycles > res.total_cycles
    # the store is URAM: 8*line/72 columns per 4096 lines; the buffers move to BRAM
    urams = -(-8 * line // 72) * -(-res.weights_bytes // (line * 4096))
    assert res.resources["uram"] == urams + resources.plram_urams(e.engine())      # and the activations' PLRAM
    assert "resident" in make_plan(graph, dsp_budget=200).report


def test_weights_stream_when_the_store_does_not_fit(testnet):
    from hlsgen.plan import planner
    from hlsgen.plan.engine import get_target
    graph = _testnet(testnet)
    _, tgt = get_target("alveo-u200")
    small = dict(tgt, user=dict(tgt["user"], uram=0))
    e = planner.choose_engine(graph, small, 300.0, 200)
    assert not e.resident and planner.resources.estimate(e)["uram"] == 0
    with pytest.raises(UserError, match="--weights resident: the weights do not fit"):
        planner.choose_engine(graph, small, 300.0, 200, weights="resident")
    with pytest.raises(UserError, match="--weights bogus"):
        planner.make_plan(graph, weights="bogus")


def test_activation_banks(testnet):
    from hlsgen.plan import make_plan
    graph = _testnet(testnet, "resnet")
    d = make_plan(graph, dsp_budget=64, compute_units=1, activations="off-chip").data   # one CU: three banks

    def bank(addr, i):
        """The bank of the map live at invocation I that holds ADDR (a map, its concat slices and views in one)."""
        got = {t.bank for t in d.tensors.values() if t.live and t.live[0] <= i <= t.live[1]
               and t.addr <= addr < t.addr + t.h * t.w * t.map_cw * d.engine.pi}
        assert len(got) == 1, (addr, i, got)
        return got.pop()
    split = 0
    for i, inv in enumerate(d.invocations):
        reads = [inv[k] for k in ("in_addr", "a_addr", "b_addr") if k in inv.fields]
        if inv.fields.get("add_en"):
            reads.append(inv["add_addr"])
        assert {bank(a, i) for a in reads} == {inv["rd_bank"]} and bank(inv["out_addr"], i) == inv["wr_bank"]
        split += inv["rd_bank"] != inv["wr_bank"]
    assert any(inv.fields.get("add_en") for inv in d.invocations) and split > len(d.invocations) // 2
    one = make_plan(graph, target="zcu104", dsp_budget=64).data
    assert {(i["rd_bank"], i["wr_bank"]) for i in one.invocations} == {(0, 0)}
    assert one.engine.ports["act_rd"]["bytes_per_cycle"] == one.engine.ports["act_rd"]["shared_bytes_per_cycle"]
