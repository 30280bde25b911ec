`timescale 1ns/1ps

// clamp(rne(f32(v + zy)), lo, hi) for v = -+m2 * 2^e2 (m2 in [2^23, 2^24] or 0), requant.plus_zy:
// |v| >= 2^10 saturates, |v| < 2^-2 (or 0) gives zy, else v and zy meet on the grid 2^-25.
module hlsgen_plus_zy (
    input  wire        [24:0] m2,
    input  wire signed [11:0] e2,
    input  wire               neg,
    input  wire signed [9:0]  zy,
    input  wire signed [9:0]  lo,
    input  wire signed [9:0]  hi,
    output wire signed [31:0] y
);
    wire [24:0] m3; wire [6:0] e3;
    wire signed [11:0] mid_s = e2 + 12'sd25;
    wire [3:0] mid = (mid_s < 0) ? 4'd0 : (mid_s > 12'sd11) ? 4'd11 : mid_s[3:0];
    wire signed [39:0] vmag = $signed({15'd0, m2}) <<< mid;           // < 2^36
    wire signed [39:0] x = (neg ? -vmag : vmag) + ($signed({ {30{zy[9]}}, zy }) <<< 25);
    wire [39:0] xa = x[39] ? -x : x;
    hlsgen_round24 #(.W(40)) round_x (.v(xa), .m(m3), .e(e3));
    wire signed [31:0] q;
    hlsgen_to_int to_int (.m(m3), .x($signed({5'd0, e3}) - 12'sd25), .neg(x[39]), .zy(10'sd0), .lo(lo), .hi(hi), .y(q));
    wire signed [31:0] zy32 = {{22{zy[9]}}, zy};
    wire signed [31:0] lo32 = {{22{lo[9]}}, lo};
    wire signed [31:0] hi32 = {{22{hi[9]}}, hi};
    wire signed [31:0] zc = (zy < lo) ? lo32 : (zy > hi) ? hi32 : zy32;
    assign y = ((e2 <= -12'sd26) || (m2 == 25'd0)) ? zc : (e2 >= -12'sd13) ? (neg ? lo32 : hi32) : q;
endmodule
