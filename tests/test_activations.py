"""Where the activations live (ENGINE.md section 3): maps placed by their lives (plan.reuse), and on chip
in each compute unit's PLRAM on targets that have one ("Activations on chip")."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from hlsgen import api
from hlsgen.errors import UserError
from hlsgen.frontend import load
from hlsgen.golden import run
from hlsgen.plan import make_plan, tiled
from hlsgen.plan.engine import get_target
from hlsgen.plan.resources import plram_urams
from hlsgen.plan.reuse import act_addresses
from hlsgen.examples.testnets import random_input


def _buffers(d):
    """(start, end, live) of every buffer (a concat's inputs are at its address, with its words per pixel)."""
    seen = {}
    for t in d.tensors.values():
        if t.view_of is None and t.live is not None:
            size = t.h * t.w * t.map_cw * d.engine.pi
            start = t.addr
            old = seen.get(start)
            if old is None or size > old[1] - old[0]:
                seen[start] = (start, start + size, tuple(t.live))
    return list(seen.values())


@pytest.mark.parametrize("kind", ["resnet", "inception", "dense", "mobile"])
def test_maps_live_at_once_never_share_bytes(testnet, kind):
    """Every address an invocation uses lies in a map live at that invocation, two maps whose lives
    overlap are disjoint, and the memory is smaller than every map apart; the tiled golden model on the
    reused memory equals the golden model."""
    path = testnet(kind)
    graph = load(path)
    d = make_plan(graph, dsp_budget=64).data
    n = len(d.invocations)
    maps = [t for t in d.tensors.values() if t.live is not None]
    for i, inv in enumerate(d.invocations):
        for f in act_addresses(inv):
            holders = [t for t in maps if t.addr <= inv[f] < t.addr + t.h * t.w * t.map_cw * d.engine.pi]
            assert any(t.live[0] <= i <= t.live[1] for t in holders), (inv.layer, f)
    bufs = _buffers(d)
    for a in range(len(bufs)):
        for b in range(a):
            (s0, e0, l0), (s1, e1, l1) = bufs[a], bufs[b]
            if l0[0] <= l1[1] and l1[0] <= l0[1]:
                assert e0 <= s1 or e1 <= s0, (bufs[a], bufs[b])
    apart = sum(e - s for s, e, _ in bufs)
    assert d.act_bytes < apart
    for h in d.host:
        if h["kind"] == "quantize":
            assert d.tensors[h["tensor"]].live[0] == -1
        if h["kind"] == "dequantize":
            assert d.tensors[h["tensor"]].live[1] == n
    x = random_input(path)
    for g, t in zip(run(graph, x), tiled.run(make_plan(graph, dsp_budget=64), x)):
        assert np.array_equal(g, t)


def test_activations_on_chip_by_default_on_the_u200(testnet, tmp_path):
    """A small net on alveo-u200: each CU's act ports bind the PLRAM of its SLR at 64 bytes per cycle each
    way, wgt its DDR bank; the PLRAM holds act_bytes, counted in URAMs; the build files size it."""
    path = testnet("resnet")
    b = api.build(path, tmp_path / "out", dsp_budget=64)
    d, e = b.data, b.data.engine
    _, target = get_target("alveo-u200")
    assert e.act_mem_bytes >= d.act_bytes and e.act_mem_bytes & (e.act_mem_bytes - 1) == 0
    assert e.act_mem_bytes >= target["plram"]["min_bytes"]
    for port in ("act_rd", "act_wr"):
        assert e.ports[port]["bytes_per_cycle"] == e.ports[port]["shared_bytes_per_cycle"] == 64
    assert {(i["rd_bank"], i["wr_bank"]) for i in d.invocations} == {(0, 0)}
    # 512 bits = 8 URAMs of 64 bits side by side, 4,096 deep: 8 per 256 KB begun
    assert d.resources["uram"] >= plram_urams(e.engine()) == 8 * -(-e.act_mem_bytes // (256 * 1024))
    hw = tmp_path / "out" / "hw"
    tcl = (hw / "plram.tcl").read_text()
    conn = (hw / "connectivity.cfg").read_text()
    slr_index = {s["name"]: i for i, s in enumerate(target["slrs"])}
    size = f"{e.act_mem_bytes >> 10}K" if e.act_mem_bytes < 1 << 20 else f"{e.act_mem_bytes >> 20}M"
    for n, cu in enumerate(d.compute_units, 1):
        i = slr_index[cu.slr]
        assert cu.act_banks == [f"PLRAM[{i}]"] and cu.act_sp == f"PLRAM[{i}]"
        assert cu.wgt_bank.startswith("DDR[")
        assert f"sp=hlsgen_engine_{n}.act_rd:PLRAM[{i}]" in conn and f"sp=hlsgen_engine_{n}.act_wr:PLRAM[{i}]" in conn
        assert (f"PLRAM_MEM{i:02d} {{ SIZE {size} AXI_DATA_WIDTH 512 SLR_ASSIGNMENT {cu.slr} "
                "READ_LATENCY 10 MEMORY_PRIMITIVE URAM }") in tcl
    assert tcl.count("update_plram_specification") == len(d.compute_units)
    make = subprocess.run(["make", "-n", "hw"], cwd=hw, capture_output=True, text=True)
    assert "compiler.userPreSysLinkOverlayTcl=" + str((hw / "plram.tcl").resolve()) in make.stdout


def test_activations_off_chip(testnet, tmp_path):
    """--activations off-chip: DDR banks as before, no plram.tcl, nothing in the Makefile."""
    b = api.build(testnet("resnet"), tmp_path / "out", dsp_budget=64, activations="off-chip")
    assert b.data.engine.act_mem_bytes == 0
    assert all(cu.act_banks[0].startswith("DDR[") for cu in b.data.compute_units)
    hw = tmp_path / "out" / "hw"
    assert not (hw / "plram.tcl").exists()
    assert "userPreSysLinkOverlayTcl" not in (hw / "Makefile").read_text()


def test_on_chip_only_where_it_fits(testnet):
    """Maps larger than the PLRAM's 4 MB: auto plans them off chip, on-chip is a one-line error; a target
    without PLRAM refuses on-chip."""
    graph = load(testnet("resnet", hw=768))
    d = make_plan(graph, dsp_budget=64).data
    assert d.engine.act_mem_bytes == 0 and d.act_bytes > 4 << 20
    with pytest.raises(UserError, match=r"^--activations on-chip: the activations do not fit a PLRAM of at most "
                                        r"4194304 bytes"):
        make_plan(graph, dsp_budget=64, activations="on-chip")
    with pytest.raises(UserError, match=r"^--activations on-chip: alveo-u50 has no PLRAM .*alveo-u200, alveo-u250"):
        make_plan(load(testnet("chain")), target="alveo-u50", activations="on-chip")


def test_activations_option_errors(testnet, tmp_path):
    """The CLI refuses an unknown mode and an impossible one: exit 2, one line, nothing written."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "hlsgen", "build", str(testnet("chain")), "--target", "alveo-u50",
           "--activations", "on-chip", "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "--activations on-chip" in r.stderr
    assert not out.exists()
    r = subprocess.run(cmd[:-4] + ["--activations", "sram", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "--activations" in r.stderr and not out.exists()
