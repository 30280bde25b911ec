"""The RTL requantizer (templates/rtl/hlsgen_requant.v, a static unit of the engine) vs requant_int, in iverilog.

Edge cases the networks rarely reach: |acc| above 2^24 (f32(acc) rounds), exact
ties at every rounding step (power-of-two scales), subnormal and zero scales,
products far outside the clamp, both clamp bounds, int32 extremes.
"""
from __future__ import annotations

import subprocess

import numpy as np

from hlsgen.emit import rtl
from hlsgen.golden.requant import requant_float, requant_int
from hlsgen.sim.verilator import read_hex

TB = """
`timescale 1ns/1ps
module tb;
    localparam N = %(n)d;
    reg clk = 0;
    reg [31:0] acc_v [0:N-1];
    reg [31:0] scale_v [0:N-1];
    reg [31:0] zy_v [0:N-1];
    reg [31:0] lo_v [0:N-1];
    reg [31:0] hi_v [0:N-1];
    reg [31:0] y_v [0:N-1];
    reg [31:0] acc, scale; reg [9:0] zy, lo, hi;
    wire [31:0] y;
    hlsgen_requant dut (.clk(clk), .ce(1'b1), .acc(acc), .scale_bits(scale), .zy(zy), .lo(lo), .hi(hi), .y(y));
    integer i;
    initial begin
        $readmemh("acc.hex", acc_v); $readmemh("scale.hex", scale_v);
        $readmemh("zy.hex", zy_v); $readmemh("lo.hex", lo_v); $readmemh("hi.hex", hi_v);
        for (i = 0; i < N + 5; i = i + 1) begin
            if (i < N) begin acc = acc_v[i]; scale = scale_v[i]; end
            // zy, lo, hi are per-invocation registers: they reach the last stage with the value
            if (i >= 5 && i - 5 < N) begin zy = zy_v[i - 5]; lo = lo_v[i - 5]; hi = hi_v[i - 5]; end
            #5 clk = 1; #5 clk = 0;
            if (i >= 5) y_v[i - 5] = y;
        end
        $writememh("y.hex", y_v);
        $finish;
    end
endmodule
"""


def _vectors(n, rng):
    acc = rng.integers(-2**31, 2**31, n, dtype=np.int64)
    acc[: n // 4] = rng.integers(-2**16, 2**16, n // 4)                    # the usual range
    acc[n // 4: n // 4 + 8] = [-2**31, 2**31 - 1, 0, 1, -1, 2**24 + 1, -(2**24 + 3), 2**25 + 2]
    e = rng.integers(9, 12, n // 8)                                            # exact ties: (k + 1/2)
    acc[n // 2: n // 2 + n // 8] = (2 * rng.integers(-150, 150, n // 8) + 1) << (e - 1)
    scale = (10.0 ** rng.uniform(-9, 1, n)).astype(np.float32)
    scale[n // 2: n // 2 + n // 8] = (2.0 ** -e).astype(np.float32)
    scale[::17] = np.float32(1e-40)                                            # subnormal
    scale[::29] = np.float32(0.0)
    scale[::31] = np.float32(2.0 ** 20)                                        # saturating
    zy = rng.integers(-128, 128, n)
    signed = rng.random(n) < 0.5
    lo = np.where(signed, -128, 0)
    hi = np.where(signed, 127, 255)
    relu = rng.random(n) < 0.3
    lo = np.where(relu, np.maximum(zy, lo), lo)
    zy = np.where(signed, zy, zy + 128)
    lo = np.where(relu, np.maximum(zy, lo), lo)
    return acc, scale, zy, lo, hi


def test_requant_rtl_equals_requant_int(tmp_path):
    n = 4000
    acc, scale, zy, lo, hi = _vectors(n, np.random.default_rng(7))
    units = [str(rtl.TEMPLATES / u) for u in ("hlsgen_requant.v", "hlsgen_round24.v", "hlsgen_to_int.v",
                                               "hlsgen_f32_parts.v")]     # the static unit and its leaves
    (tmp_path / "tb.v").write_text(TB % {"n": n})
    for name, v in (("acc", acc), ("scale", scale.view(np.uint32)), ("zy", zy), ("lo", lo), ("hi", hi)):
        (tmp_path / f"{name}.hex").write_text("\n".join(f"{int(x) & 0xFFFFFFFF:08x}" for x in v) + "\n")
    subprocess.run(["iverilog", "-g2001", "-s", "tb", "-o", str(tmp_path / "tb.vvp"),
                    *units, str(tmp_path / "tb.v")], check=True)
    subprocess.run(["vvp", "-n", str(tmp_path / "tb.vvp")], cwd=tmp_path, check=True, capture_output=True)
    y = read_hex(tmp_path / "y.hex", n, np.uint32).view(np.int32).astype(np.int64)
    ref = requant_int(acc, scale, zy, lo, hi).astype(np.int64)
    assert np.array_equal(ref, requant_float(acc, scale, zy, lo, hi))
    bad = np.flatnonzero(y != ref)
    assert bad.size == 0, f"{bad.size} of {n} differ, e.g. acc={acc[bad[:3]]} s={scale[bad[:3]]} " \
                          f"rtl={y[bad[:3]]} ref={ref[bad[:3]]}"
