`timescale 1ns/1ps

// Signed AW-bit x 64-bit product in fabric (shift-add): the DSPs are the MAC array's
// and the requantizers', as in the analytic resource model.
module hlsgen_mul_fabric #(parameter AW = 10) (
    input  wire signed [AW-1:0] a,
    input  wire signed [63:0]   m,
    output reg  signed [63:0]   y
);
    integer i;
    always @* begin
        y = 64'sd0;
        for (i = 0; i < AW - 1; i = i + 1)
            if (a[i]) y = y + (m <<< i);
        if (a[AW - 1]) y = y - (m <<< (AW - 1));
    end
endmodule
