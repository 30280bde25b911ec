"""RTL twin per op family: hand-built invocations vs the tiled golden and the cycle model.

``op_family_case(pi, po, ports)`` returns (plan data, weights, initial activation
image): every invocation kind with the variants that take different paths
through the engine (partial last group, row tiles, stride, padding, uint8 and
int8, ReLU clamp, fused residual add into a concat slice, pools, add). The
reference is the tiled golden (hlsgen.plan.tiled.invoke) on the same image.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hlsgen.golden.requant import add_consts, y_recip
from hlsgen.plan import cycles as cycle_model
from hlsgen.plan import tiled
from hlsgen.plan.engine import TIMING, Engine, align
from hlsgen.plan.invocation import Invocation
from hlsgen.sim import verilator


class _Case:
    def __init__(self, pi, po, seed):
        self.pi, self.po = pi, po
        self.rng = np.random.default_rng(seed)
        self.act = bytearray()
        self.wgt = bytearray()
        self.invocations = []

    def words(self, c):
        return -(-c // self.pi)

    def new_map(self, c, h, w, fill=True):
        """A map of C channels (random bytes when FILL); returns (addr, words per pixel)."""
        addr = align(len(self.act))
        n = h * w * self.words(c) * self.pi
        self.act += bytes(addr - len(self.act))
        self.act += (self.rng.integers(0, 256, n, dtype=np.uint8).tobytes() if fill else bytes(n))
        return addr, self.words(c)

    def weights(self, k, cin, cout):
        """Conv blocks per ENGINE.md section 3; returns (w_addr, groups, w_group_bytes)."""
        pi, po = self.pi, self.po
        cw, groups = self.words(cin), -(-cout // po)
        wbytes = k * k * cw * po * pi
        gbytes = align(align(wbytes) + 8 * po)
        addr = align(len(self.wgt))
        self.wgt += bytes(addr - len(self.wgt))
        for g in range(groups):
            w = self.rng.integers(-128, 128, (k, k, cw, po, pi), dtype=np.int64)
            live_out = np.arange(g * po, g * po + po) < cout
            w[..., ~live_out, :] = 0
            w = w.reshape(k, k, cw * pi, po)
            w[:, :, cin:, :] = 0
            w = w.reshape(k, k, cw, pi, po).transpose(0, 1, 2, 4, 3)
            consts = np.zeros((po, 2), np.uint32)
            consts[:, 0] = self.rng.integers(-3000, 3000, po).astype(np.int32).view(np.uint32)
            scale = self.rng.uniform(2e-4, 3e-3, po).astype(np.float32)
            scale[::5] = np.float32(2.0 ** -9)   # exact binary scales: round-half-even ties
            consts[:, 1] = scale.view(np.uint32)
            consts[~live_out] = 0
            block = bytearray(gbytes)
            block[:wbytes] = w.astype(np.int8).tobytes()
            block[align(wbytes): align(wbytes) + 8 * po] = consts.astype("<u4").tobytes()
            self.wgt += block
        return addr, groups, gbytes

    def conv(self, src, c, h, w, cout, k, stride, pad, tiles=1, signed=True, out_signed=True, relu=False,
             add=None, out_map=None, pool_k=0):
        """Conv over SRC (addr, words) in TILES row tiles, with a fused POOL_K max pool;
        returns (addr, words, out_h, out_w)."""
        pk = max(pool_k, 1)
        oh = ((h + 2 * pad - k) // stride + 1) // pk              # the (pooled) output map
        ow = ((w + 2 * pad - k) // stride + 1) // pk
        out_addr, out_cw, c0w = out_map or (*self.new_map(cout, oh, ow, fill=False), 0)
        w_addr, groups, gbytes = self.weights(k, c, cout)
        zy = int(self.rng.integers(-20, 20)) + (0 if out_signed else 128)
        lo, hi = (-128, 127) if out_signed else (0, 255)
        if relu:
            lo = zy
        base = dict(in_addr=src[0], in_h=h, in_w=w, in_cw=src[1], out_addr=out_addr, out_w=ow, out_cw=out_cw,
                    out_c0w=c0w, out_words=self.words(cout), k=k, stride=stride, pad_t=pad, pad_l=pad,
                    groups=groups, tap_cw=src[1], w_addr=w_addr, w_group_bytes=gbytes,
                    zx=int(self.rng.integers(-10, 10)) + (0 if signed else 128), zy=zy, lo=lo, hi=hi,
                    in_signed=int(signed), out_signed=int(out_signed), pool_k=pool_k)
        if add is not None:
            base.update(add_en=1, add_addr=add[0], add_signed=1, add_lo=-128, add_hi=127, **self.add_consts())
        bounds = np.linspace(0, oh, tiles + 1).astype(int) * pk       # conv rows, whole pool windows
        for oy0, oy1 in zip(bounds[:-1], bounds[1:]):
            iy0 = max(0, oy0 * stride - pad)
            iy1 = min(h, (oy1 - 1) * stride - pad + k)
            self.invocations.append(Invocation("conv", "conv", dict(base, iy0=iy0, iy1=iy1, oy0=oy0, oy1=oy1)))
        return out_addr, out_cw, oh, ow

    def pool(self, kind, src, c, h, w, k, stride, pad, signed=True, count_include_pad=True):
        if kind == "gavgpool":
            k, stride, pad, oh, ow = 0, 1, 0, 1, 1
        else:
            oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        out_addr, _ = self.new_map(c, oh, ow, fill=False)
        f = dict(in_addr=src[0], in_h=h, in_w=w, in_cw=src[1], iy0=0, iy1=h, oy0=0, oy1=oh,
                 out_addr=out_addr, out_w=ow, k=k, stride=stride, pad_t=pad, pad_l=pad,
                 zx=3 if signed else 130, zy=-2 if signed else 120, lo=-128 if signed else 0,
                 hi=127 if signed else 255, in_signed=int(signed), count=max(k * k, 1) if k else h * w)
        if kind == "gavgpool":
            f.update(scale=int(np.float32(self.rng.uniform(0.5, 1.5) / (h * w)).view(np.uint32)))
        if kind == "avgpool":
            sx, sy = np.float32(self.rng.uniform(0.01, 0.1)), np.float32(self.rng.uniform(0.01, 0.1))
            f.update(scale=int(sx.view(np.uint32)), y_scale=int(sy.view(np.uint32)), y_recip=y_recip(sy),
                     count=k * k if count_include_pad else 0)
        self.invocations.append(Invocation(kind, kind, f))
        return out_addr

    def add_consts(self):
        """add_int constants of y = a*ra + (b*rb + k) for float32 ra, rb, k (as a QLinearAdd has)."""
        ra, rb = np.float32(self.rng.uniform(0.3, 1.2)), np.float32(self.rng.uniform(0.3, 1.2))
        k = np.float32(self.rng.uniform(-40, 40))
        return {"add_" + n: v for n, v in add_consts(ra, rb, k).items()}

    def add(self, a, b, words):
        out_addr, _ = self.new_map(words * self.pi, 1, 1, fill=False)
        self.invocations.append(Invocation("add", "add", dict(
            a_addr=a, b_addr=b, out_addr=out_addr, words=words, lo=-128, hi=127, a_signed=1, b_signed=0,
            **self.add_consts())))


def op_family_case(pi: int, po: int, ports: dict, seed: int = 0, pp: int = 1, lanes: int = 0) -> tuple:
    """(plan data, weights bytes, activation image) covering every invocation kind, for a PP x PO x PI array
    with LANES epilogue lanes (0: one per output)."""
    c = _Case(pi, po, seed)
    x = c.new_map(6, 7, 7)
    c.conv(x, 6, 7, 7, 12, 3, 1, 1)                                  # partial last group
    u = c.new_map(5, 9, 8)
    c.conv(u, 5, 9, 8, po, 3, 2, 1, tiles=2, signed=False, out_signed=False, relu=True)
    c.conv(x, 6, 7, 7, 5, 5, 1, 2, tiles=3)                          # 5x5, row tiles
    res = c.new_map(po + 2, 7, 7)
    cat = c.new_map(po + 2 + 2 * pi, 7, 7, fill=False)
    c.conv(x, 6, 7, 7, po + 2, 1, 1, 0, tiles=2, add=res,
           out_map=(cat[0], cat[1], c.words(2 * pi)))                 # fused add into a concat slice
    c.conv(c.new_map(3 * pi, 1, 1), 3 * pi, 1, 1, 2 * po, 1, 1, 0)    # gemm: 1x1 map
    c.conv(x, 6, 7, 7, 12, 3, 1, 1, tiles=2, pool_k=2)               # fused 2x2 pool: 7x7 -> 3x3, row tiles
    c.conv(x, 6, 7, 7, 5, 1, 1, 0, pool_k=3, relu=True)              # fused 3x3 pool: windows across pixel groups
    c.conv(u, 5, 9, 8, po, 3, 2, 1, pool_k=2, signed=False, out_signed=False)   # stride 2, then pool
    c.pool("maxpool", x, 6, 7, 7, 3, 2, 1)
    c.pool("maxpool", u, 5, 9, 8, 2, 2, 0, signed=False)
    c.pool("avgpool", x, 6, 7, 7, 2, 2, 0)
    c.pool("avgpool", u, 5, 9, 8, 3, 2, 1, signed=False, count_include_pad=False)
    c.pool("gavgpool", u, 5, 9, 8, 0, 1, 0, signed=False)
    c.add(x[0], u[0], 20)
    # what the RTL emitter reads of a plan (PlanData's fields); no units: it builds those the invocations use
    e = _engine(pi, po, ports, pp, lanes)
    data = SimpleNamespace(target="rtl-test", invocations=c.invocations, preload=[],
                           engine=SimpleNamespace(pp=pp, pi=pi, po=po, ports=ports, timing=e.timing, units={},
                                                  epilogue_lanes=e.epilogue_lanes),
                           act_bytes=align(len(c.act)), weights_bytes=len(c.wgt))
    act = np.zeros(data.act_bytes, np.uint8)
    act[:len(c.act)] = np.frombuffer(bytes(c.act), np.uint8)
    return data, bytes(c.wgt), act


# -- tests -----------------------------------------------------------------

def _ports(br, bw, bo):
    """One activation bank (every invocation reads and writes bank 0: the shared figures apply)."""
    return {"act_rd": {"bytes_per_cycle": br, "shared_bytes_per_cycle": br, "latency": TIMING["act_rd_latency"],
                       "banks": ["bank0"]},
            "act_wr": {"bytes_per_cycle": bo, "shared_bytes_per_cycle": bo, "latency": 0, "banks": ["bank0"]},
            "wgt": {"bytes_per_cycle": bw, "latency": TIMING["wgt_latency"]}}


def _engine(pi, po, ports, pp, lanes=0):
    e = Engine(pi=pi, po=po, macs_per_dsp=2, ports=ports, timing=dict(TIMING), pp=pp)
    e.set_epilogue_lanes(lanes or pp * po)
    return e


def _check(folder, pi, po, ports, pp=1, lanes=0):
    data, weights, act = op_family_case(pi, po, ports, pp=pp, lanes=lanes)
    out, cycles, _, _ = verilator.run_engine(folder, data, weights, act[None], write_rtl=True)
    mem = tiled.Memory(1, len(act), pi)
    mem.a[0] = act
    wmem = np.frombuffer(weights, np.uint8)
    e = _engine(pi, po, ports, pp, lanes)
    print(f"\nPP={pp} PI={pi} PO={po} E={e.epilogue_lanes} ports {ports}")
    print(f"{'kind':10s} {'rtl':>8s} {'model':>8s} {'diff':>7s}")
    worst = 0.0
    for inv, c in zip(data.invocations, cycles[0]):
        model = cycle_model.invocation(e, inv)["cycles"]
        worst = max(worst, abs(c - model) / model)
        print(f"{inv.kind + ('+pool' if inv.fields.get('pool_k') else ''):10s} {c:8d} {model:8d} "
              f"{100 * (c - model) / model:+6.2f}%")
        tiled.invoke(mem, wmem, inv, po)
    bad = np.flatnonzero(out[0] != mem.a[0])
    assert bad.size == 0, f"{bad.size} bytes differ from the tiled golden, first at {bad[:8]}"
    assert worst == 0, "simulated cycles differ from the cycle model (ENGINE.md section 5)"


@pytest.mark.hw
@pytest.mark.parametrize("lanes", [0, 4])
def test_every_op_family_matches_tiled_golden_and_cycle_model(tmp_path, lanes):
    """PP=2, PI=4, PO=8, wide ports (act_rd and wgt beats of several words and lines); an epilogue lane per
    output, and 4 lanes (ENGINE.md section 1: every pixel group in 4 passes, the vector ops in lanes 0..3)."""
    _check(tmp_path, 4, 8, _ports(32, 64, 32), pp=2, lanes=lanes)


@pytest.mark.hw
def test_residual_streams_per_output_group(tmp_path):
    """act_rd beats of one word (4 bytes): the fused add's residual chunks (PO = 8 bytes, a pixel's 12) are
    whole beats, so each output group's residual words stream for it alone (ENGINE.md section 5, step 1),
    the last group's one word of two; with 32-byte beats (the test above) they stream with group 0."""
    _check(tmp_path, 4, 8, _ports(4, 64, 32), pp=2)


@pytest.mark.hw
@pytest.mark.slow
@pytest.mark.parametrize("pp", [1, 4, 8])
def test_op_families_with_1_4_8_pixel_lanes(tmp_path, pp):
    _check(tmp_path, 4, 8, _ports(32, 64, 32), pp=pp)


@pytest.mark.hw
@pytest.mark.slow
def test_op_families_with_epilogue_lanes_across_words(tmp_path):
    """PP=3, PI=4, PO=8 with 6 epilogue lanes (not a multiple of PI): every pixel group in 4 passes whose
    boundaries fall inside words and pixel lanes."""
    _check(tmp_path, 4, 8, _ports(32, 64, 32), pp=3, lanes=6)


@pytest.mark.hw
@pytest.mark.slow
def test_op_families_on_narrow_ports(tmp_path):
    """PP=2, PI=8, PO=16: act_rd beats narrower than a word, wgt narrower than a line,
    act_wr slower than two pixels per cycle (c_px set by the write port)."""
    _check(tmp_path, 8, 16, _ports(4, 64, 8), pp=2)
