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
    output wire                  in0,             // lane 0 inside the map
    output wire [PP-1:0]         in_l,            // each pixel lane's tap inside the map
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
    wire unused_stage = &{1'b0, astage};          // (its last beat is never staged)
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

    // ---------------- the read ports: PP lanes' words and the second operand's (stage 1), residual words ----
    localparam NRD = PP + 1 + (RES ? PP * NWO : 0);
    wire [32*NRD-1:0] rd_idx;
    wire [8*PI*NRD-1:0] rd_word;
    assign rd_idx[32*(PP+1)-1:0] = {b_idx, x_idx};
    genvar gp, gi;
    generate for (gi = 0; gi < NRD; gi = gi + 1) begin : rd
        wire [31:0] ln = rd_idx[32 * gi +: 32] / WPL;
        wire [31:0] wd = rd_idx[32 * gi +: 32] % WPL;
        wire unused_rd = &{1'b0, ln[31:AB], wd[31:SB]};      // (in range where used)
        assign rd_word[8 * PI * gi +: 8 * PI] = abuf[ln[AB-1:0]][8 * PI * wd[SB-1:0] +: 8 * PI];
    end endgenerate

    // ---------------- stage 1: one word per pixel lane, the second operand ----------------
    reg [8*PI*PP-1:0] s1_x;
    reg [8*PI-1:0] s1_b;
    reg [PP-1:0] s1_in;
    always @(posedge clk) if (ce) begin
        s1_in <= all_in ? {PP{1'b1}} : x_in;
        s1_x <= rd_word[8*PI*PP-1:0];
        s1_b <= rd_word[8 * PI * PP +: 8 * PI];
    end
    assign in0 = s1_in[0];
    assign in_l = s1_in;
    generate for (gp = 0; gp < PP; gp = gp + 1) begin : lanes_px
        for (gi = 0; gi < PI; gi = gi + 1) begin : lanes_in
            wire [7:0] xb8 = s1_x[8 * (gp * PI + gi) +: 8];
            assign xin[10 * (gp * PI + gi) +: 10] = !s1_in[gp] ? zx : x_signed ? { {2{xb8[7]}}, xb8 } : {2'b00, xb8};
        end
    end endgenerate
    generate for (gi = 0; gi < PI; gi = gi + 1) begin : lanes_b
        wire [7:0] bb8 = s1_b[8 * gi +: 8];
        assign bin[10 * gi +: 10] = b_signed ? { {2{bb8[7]}}, bb8 } : {2'b00, bb8};
    end endgenerate

    // ---------------- stage 8: residual words of each lane's pixel, for stage 9 ----------------
    generate if (RES) begin : residual
        reg [8*PI*PP*NWO-1:0] res;
        for (gp = 0; gp < PP; gp = gp + 1) begin : lanes
            for (gi = 0; gi < NWO; gi = gi + 1) begin : words
                assign rd_idx[32 * (PP + 1 + gp * NWO + gi) +: 32] = r_idx[32 * gp +: 32] + gi;
            end
        end
        always @(posedge clk) if (ce) res <= rd_word[8 * PI * (PP + 1) +: 8 * PI * PP * NWO];
        assign res_w = res;
    end else begin : no_residual
        wire unused_r = &{1'b0, r_idx};
        assign res_w = {8*PI*PP*NWO{1'b0}};
    end endgenerate
endmodule
