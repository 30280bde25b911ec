// Simulation top: the generated engine (OUT/rtl/hlsgen_engine.v) between its two memory banks,
// and a simulation-only host that takes an invocation's whole register image at once (host_regs,
// host_go) and writes the words that changed over the engine's register bus, one per cycle, then
// pulses start. The clock is generated here (Verilator --timing). The cocotb bench
// (hlsgen_cocotb.py) drives host_*, load and dump and awaits done.
`timescale 1ns/1ps
module hlsgen_tb_top #(
    parameter PP = 1,
    parameter PI = 8,
    parameter PO = 8,
    parameter REG_ADDR_BITS = 8,
    parameter NREG = 64,
    parameter ACT_SIZE = 4096,
    parameter WGT_SIZE = 4096,
    parameter BR = 8,
    parameter LR = 1,
    parameter BW = 8,
    parameter LW = 1
) (
    input  wire                     rst,
    input  wire [32*NREG-1:0]       host_regs,
    input  wire                     host_go,
    output wire                     busy,
    output wire                     done,
    output wire [31:0]              cycles,
    input  wire                     load,
    input  wire                     dump
);
    reg clk = 1'b0;                  // the clock lives here: no per-cycle calls from the bench
    always #5 clk = ~clk;
    reg reg_we, start;
    reg [REG_ADDR_BITS-1:0] reg_addr;
    reg [31:0] reg_wdata;
    reg [31:0] shadow [0:NREG-1];
    reg [NREG-1:0] known;
    reg host_busy;
    integer hw;
    always @(posedge clk) begin
        reg_we <= 1'b0;
        start <= 1'b0;
        if (rst) begin
            host_busy <= 1'b0; known <= {NREG{1'b0}};
        end else if (host_go && !host_busy) begin
            host_busy <= 1'b1; hw = 0;
        end else if (host_busy) begin
            while (hw < NREG && known[hw] && shadow[hw] == host_regs[32*hw +: 32]) hw = hw + 1;
            if (hw == NREG) begin
                host_busy <= 1'b0; start <= 1'b1;
            end else begin
                reg_we <= 1'b1; reg_addr <= hw; reg_wdata <= host_regs[32*hw +: 32];
                shadow[hw] <= host_regs[32*hw +: 32]; known[hw] <= 1'b1;
                hw = hw + 1;
            end
        end
    end

    wire ar_req, ar_valid, wr_req, wr_valid, aw_en;
    wire [31:0] ar_addr0, ar_len0, ar_addr1, ar_len1, ar_row, ar_rrow, ar_ck, ar_pitch, ar_chunks, ar_glen, wr_addr, wr_len;
    wire [32*PP-1:0] aw_addr;
    wire signed [31:0] ar_c;
    wire [15:0] ar_s, ar_rate;
    wire [8*BR-1:0] ar_data;
    wire [8*BW-1:0] wr_data;
    wire [8*PO*PP-1:0] aw_data;
    wire [PP*PO/PI-1:0] aw_wen;

    hlsgen_engine engine (
        .clk(clk), .ce(1'b1), .rst(rst), .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(reg_wdata),
        .start(start), .busy(busy), .done(done), .cycles(cycles),
        .ar_req(ar_req), .ar_addr0(ar_addr0), .ar_len0(ar_len0), .ar_addr1(ar_addr1), .ar_len1(ar_len1),
        .ar_row(ar_row), .ar_rrow(ar_rrow), .ar_ck(ar_ck), .ar_pitch(ar_pitch), .ar_chunks(ar_chunks), .ar_glen(ar_glen),
        .ar_c(ar_c), .ar_s(ar_s), .ar_rate(ar_rate), .ar_valid(ar_valid), .ar_data(ar_data),
        .wr_req(wr_req), .wr_addr(wr_addr), .wr_len(wr_len), .wr_valid(wr_valid), .wr_data(wr_data),
        .aw_en(aw_en), .aw_addr(aw_addr), .aw_data(aw_data), .aw_wen(aw_wen));

    hlsgen_mem #(.SIZE(ACT_SIZE), .RB(BR), .LAT(LR), .WB(PI), .WW(PO/PI), .WL(PP),
                 .FILE_IN("act_in.hex"), .FILE_OUT("act_out.hex")) act (
        .clk(clk), .load(load), .dump(dump),
        .rd_req(ar_req), .rd_addr0(ar_addr0), .rd_len0(ar_len0), .rd_addr1(ar_addr1), .rd_len1(ar_len1),
        .rd_row(ar_row), .rd_rrow(ar_rrow), .rd_ck(ar_ck), .rd_pitch(ar_pitch), .rd_chunks(ar_chunks), .rd_glen(ar_glen),
        .rd_c(ar_c), .rd_s(ar_s), .rd_rate(ar_rate), .rd_valid(ar_valid), .rd_data(ar_data),
        .wr_en(aw_en), .wr_addr(aw_addr), .wr_data(aw_data), .wr_wen(aw_wen));

    hlsgen_mem #(.SIZE(WGT_SIZE), .RB(BW), .LAT(LW), .WB(PI), .WW(1),
                 .FILE_IN("wgt_in.hex"), .FILE_OUT("wgt_out.hex")) wgt (
        .clk(clk), .load(load), .dump(1'b0),
        .rd_req(wr_req), .rd_addr0(wr_addr), .rd_len0(wr_len), .rd_addr1(32'd0), .rd_len1(32'd0),
        .rd_row(wr_len), .rd_rrow(32'd0), .rd_ck(32'd0), .rd_pitch(32'd0), .rd_chunks(32'd0), .rd_glen(32'd0),
        .rd_c(32'sd0), .rd_s(16'd0), .rd_rate(BW),
        .rd_valid(wr_valid), .rd_data(wr_data),
        .wr_en(1'b0), .wr_addr(32'd0), .wr_data({(8*PI){1'b0}}), .wr_wen(1'b0));
endmodule
