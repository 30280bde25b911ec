`timescale 1ns/1ps
// cost (yosys synth_xilinx -family xcup, this unit alone): lut=1904 dsp=2 path=143

// Requantization, ENGINE.md section 2 (hlsgen.golden.requant.requant_int), 6 stages:
// f32(acc) = ma * 2^ea, f32(f32(acc) * s) = mp * 2^e, then rne to an integer, + zy, clamp.
module hlsgen_requant (
    input  wire               clk,
    input  wire               ce,
    input  wire signed [31:0] acc,
    input  wire        [31:0] scale_bits,
    input  wire signed [9:0]  zy,
    input  wire signed [9:0]  lo,
    input  wire signed [9:0]  hi,
    output reg  signed [31:0] y
);
    // stage 1: |acc|; scale significand and exponent
    wire [23:0] ms; wire signed [11:0] es;
    hlsgen_f32_parts s_parts (.bits(scale_bits), .m(ms), .e(es));
    reg r1_neg; reg [31:0] r1_a; reg [23:0] r1_ms; reg signed [11:0] r1_es;
    always @(posedge clk) if (ce) begin
        r1_neg <= acc[31];
        r1_a <= acc[31] ? (~acc + 32'd1) : acc;
        r1_ms <= ms;
        r1_es <= es;
    end
    // stage 2: f32(acc)
    wire [24:0] ma; wire [6:0] ea;
    hlsgen_round24 round_acc (.v({32'd0, r1_a}), .m(ma), .e(ea));
    reg r2_neg; reg [24:0] r2_ma; reg [23:0] r2_ms; reg signed [11:0] r2_e;
    always @(posedge clk) if (ce) begin
        r2_neg <= r1_neg; r2_ma <= ma; r2_ms <= r1_ms; r2_e <= r1_es + $signed({5'd0, ea});
    end
    // stage 3: exact significand product
    reg r3_neg; reg [48:0] r3_p; reg signed [11:0] r3_e;
    always @(posedge clk) if (ce) begin
        r3_neg <= r2_neg; r3_p <= r2_ma * r2_ms; r3_e <= r2_e;
    end
    // stage 4: f32(acc * s)
    wire [24:0] mp; wire [6:0] ep;
    hlsgen_round24 round_prod (.v({15'd0, r3_p}), .m(mp), .e(ep));
    reg r4_neg; reg [24:0] r4_mp; reg signed [11:0] r4_e;
    always @(posedge clk) if (ce) begin
        r4_neg <= r3_neg; r4_mp <= mp; r4_e <= r3_e + $signed({5'd0, ep});
    end
    // stages 5-6: to an integer, + zy, clamp (zy, lo, hi are per-invocation registers)
    reg r5_neg; reg [24:0] r5_mp; reg signed [11:0] r5_e;
    always @(posedge clk) if (ce) begin
        r5_neg <= r4_neg; r5_mp <= r4_mp; r5_e <= r4_e;
    end
    wire signed [31:0] q;
    hlsgen_to_int to_int (.m(r5_mp), .x(r5_e), .neg(r5_neg), .zy(zy), .lo(lo), .hi(hi), .y(q));
    always @(posedge clk) if (ce) y <= q;
endmodule
