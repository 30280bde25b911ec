`timescale 1ns/1ps

// Two int8 MACs per multiplier (DSP48E2 packing): x * (w_hi * 2^18 + w_lo), split exactly.
module hlsgen_mac_pair (
    input  wire signed [9:0]  x,
    input  wire signed [7:0]  w_hi,
    input  wire signed [7:0]  w_lo,
    output wire signed [17:0] p_hi,
    output wire signed [17:0] p_lo
);
    wire signed [35:0] packed_w = $signed({ {10{w_hi[7]}}, w_hi, 18'd0 }) + $signed({ {28{w_lo[7]}}, w_lo });
    wire signed [26:0] w27 = packed_w[26:0];      // fits the DSP48E2 27-bit A port
    wire signed [35:0] p = x * w27;
    assign p_lo = p[17:0];
    wire [35:0] hi_full = (p - { {18{p_lo[17]}}, p_lo }) >> 18;
    assign p_hi = hi_full[17:0];
    wire unused_hi = &{1'b0, packed_w[35:27], hi_full[35:18]};   // (sign copies)
endmodule
