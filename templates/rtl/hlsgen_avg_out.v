`timescale 1ns/1ps
// cost (yosys synth_xilinx -family xcup, this unit alone): lut=7195 dsp=0 path=655

// The average of a window (avgpool_int steps 3-5): S = ms * 2^es exactly (24 significant bits),
// v1 = f32(S / count) by a 35/8-bit division, v2 = f32(v1 / sy) through y_recip,
// y = rne(f32(v2 + zy)) clamped; |v2| >= 2^10 saturates, |v2| < 2^-2 gives zy.
module hlsgen_avg_out (
    input  wire signed [63:0] s,
    input  wire        [31:0] count,             // <= 225 (k is a 4-bit field): 8 bits used
    input  wire signed [11:0] esx,
    input  wire        [23:0] msy,
    input  wire signed [11:0] esy,
    input  wire        [31:0] y_recip,           // floor(2^51 / msy) <= 2^28: 29 bits used
    input  wire signed [9:0]  zy,
    input  wire signed [9:0]  lo,
    input  wire signed [9:0]  hi,
    output wire signed [31:0] y
);
    wire neg = s[63];
    wire unused_hi = &{1'b0, count[31:8], y_recip[31:29]};   // (zero)
    wire [24:0] ms, m1, m2; wire [6:0] es; wire signed [11:0] e1, e2r;
    hlsgen_round24 round_s (.v(neg ? -s : s), .m(ms), .e(es));
    hlsgen_div_sig div_count (.n(ms), .d(count[7:0]), .m(m1), .e(e1));
    hlsgen_div_sig_recip div_sy (.m1(m1), .msy(msy), .recip(y_recip[28:0]), .m(m2), .e(e2r));
    wire signed [11:0] e2 = e2r + e1 + $signed({5'd0, es}) + esx - esy;
    hlsgen_plus_zy tail (.m2(m2), .e2(e2), .neg(neg), .zy(zy), .lo(lo), .hi(hi), .y(y));
endmodule
