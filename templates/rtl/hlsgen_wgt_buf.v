`timescale 1ns/1ps

// hlsgen RTL twin: the weight buffer (ENGINE.md sections 3, 5).  The wgt stream brings one block per
// group (its taps' weight lines, then at the next 64-byte boundary the PO constants: bias' and the
// requant scale's bits, 8 bytes each); blocks alternate between two banks (group g: bank g % 2) of
// WLINES lines of WL bytes and CL constant lines of BW bytes.  Stage 1 reads the tap's weight line
// (PO x PI bytes); the constants of a bank are read where the accumulators and requantizers need them.
module hlsgen_wgt_buf #(parameter PO = 4, PI = 4, BW = 64, WL = 64, WLINES = 2, CL = 1) (
    input  wire                 clk,
    input  wire                 ce,
    input  wire                 rst,
    input  wire                 begin_inv,
    input  wire                 is_conv,
    input  wire [31:0]          kkc,              // taps per pixel: kkc weight lines in a block
    input  wire [31:0]          group_bytes,      // a block's bytes
    input  wire                 w_next,           // the next block's request
    input  wire                 wr_valid,
    input  wire [8*BW-1:0]      wr_data,
    output reg  [15:0]          w_done_n,         // blocks fully loaded
    output reg  [15:0]          w_req_n,          // blocks requested
    output reg  [15:0]          w_load_g,         // group being loaded
    output reg  [31:0]          w_off,            // bytes received of it
    output wire                 w_we,             // a beat of it is stored (for the table memories)
    output wire [31:0]          c_off,            // where its constants start
    // stage 0 -> 1: the tap's weight line
    input  wire                 bank,
    input  wire [31:0]          c_t,
    output reg  [8*PO*PI-1:0]   w_line,
    // the constants of lane j: bias' of bank bank_b, scale bits of bank bank_s
    input  wire                 bank_b, bank_s,
    output wire [32*PO-1:0]     bias, scale
);
    localparam WLB = PO * PI;                     // bytes per weight line (one tap word, PO outputs)
    localparam LPL = WL / WLB;                    // weight lines per buffer line
    localparam WB = $clog2(2 * WLINES);
    localparam CB = (CL > 1) ? $clog2(2 * CL) : 1;
    localparam LB = (LPL > 1) ? $clog2(LPL) : 1;
    localparam SB = (WL > BW) ? BW : WL / 2;      // a narrow beat (BW < WL) is assembled into a line
    reg [8*WL-1:0] wbuf [0:2*WLINES-1];
    reg [8*BW-1:0] cbuf [0:2*CL-1];               // per bank: PO x (bias', scale bits), little-endian
    reg [8*WL-1:0] wstage;                        // (BW < WL: its last beat is never staged)
    wire [31:0] w_bytes = kkc * WLB;              // weight bytes of a block
    assign c_off = (w_bytes + 32'd63) & ~32'd63;   // constants: next 64-byte boundary (BW | 64)
    assign w_we = !rst && !begin_inv && wr_valid;
    wire [31:0] wl_i = {31'd0, w_load_g[0]} * WLINES + w_off / WL;
    wire [31:0] cl_i = {31'd0, w_load_g[0]} * CL + (w_off - c_off) / BW;
    wire [31:0] wo = w_off % WL;
    always @(posedge clk) if (ce) begin
        if (rst) begin
            w_done_n <= 16'd0;
        end else if (begin_inv) begin
            w_done_n <= 16'd0; w_load_g <= 16'd0; w_off <= 32'd0; w_req_n <= 16'd1;
        end else begin
            if (w_next) begin w_load_g <= w_req_n; w_off <= 32'd0; w_req_n <= w_req_n + 16'd1; end
            if (wr_valid) begin
                if (is_conv && w_off < w_bytes && wl_i < 2 * WLINES) begin
                    if (BW >= WL) wbuf[wl_i[WB-1:0]] <= wr_data[8*WL-1:0];
                    else if (wo == WL - SB) wbuf[wl_i[WB-1:0]] <= {wr_data[8*SB-1:0], wstage[8*(WL-SB)-1:0]};
                    else wstage[8 * wo +: 8 * SB] <= wr_data[8*SB-1:0];
                end
                if (is_conv && w_off >= c_off && w_off < c_off + 8 * PO && cl_i < 2 * CL)
                    cbuf[cl_i[CB-1:0]] <= wr_data;
                w_off <= w_off + BW;
                if (w_off + BW >= group_bytes) w_done_n <= w_load_g + 16'd1;
            end
        end
    end

    // stage 1: weight line c_t of the bank (past the buffer: line 0, never used)
    wire [31:0] w_idx = (c_t < WLINES * LPL) ? c_t : 32'd0;
    wire [31:0] r_i = {31'd0, bank} * WLINES + w_idx / LPL;
    wire [31:0] r_s = w_idx % LPL;
    wire unused_r = &{1'b0, r_i[31:WB], r_s[31:LB], wstage};
    always @(posedge clk) if (ce) w_line <= wbuf[r_i[WB-1:0]][8 * WLB * r_s[LB-1:0] +: 8 * WLB];

    // the constants of each bank as one vector: bias' of lane j at bits 64j, its scale at 64j + 32
    wire [8*BW*CL-1:0] cflat0, cflat1;
    wire unused_c = &{1'b0, cflat0, cflat1};      // (the constant lines' padding)
    genvar l, j;
    generate for (l = 0; l < CL; l = l + 1) begin : consts
        assign cflat0[8 * BW * l +: 8 * BW] = cbuf[l];
        assign cflat1[8 * BW * l +: 8 * BW] = cbuf[CL + l];
    end endgenerate
    generate for (j = 0; j < PO; j = j + 1) begin : lanes
        assign bias[32 * j +: 32] = bank_b ? cflat1[64 * j +: 32] : cflat0[64 * j +: 32];
        assign scale[32 * j +: 32] = bank_s ? cflat1[64 * j + 32 +: 32] : cflat0[64 * j + 32 +: 32];
    end endgenerate
endmodule
