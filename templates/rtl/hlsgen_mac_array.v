`timescale 1ns/1ps

// hlsgen RTL twin: the conv datapath of stages 2-3 (ENGINE.md section 2).  Stage 2: the PP x PO x PI
// array of int8 products (two per DSP, hlsgen_mac_pair), summed over the PI input lanes; stage 3: the
// PP x PO accumulators, started from the bias' of the group's bank on a pixel group's first tap.
module hlsgen_mac_array #(parameter PP = 2, PO = 4, PI = 4) (
    input  wire                  clk,
    input  wire                  ce,
    input  wire                  is_conv,
    input  wire                  v,                // stage 1: a tap, its pixel group's first
    input  wire                  first,
    input  wire [10*PP*PI-1:0]   xin,              // stage 1: pixel lane p, input lane i at 10 (p*PI + i)
    input  wire [8*PO*PI-1:0]    w,                // stage 1: weight of output j, input i at 8 (j*PI + i)
    input  wire [32*PO-1:0]      bias,             // stage 2: bias' of output j
    output wire [32*PP*PO-1:0]   acc               // stage 3: lane p*PO + j
);
    wire signed [17:0] prod [0:PP*PO*PI-1];
    genvar gp, gj, gi;
    generate for (gp = 0; gp < PP; gp = gp + 1) begin : mac_px
        for (gj = 0; gj < PO; gj = gj + 2) begin : mac_rows
            for (gi = 0; gi < PI; gi = gi + 1) begin : mac_cols
                hlsgen_mac_pair mp (.x(xin[10 * (gp * PI + gi) +: 10]),
                    .w_hi(w[8 * (gj * PI + gi) +: 8]), .w_lo(w[8 * ((gj + 1) * PI + gi) +: 8]),
                    .p_hi(prod[(gp * PO + gj) * PI + gi]), .p_lo(prod[(gp * PO + gj + 1) * PI + gi]));
            end
        end
    end endgenerate
    reg signed [31:0] dot [0:PP*PO-1];
    reg signed [31:0] s2_dot [0:PP*PO-1];
    reg signed [31:0] r_acc [0:PP*PO-1];
    reg s2_v, s2_first;
    integer mj, mi;
    always @* for (mj = 0; mj < PP * PO; mj = mj + 1) begin
        dot[mj] = 32'sd0;
        for (mi = 0; mi < PI; mi = mi + 1) dot[mj] = dot[mj] + {{14{prod[mj * PI + mi][17]}}, prod[mj * PI + mi]};
    end
    integer m2, aj;
    always @(posedge clk) if (ce) begin
        s2_v <= v; s2_first <= first;
        for (m2 = 0; m2 < PP * PO; m2 = m2 + 1) s2_dot[m2] <= dot[m2];
        if (s2_v && is_conv)
            for (aj = 0; aj < PP * PO; aj = aj + 1)
                r_acc[aj] <= (s2_first ? $signed(bias[32 * (aj % PO) +: 32]) : r_acc[aj]) + s2_dot[aj];
    end
    generate for (gj = 0; gj < PP * PO; gj = gj + 1) begin : out
        assign acc[32 * gj +: 32] = r_acc[gj];
    end endgenerate
endmodule
