`timescale 1ns/1ps

// A non-negative float32 as m * 2^e exactly (subnormals: no hidden bit).
module hlsgen_f32_parts (
    input  wire [31:0]        bits,
    output wire [23:0]        m,
    output wire signed [11:0] e
);
    wire unused_sign = bits[31];                   // (non-negative: 0)
    wire normal = bits[30:23] != 8'd0;
    assign m = {normal, bits[22:0]};
    assign e = (normal ? $signed({4'b0000, bits[30:23]}) : 12'sd1) - 12'sd150;
endmodule
