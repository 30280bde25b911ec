`timescale 1ns/1ps

// hlsgen RTL twin: a W-bit delay line of N >= 1 cycles (clock enable CE), the engine's pipeline
// bookkeeping: what stage 0 decided about a tap reaches the stage that uses it N cycles later.
module hlsgen_delay #(parameter W = 1, N = 1) (
    input  wire         clk,
    input  wire         ce,
    input  wire [W-1:0] d,
    output wire [W-1:0] q
);
    reg [W-1:0] r [1:N];
    integer k;
    always @(posedge clk) if (ce) begin
        r[1] <= d;
        for (k = 2; k <= N; k = k + 1) r[k] <= r[k - 1];
    end
    assign q = r[N];
endmodule
