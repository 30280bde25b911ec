`timescale 1ns/1ps

// v rounded to 24 significant bits, ties to even: v ~= m * 2^e (m <= 2^24); W: the width of v.
module hlsgen_round24 #(parameter W = 64) (
    input  wire [W-1:0] v,
    output wire [24:0]  m,
    output wire [6:0]   e
);
    reg [6:0] n;
    integer b;
    always @* begin
        n = 7'd0;
        for (b = 0; b < W; b = b + 1)
            if (v[b]) n = b[6:0] + 7'd1;
    end
    assign e = (n > 7'd24) ? n - 7'd24 : 7'd0;
    wire [W-1:0] one = 1;
    wire [W-1:0] q = v >> e;
    wire [W-1:0] rem = v & ((one << e) - one);
    wire [W-1:0] half = (e == 7'd0) ? {W{1'b0}} : (one << (e - 7'd1));
    wire unused_q = &{1'b0, q[W-1:25]};          // v < 2^n: q < 2^25
    assign m = q[24:0] + (((e != 7'd0) && ((rem > half) || ((rem == half) && q[0]))) ? 25'd1 : 25'd0);
endmodule
