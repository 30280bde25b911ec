`timescale 1ns/1ps

// n / d (n <= 2^24, 0 < d < 2^8) rounded to 24 significant bits (RNE), the remainder as a sticky
// bit below the quotient (requant._div_sig): a 35-bit by 8-bit restoring division, ~ m * 2^e.
module hlsgen_div_sig (
    input  wire [24:0]        n,
    input  wire [7:0]         d,
    output wire [24:0]        m,
    output wire signed [11:0] e
);
    reg [4:0] ln; reg [3:0] ld;
    integer b, c;
    always @* begin
        ln = 5'd0; ld = 4'd0;
        for (b = 0; b < 25; b = b + 1) if (n[b]) ln = b[4:0] + 5'd1;
        for (b = 0; b < 8; b = b + 1) if (d[b]) ld = b[3:0] + 4'd1;
    end
    wire [5:0] want = 6'd27 + {2'd0, ld};
    wire [5:0] shift = want - {1'b0, ln};          // >= 2 (ln <= 25): the quotient has >= 26 bits
    wire [34:0] num = {10'd0, n} << shift;         // < 2^(27 + ld) <= 2^35
    reg [34:0] q; reg [8:0] r;
    always @* begin
        r = 9'd0;
        for (c = 34; c >= 0; c = c - 1) begin
            r = {r[7:0], num[c]};
            q[c] = (r >= {1'b0, d});
            if (q[c]) r = r - {1'b0, d};
        end
    end
    wire [6:0] er;
    hlsgen_round24 #(.W(32)) round_q (.v({q[30:0], r != 9'd0}), .m(m), .e(er));
    assign e = $signed({5'd0, er}) - $signed({6'd0, shift}) - 12'sd1;
endmodule
