`timescale 1ns/1ps

// m1 / msy (m1 <= 2^24, 2^23 <= msy < 2^24) rounded to 24 significant bits (RNE) without a divider
// (requant._div_sig_recip): q = (m1 * recip) >> 24, recip = floor(2^51 / msy) (the y_recip field),
// is floor(m1 * 2^27 / msy) or one less; the remainder m1 * 2^27 - q * msy lies in [0, 2 msy), so its
// low 26 bits suffice (m1 * 2^27 adds none): one correction, then the remainder as a sticky bit.
module hlsgen_div_sig_recip (
    input  wire [24:0]        m1,
    input  wire [23:0]        msy,
    input  wire [28:0]        recip,
    output wire [24:0]        m,
    output wire signed [11:0] e
);
    wire [53:0] p;
    hlsgen_umul #(.AW(25), .BW(29), .YW(54)) mul_r (.a(m1), .b(recip), .y(p));
    wire [28:0] q = p[52:24];                      // <= 2^28
    wire unused_p = &{1'b0, p[53], p[23:0]};      // (p < 2^53; the fraction is dropped)
    wire [25:0] qm;
    hlsgen_umul #(.AW(26), .BW(24), .YW(26)) mul_q (.a(q[25:0]), .b(msy), .y(qm));
    wire [25:0] rem = 26'd0 - qm;
    wire up = rem >= {2'd0, msy};
    wire [29:0] q1 = {1'b0, q} + {29'd0, up};
    wire [25:0] rem1 = up ? rem - {2'd0, msy} : rem;
    wire [6:0] er;
    hlsgen_round24 #(.W(31)) round_q (.v({q1, rem1 != 26'd0}), .m(m), .e(er));
    assign e = $signed({5'd0, er}) - 12'sd28;
endmodule
