`timescale 1ns/1ps

// hlsgen RTL twin: the activation buffer (ENGINE.md section 5).  The act_rd stream of an invocation
// lands in LINES lines of AL bytes (a_rcv: bytes received); a beat is BR or BRS bytes (ar_rate), and a
// beat narrower than a line is assembled first.  Stage 1 reads one PI-byte word per pixel lane (its
// lanes extended by their dtype, taps outside the map read zx) and the second operand's word;
// with RES (a fused add) stage 8 reads NWO residual words per pixel lane for stage 9.
module hlsgen_act_buf #(parameter PP = 2, PI = 4, NWO = 1, AL = 32, BR = 64, BRS = 64, LINES = 2, RES = 0) (
    input  wire                  clk,
    input  wire                  ce,
    input  wire                  begin_inv,
    input  wire                  ar_valid,
    input  wire [8*BR-1:0]       ar_data,
    input  wire [15:0]           ar_rate,
    output reg  [31:0]           a_rcv,
    // stage 0 -> 1: the taps' words
    input  wire [32*PP-1:0]      x_idx,
    input  wire [PP-1:0]         x_in,            // inside the map (else zx)
    input  wire                  all_in,          // every lane reads (add)
    input  wire                  x_signed, b_signed,
    input  wire signed [9:0]     zx,
    input  wire [31:0]           b_idx,
    output wire [10*PP*PI-1:0]   xin,             // lane p*PI + i at bits 10 (p*PI + i)
    output wire [10*PI-1:0]      bin,
    output reg  [PP-1:0]         s1_in,
    // stage 8 -> 9: residual words
    input  wire [32*PP-1:0]      r_idx,           // pixel lane p's first residual word
    output wire [8*PI*PP*NWO-1:0] res_w
);
    localparam WPL = AL / PI;                     // words per line
    localparam AB = (LINES > 1) ? $clog2(LINES) : 1;
    localparam SB = (WPL > 1) ? $clog2(WPL) : 1;
    reg [8*AL-1:0] abuf [0:LINES-1];

    // ---------------- the stream ----------------
    localparam BN = (BR < AL) ? BR : 1;           // a narrow beat's bytes (BR, BRS: beats narrower than a line)
    localparam SN = (BRS < AL) ? BRS : 1;
    reg [8*AL-1:0] astage;                        // a line assembled from narrow beats
    wire [31:0] wline = a_rcv / AL;
    wire [31:0] wbyte = a_rcv % AL;
    integer ai;
    always @(posedge clk) if (ce) begin
        if (begin_inv) a_rcv <= 32'd0;
        else if (ar_valid) begin
            if (ar_rate == BR[15:0]) begin
                if (BR >= AL) begin
                    for (ai = 0; ai < BR / AL; ai = ai + 1)
                        if (wline + ai < LINES) abuf[wline[AB-1:0] + ai[AB-1:0]] <= ar_data[8 * AL * ai +: 8 * AL];
                end else if (wbyte == AL - BN) begin
                    if (wline < LINES) abuf[wline[AB-1:0]] <= {ar_data[8*BN-1:0], astage[8*(AL-BN)-1:0]};
                end
                else astage[8 * wbyte +: 8 * BN] <= ar_data[8*BN-1:0];
            end else if (ar_rate == BRS[15:0]) begin
                if (BRS >= AL) begin
                    for (ai = 0; ai < BRS / AL; ai = ai + 1)
                        if (wline + ai < LINES) abuf[wline[AB-1:0] + ai[AB-1:0]] <= ar_data[8 * AL * ai +: 8 * AL];
                end else if (wbyte == AL - SN) begin
                    if (wline < LINES) abuf[wline[AB-1:0]] <= {ar_data[8*SN-1:0], astage[8*(AL-SN)-1:0]};
                end
                else astage[8 * wbyte +: 8 * SN] <= ar_data[8*SN-1:0];
            end
            a_rcv <= a_rcv + {16'd0, ar_rate};
        end
    end

    // ---------------- stage 1: one word per pixel lane, the second operand ----------------
    reg [8*PI-1:0] s1_x [0:PP-1];
    reg [8*PI-1:0] s1_b;
    function [8*PI-1:0] word;                     // word IDX of the buffer
        input [31:0] idx;
        reg [31:0] ln, wd;
        begin
            ln = idx / WPL;
            wd = idx % WPL;
            word = abuf[ln[AB-1:0]][8 * PI * wd[SB-1:0] +: 8 * PI];
        end
    endfunction
    integer li;
    always @(posedge clk) if (ce) begin
        s1_in <= all_in ? {PP{1'b1}} : x_in;
        for (li = 0; li < PP; li = li + 1) s1_x[li] <= word(x_idx[32 * li +: 32]);
        s1_b <= word(b_idx);
    end
    genvar gp, gi;
    generate for (gp = 0; gp < PP; gp = gp + 1) begin : lanes_px
        for (gi = 0; gi < PI; gi = gi + 1) begin : lanes_in
            wire [7:0] xb8 = s1_x[gp][8 * gi +: 8];
            assign xin[10 * (gp * PI + gi) +: 10] = !s1_in[gp] ? zx : x_signed ? { {2{xb8[7]}}, xb8 } : {2'b00, xb8};
        end
    end endgenerate
    generate for (gi = 0; gi < PI; gi = gi + 1) begin : lanes_b
        wire [7:0] bb8 = s1_b[8 * gi +: 8];
        assign bin[10 * gi +: 10] = b_signed ? { {2{bb8[7]}}, bb8 } : {2'b00, bb8};
    end endgenerate

    // ---------------- stage 8: residual words of each lane's pixel, for stage 9 ----------------
    generate if (RES) begin : residual
        reg [8*PI-1:0] res [0:PP*NWO-1];
        integer rp, ri;
        always @(posedge clk) if (ce)
            for (rp = 0; rp < PP; rp = rp + 1)
                for (ri = 0; ri < NWO; ri = ri + 1)
                    res[rp * NWO + ri] <= word(r_idx[32 * rp +: 32] + ri);
        for (gi = 0; gi < PP * NWO; gi = gi + 1) begin : words
            assign res_w[8 * PI * gi +: 8 * PI] = res[gi];
        end
    end else begin : no_residual
        wire unused_r = &{1'b0, r_idx};
        assign res_w = {8*PI*PP*NWO{1'b0}};
    end endgenerate
endmodule
