`timescale 1ns/1ps
// cost (yosys synth_xilinx -family xcup, this unit alone): lut=3717 dsp=1 path=232

// QLinearMul, requant.mul_int: P = (a - za) * (b - zb) exact, v = f32(P * r) (|P| times r's
// significand mr, rounded to 24 bits), y = clamp(rne(f32(v + zy)), lo, hi).
module hlsgen_mul (
    input  wire signed [9:0]  a,
    input  wire signed [9:0]  b,
    input  wire signed [9:0]  za,
    input  wire signed [9:0]  zb,
    input  wire        [23:0] mr,
    input  wire signed [11:0] er,
    input  wire signed [9:0]  zy,
    input  wire signed [9:0]  lo,
    input  wire signed [9:0]  hi,
    output wire signed [31:0] y
);
    wire signed [10:0] da = a - za;
    wire signed [10:0] db = b - zb;
    wire signed [21:0] p = da * db;                // |p| <= 383 * 383 < 2^18
    wire neg = p[21];
    wire [21:0] pa = neg ? -p : p;
    wire unused_pa = &{1'b0, pa[21:18]};           // (zero)
    wire [41:0] prod;
    hlsgen_umul #(.AW(18), .BW(24), .YW(42)) mult (.a(pa[17:0]), .b(mr), .y(prod));
    wire [24:0] m; wire [6:0] e;
    hlsgen_round24 #(.W(42)) round_p (.v(prod), .m(m), .e(e));
    hlsgen_plus_zy tail (.m2(m), .e2($signed({5'd0, e}) + er), .neg(neg), .zy(zy), .lo(lo), .hi(hi), .y(y));
endmodule
