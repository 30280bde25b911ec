`timescale 1ns/1ps
// cost (yosys synth_xilinx -family xcup, this unit alone): lut=3727 dsp=0 path=216

// One average-pool tap, float32 emulated (hlsgen.golden.requant.avgpool_int steps 1-2):
// s' = round24(s + round24(|x - zx| * Msx)), on the grid 2^esx.
module hlsgen_avg_tap (
    input  wire signed [63:0] s,
    input  wire signed [10:0] t,
    input  wire        [23:0] msx,
    output wire signed [63:0] s_next
);
    wire [10:0] ta = t[10] ? -t : t;
    wire signed [63:0] p;
    hlsgen_mul_fabric #(.AW(11)) mul (.a(ta), .m({40'd0, msx}), .y(p));
    wire [24:0] md, ms; wire [6:0] ed, es;
    hlsgen_round24 round_d (.v(p), .m(md), .e(ed));
    wire signed [63:0] dmag = $signed({39'd0, md}) <<< ed;
    wire signed [63:0] sum = s + (t[10] ? -dmag : dmag);
    hlsgen_round24 round_s (.v(sum[63] ? -sum : sum), .m(ms), .e(es));
    wire signed [63:0] smag = $signed({39'd0, ms}) <<< es;
    assign s_next = sum[63] ? -smag : smag;
endmodule
