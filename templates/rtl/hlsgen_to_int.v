`timescale 1ns/1ps

// clamp(sign * rne(m * 2^x) + zy, lo, hi): left shifts saturate (anything >= 2^40 clamps anyway),
// right shifts round half to even.
module hlsgen_to_int (
    input  wire [24:0]        m,
    input  wire signed [11:0] x,
    input  wire               neg,
    input  wire signed [9:0]  zy,
    input  wire signed [9:0]  lo,
    input  wire signed [9:0]  hi,
    output wire signed [31:0] y
);
    wire [11:0] nx = -x;
    wire [6:0] rs = (x >= 0) ? 7'd0 : (nx > 12'd62) ? 7'd62 : nx[6:0];
    wire [63:0] v = {39'd0, m};
    wire [63:0] q = v >> rs;
    wire [63:0] rem = v & ((64'd1 << rs) - 64'd1);
    wire [63:0] half = (rs == 7'd0) ? 64'd0 : (64'd1 << (rs - 7'd1));
    wire [63:0] right = q + (((rs != 7'd0) && ((rem > half) || ((rem == half) && q[0]))) ? 64'd1 : 64'd0);
    wire [63:0] left = v << ((x > 12'sd16) ? 12'd16 : x);
    wire [42:0] mag = (x >= 0) ? left[42:0] : right[42:0];
    wire unused_hi = &{1'b0, right[63:43], left[63:43]};   // beyond 2^43 clamps like 2^43 - 1 would
    wire signed [44:0] zy45 = {{35{zy[9]}}, zy};
    wire signed [44:0] lo45 = {{35{lo[9]}}, lo};
    wire signed [44:0] hi45 = {{35{hi[9]}}, hi};
    wire signed [44:0] s = (neg ? -$signed({2'b00, mag}) : $signed({2'b00, mag})) + zy45;
    assign y = (s < lo45) ? $signed(lo45[31:0]) : (s > hi45) ? $signed(hi45[31:0]) : $signed(s[31:0]);
endmodule
