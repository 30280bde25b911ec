`timescale 1ns/1ps

// Unsigned AW-bit x BW-bit product in fabric (shift-add), its low YW bits: the DSPs are the
// MAC array's and the requantizers', as in the analytic resource model.
module hlsgen_umul #(parameter AW = 8, BW = 8, YW = 16) (
    input  wire [AW-1:0] a,
    input  wire [BW-1:0] b,
    output reg  [YW-1:0] y
);
    wire [YW-1:0] bx;                            // b, zero-extended (YW >= BW)
    generate if (YW > BW) begin : widen
        assign bx = {{(YW - BW){1'b0}}, b};
    end else begin : same
        assign bx = b;
    end endgenerate
    integer i;
    always @* begin
        y = {YW{1'b0}};
        for (i = 0; i < AW; i = i + 1)
            if (a[i]) y = y + (bx << i);
    end
endmodule
