"""cocotb benches of two of the engine's static units alone (templates/rtl/), their results checked in
plain Python: hlsgen_delay (a value reaches q exactly N enabled cycles later; ce = 0 freezes the line)
and hlsgen_mac_array (the accumulators equal bias' plus the sum over a pixel group's taps of the
int8 x int10 products, for random signed weights and inputs). UNIT names the unit under test."""
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge


def _signed(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _pack(values, bits):
    return sum((v & ((1 << bits) - 1)) << (bits * i) for i, v in enumerate(values))


@cocotb.test(skip=os.environ.get("UNIT") != "hlsgen_delay")
async def delay_line(dut):
    w, n = int(os.environ["W"]), int(os.environ["N"])
    rng = random.Random(1)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    sent = []                                       # values entered on enabled cycles
    for cycle in range(200):
        await FallingEdge(dut.clk)
        if len(sent) >= n:
            assert int(dut.q.value) == sent[-n], f"cycle {cycle}: q {int(dut.q.value)} != {sent[-n]}"
        ce = rng.random() < 0.7
        d = rng.getrandbits(w)
        dut.ce.value, dut.d.value = int(ce), d
        if ce:
            sent.append(d)
    assert len(sent) > 100


@cocotb.test(skip=os.environ.get("UNIT") != "hlsgen_mac_array")
async def mac_array(dut):
    pp, po, pi = (int(os.environ[k]) for k in ("PP", "PO", "PI"))
    rng = random.Random(2)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.ce.value, dut.is_conv.value, dut.v.value, dut.first.value = 1, 1, 0, 0
    for group in range(5):
        taps = rng.randint(1, 6)
        bias = [rng.randint(-2**20, 2**20) for _ in range(po)]
        want = [bias[j % po] for j in range(pp * po)]
        for t in range(taps):
            x = [rng.randint(-384, 383) for _ in range(pp * pi)]      # 10-bit lanes (uint8 / int8 minus zx)
            w = [rng.randint(-128, 127) for _ in range(po * pi)]
            for p in range(pp):
                for j in range(po):
                    want[p * po + j] += sum(x[p * pi + i] * w[j * pi + i] for i in range(pi))
            await FallingEdge(dut.clk)
            dut.v.value, dut.first.value = 1, int(t == 0)
            dut.xin.value, dut.w.value = _pack(x, 10), _pack(w, 8)
            dut.bias.value = _pack(bias, 32)                           # read one cycle later (stage 2)
        await FallingEdge(dut.clk)
        dut.v.value = 0
        for _ in range(2):
            await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        acc = int(dut.acc.value)
        got = [_signed(acc >> (32 * k), 32) for k in range(pp * po)]
        assert got == want, f"group {group}: {got} != {want}"
