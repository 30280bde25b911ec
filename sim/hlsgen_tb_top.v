// Simulation top: the generated engine (OUT/rtl/hlsgen_engine.v) between its two memory banks.
// The cocotb bench (hlsgen_cocotb.py) drives the register file, start, load and dump.
`timescale 1ns/1ps
module hlsgen_tb_top #(
    parameter PI = 8,
    parameter PO = 8,
    parameter REG_ADDR_BITS = 8,
    parameter ACT_SIZE = 4096,
    parameter WGT_SIZE = 4096,
    parameter BR = 8,
    parameter LR = 1,
    parameter BW = 8,
    parameter LW = 1
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     reg_we,
    input  wire [REG_ADDR_BITS-1:0] reg_addr,
    input  wire [31:0]              reg_wdata,
    input  wire                     start,
    output wire                     busy,
    output wire                     done,
    output wire [31:0]              cycles,
    input  wire                     load,
    input  wire                     dump
);
    wire ar_req, ar_valid, wr_req, wr_valid, aw_en;
    wire [31:0] ar_addr0, ar_len0, ar_addr1, ar_len1, wr_addr, wr_len, aw_addr;
    wire [8*BR-1:0] ar_data;
    wire [8*BW-1:0] wr_data;
    wire [8*PO-1:0] aw_data;
    wire [PO/PI-1:0] aw_wen;

    hlsgen_engine engine (
        .clk(clk), .rst(rst), .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(reg_wdata),
        .start(start), .busy(busy), .done(done), .cycles(cycles),
        .ar_req(ar_req), .ar_addr0(ar_addr0), .ar_len0(ar_len0), .ar_addr1(ar_addr1), .ar_len1(ar_len1),
        .ar_valid(ar_valid), .ar_data(ar_data),
        .wr_req(wr_req), .wr_addr(wr_addr), .wr_len(wr_len), .wr_valid(wr_valid), .wr_data(wr_data),
        .aw_en(aw_en), .aw_addr(aw_addr), .aw_data(aw_data), .aw_wen(aw_wen));

    hlsgen_mem #(.SIZE(ACT_SIZE), .RB(BR), .LAT(LR), .WB(PI), .WW(PO/PI),
                 .FILE_IN("act_in.hex"), .FILE_OUT("act_out.hex")) act (
        .clk(clk), .load(load), .dump(dump),
        .rd_req(ar_req), .rd_addr0(ar_addr0), .rd_len0(ar_len0), .rd_addr1(ar_addr1), .rd_len1(ar_len1),
        .rd_valid(ar_valid), .rd_data(ar_data),
        .wr_en(aw_en), .wr_addr(aw_addr), .wr_data(aw_data), .wr_wen(aw_wen));

    hlsgen_mem #(.SIZE(WGT_SIZE), .RB(BW), .LAT(LW), .WB(PI), .WW(1),
                 .FILE_IN("wgt_in.hex"), .FILE_OUT("wgt_out.hex")) wgt (
        .clk(clk), .load(load), .dump(1'b0),
        .rd_req(wr_req), .rd_addr0(wr_addr), .rd_len0(wr_len), .rd_addr1(32'd0), .rd_len1(32'd0),
        .rd_valid(wr_valid), .rd_data(wr_data),
        .wr_en(1'b0), .wr_addr(32'd0), .wr_data({(8*PI){1'b0}}), .wr_wen(1'b0));
endmodule
