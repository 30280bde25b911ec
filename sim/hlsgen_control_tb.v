// Simulation top of the control block's protocol test (hlsgen_control_cocotb.py): the block and a
// stub engine, busy RUN cycles after each start, then a one-cycle done; it counts and sums the
// register words it receives and counts its starts.
`timescale 1ns/1ps
module hlsgen_control_tb #(parameter NREG = 8, parameter REG_ADDR_BITS = 3, parameter RUN = 20) (
    input  wire        ap_clk,
    input  wire        ap_rst_n,
    input  wire [11:0] s_axi_control_awaddr,
    input  wire        s_axi_control_awvalid,
    output wire        s_axi_control_awready,
    input  wire [31:0] s_axi_control_wdata,
    input  wire [3:0]  s_axi_control_wstrb,
    input  wire        s_axi_control_wvalid,
    output wire        s_axi_control_wready,
    output wire [1:0]  s_axi_control_bresp,
    output wire        s_axi_control_bvalid,
    input  wire        s_axi_control_bready,
    input  wire [11:0] s_axi_control_araddr,
    input  wire        s_axi_control_arvalid,
    output wire        s_axi_control_arready,
    output wire [31:0] s_axi_control_rdata,
    output wire [1:0]  s_axi_control_rresp,
    output wire        s_axi_control_rvalid,
    input  wire        s_axi_control_rready,
    output wire        interrupt,
    output wire [63:0] act_rd_addr,
    output wire [63:0] wgt_addr,
    output reg  [31:0] reg_count,
    output reg  [31:0] reg_sum,
    output reg  [31:0] starts
);
    wire reg_we, start;
    wire [REG_ADDR_BITS-1:0] reg_addr;
    wire [31:0] reg_wdata;
    wire [63:0] act_wr_addr;
    reg busy, done;
    reg [31:0] left;
    hlsgen_control #(.NREG(NREG), .REG_ADDR_BITS(REG_ADDR_BITS)) ctrl (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axi_control_awaddr(s_axi_control_awaddr), .s_axi_control_awvalid(s_axi_control_awvalid),
        .s_axi_control_awready(s_axi_control_awready), .s_axi_control_wdata(s_axi_control_wdata),
        .s_axi_control_wstrb(s_axi_control_wstrb), .s_axi_control_wvalid(s_axi_control_wvalid),
        .s_axi_control_wready(s_axi_control_wready), .s_axi_control_bresp(s_axi_control_bresp),
        .s_axi_control_bvalid(s_axi_control_bvalid), .s_axi_control_bready(s_axi_control_bready),
        .s_axi_control_araddr(s_axi_control_araddr), .s_axi_control_arvalid(s_axi_control_arvalid),
        .s_axi_control_arready(s_axi_control_arready), .s_axi_control_rdata(s_axi_control_rdata),
        .s_axi_control_rresp(s_axi_control_rresp), .s_axi_control_rvalid(s_axi_control_rvalid),
        .s_axi_control_rready(s_axi_control_rready), .interrupt(interrupt),
        .reg_we(reg_we), .reg_addr(reg_addr), .reg_wdata(reg_wdata), .start(start), .busy(busy), .done(done),
        .act_rd_addr(act_rd_addr), .act_wr_addr(act_wr_addr), .wgt_addr(wgt_addr));
    always @(posedge ap_clk) begin
        done <= 1'b0;
        if (!ap_rst_n) begin
            busy <= 1'b0; reg_count <= 0; reg_sum <= 0; starts <= 0;
        end else begin
            if (reg_we) begin
                reg_count <= reg_count + 1; reg_sum <= reg_sum + reg_wdata;
            end
            if (start) begin
                busy <= 1'b1; left <= RUN; starts <= starts + 1;
            end else if (busy) begin
                if (left == 1) begin
                    busy <= 1'b0; done <= 1'b1;
                end
                left <= left - 1;
            end
        end
    end
endmodule
