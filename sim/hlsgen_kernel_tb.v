// Simulation top of the RTL kernel (OUT/rtl/hlsgen_rtl.v): the kernel between two AXI4 memories
// (hlsgen_axi_mem.v: activations on m_axi_act_rd and m_axi_act_wr, weights and the command list on
// m_axi_wgt), and a host that drives its AXI4-Lite control block as XRT would: per run it writes the
// command list's offset and length (host_cmd, host_n: 0x28, 0x2C), sets ap_start, waits for the
// interrupt (ap_done enabled in GIE/IER), reads the run's cycles (0x38), status (0x3C) and run cycles
// (0x40), clears the interrupt (ISR, toggle on write) and ap_done (a read of 0x00), then pulses
// `done`. The cocotb bench (hlsgen_cocotb.py) plays a plan on it. Buffers sit at address 0 of each
// memory, both activation banks in one (bank_step 0).
`timescale 1ns/1ps
module hlsgen_kernel_tb #(
    parameter ACT_SIZE = 4096,
    parameter WGT_SIZE = 4096,
    parameter BR = 8,
    parameter BW = 8,
    parameter BO = 8,
    parameter ML = 8
) (
    input  wire                     rst,
    input  wire [31:0]              host_cmd,
    input  wire [31:0]              host_n,
    input  wire                     host_go,
    output wire                     busy,
    output reg                      done,
    output reg  [31:0]              cycles,
    output reg  [31:0]              status,
    output reg  [31:0]              run_cycles,
    input  wire                     load,
    input  wire                     dump
);
    reg clk = 1'b0;
    always #5 clk = ~clk;
    localparam A_CTRL = 12'h000, A_GIE = 12'h004, A_IER = 12'h008, A_ISR = 12'h00C, A_CMD = 12'h028, A_N = 12'h02C,
               A_STAT = 12'h038;

    // ---- AXI4-Lite host ----
    reg [11:0] awaddr, araddr;
    reg awvalid, wvalid, arvalid;
    reg [31:0] wdata;
    wire awready, wready, bvalid, arready, rvalid, interrupt;
    wire [1:0] bresp, rresp;
    wire [31:0] rdata;
    localparam H_INIT = 0, H_IER = 1, H_IDLE = 2, H_CMD = 3, H_START = 4, H_RUN = 5, H_CYC = 6, H_STAT = 7,
               H_ACK = 8, H_CLR = 9, H_N = 10, H_RCYC = 11;
    reg [3:0] h, h_next;
    reg w_busy, r_busy, go;
    assign busy = (h != H_IDLE) && (h != H_INIT) && (h != H_IER);
    task write(input [11:0] a, input [31:0] d, input [3:0] nxt);
        begin
            awaddr <= a; wdata <= d; awvalid <= 1'b1; wvalid <= 1'b1; w_busy <= 1'b1;
            h_next <= nxt;
        end
    endtask
    task read(input [11:0] a, input [3:0] nxt);
        begin
            araddr <= a; arvalid <= 1'b1; r_busy <= 1'b1; h_next <= nxt;
        end
    endtask
    always @(posedge clk) begin
        done <= 1'b0;
        if (host_go) go <= 1'b1;
        if (rst) begin
            go <= 1'b0;
            h <= H_INIT; awvalid <= 1'b0; wvalid <= 1'b0; arvalid <= 1'b0;
            w_busy <= 1'b0; r_busy <= 1'b0;
        end else if (w_busy) begin
            if (awvalid && awready) awvalid <= 1'b0;
            if (wvalid && wready) wvalid <= 1'b0;
            if (bvalid) begin w_busy <= 1'b0; h <= h_next; end
        end else if (r_busy) begin
            if (arvalid && arready) arvalid <= 1'b0;
            if (rvalid) begin
                r_busy <= 1'b0; h <= h_next;
                if (h == H_CYC) cycles <= rdata;
                if (h == H_STAT) status <= rdata;
                if (h == H_RCYC) run_cycles <= rdata;
                if (h == H_CLR) done <= 1'b1;
            end
        end else begin
            case (h)
            H_INIT: write(A_GIE, 32'd1, H_IER);
            H_IER: write(A_IER, 32'd1, H_IDLE);
            H_IDLE: if (go) begin h <= H_CMD; go <= 1'b0; end
            H_CMD: write(A_CMD, host_cmd, H_N);
            H_N: write(A_N, host_n, H_START);
            H_START: write(A_CTRL, 32'd1, H_RUN);
            H_RUN: if (interrupt) h <= H_CYC;
            H_CYC: read(A_STAT, H_STAT);
            H_STAT: read(A_STAT + 4, H_RCYC);
            H_RCYC: read(A_STAT + 8, H_ACK);
            H_ACK: write(A_ISR, 32'd1, H_CLR);
            H_CLR: read(A_CTRL, H_IDLE);
            default: ;
            endcase
        end
    end

    // ---- the kernel and its memories ----
    wire [63:0] rd_araddr, wr_awaddr, wg_araddr, nc_addr0, nc_addr1, nc_addr2;
    wire [7:0] rd_arlen, wr_awlen, wg_arlen, nc_len0, nc_len1, nc_len2;
    wire rd_arvalid, rd_arready, rd_rvalid, rd_rlast, wr_awvalid, wr_awready, wr_wvalid, wr_wready, wr_wlast,
         wr_bvalid, wg_arvalid, wg_arready, wg_rvalid, wg_rlast;
    wire [8*BR-1:0] rd_rdata;
    wire [8*BW-1:0] wg_rdata;
    wire [8*BO-1:0] wr_wdata;
    wire [BO-1:0] wr_wstrb;
    wire [1:0] rd_rresp, wg_rresp, wr_bresp, nc_resp0, nc_resp1;
    wire rd_rready, wg_rready, wr_bready;

    hlsgen_rtl kernel (
        .ap_clk(clk), .ap_rst_n(!rst), .interrupt(interrupt),
        .s_axi_control_awaddr(awaddr), .s_axi_control_awvalid(awvalid), .s_axi_control_awready(awready),
        .s_axi_control_wdata(wdata), .s_axi_control_wstrb(4'hF), .s_axi_control_wvalid(wvalid),
        .s_axi_control_wready(wready), .s_axi_control_bresp(bresp), .s_axi_control_bvalid(bvalid),
        .s_axi_control_bready(1'b1), .s_axi_control_araddr(araddr), .s_axi_control_arvalid(arvalid),
        .s_axi_control_arready(arready), .s_axi_control_rdata(rdata), .s_axi_control_rresp(rresp),
        .s_axi_control_rvalid(rvalid), .s_axi_control_rready(1'b1),
        .m_axi_act_rd_rid(1'b0), .m_axi_act_rd_bid(1'b0), .m_axi_act_rd_awid(), .m_axi_act_rd_arid(),
        .m_axi_act_rd_araddr(rd_araddr), .m_axi_act_rd_arlen(rd_arlen), .m_axi_act_rd_arvalid(rd_arvalid),
        .m_axi_act_rd_arready(rd_arready), .m_axi_act_rd_rdata(rd_rdata), .m_axi_act_rd_rresp(rd_rresp),
        .m_axi_act_rd_rlast(rd_rlast), .m_axi_act_rd_rvalid(rd_rvalid), .m_axi_act_rd_rready(rd_rready),
        .m_axi_act_rd_awready(1'b0), .m_axi_act_rd_wready(1'b0), .m_axi_act_rd_bresp(2'b00), .m_axi_act_rd_bvalid(1'b0),
        .m_axi_act_wr_rid(1'b0), .m_axi_act_wr_bid(1'b0), .m_axi_act_wr_awid(), .m_axi_act_wr_arid(),
        .m_axi_act_wr_awaddr(wr_awaddr), .m_axi_act_wr_awlen(wr_awlen), .m_axi_act_wr_awvalid(wr_awvalid),
        .m_axi_act_wr_awready(wr_awready), .m_axi_act_wr_wdata(wr_wdata), .m_axi_act_wr_wstrb(wr_wstrb),
        .m_axi_act_wr_wlast(wr_wlast), .m_axi_act_wr_wvalid(wr_wvalid), .m_axi_act_wr_wready(wr_wready),
        .m_axi_act_wr_bresp(wr_bresp), .m_axi_act_wr_bvalid(wr_bvalid), .m_axi_act_wr_bready(wr_bready),
        .m_axi_act_wr_arready(1'b0), .m_axi_act_wr_rdata({(8*BO){1'b0}}), .m_axi_act_wr_rresp(2'b00),
        .m_axi_act_wr_rlast(1'b0), .m_axi_act_wr_rvalid(1'b0),
        .m_axi_wgt_rid(1'b0), .m_axi_wgt_bid(1'b0), .m_axi_wgt_awid(), .m_axi_wgt_arid(),
        .m_axi_wgt_araddr(wg_araddr), .m_axi_wgt_arlen(wg_arlen), .m_axi_wgt_arvalid(wg_arvalid),
        .m_axi_wgt_arready(wg_arready), .m_axi_wgt_rdata(wg_rdata), .m_axi_wgt_rresp(wg_rresp),
        .m_axi_wgt_rlast(wg_rlast), .m_axi_wgt_rvalid(wg_rvalid), .m_axi_wgt_rready(wg_rready),
        .m_axi_wgt_awready(1'b0), .m_axi_wgt_wready(1'b0), .m_axi_wgt_bresp(2'b00), .m_axi_wgt_bvalid(1'b0));

    hlsgen_axi_mem #(.SIZE(ACT_SIZE), .RDW(BR), .WDW(BO), .LAT(ML), .FILE_IN("act_in.hex"), .FILE_OUT("act_out.hex")) act (
        .clk(clk), .load(load), .dump(dump),
        .araddr(rd_araddr), .arlen(rd_arlen), .arvalid(rd_arvalid), .arready(rd_arready), .rdata(rd_rdata),
        .rresp(rd_rresp), .rlast(rd_rlast), .rvalid(rd_rvalid), .rready(rd_rready),
        .awaddr(wr_awaddr), .awlen(wr_awlen), .awvalid(wr_awvalid), .awready(wr_awready), .wdata(wr_wdata),
        .wstrb(wr_wstrb), .wlast(wr_wlast), .wvalid(wr_wvalid), .wready(wr_wready), .bresp(wr_bresp),
        .bvalid(wr_bvalid), .bready(wr_bready));
    hlsgen_axi_mem #(.SIZE(WGT_SIZE), .RDW(BW), .WDW(BW), .LAT(ML), .FILE_IN("wgt_in.hex"), .FILE_OUT("wgt_out.hex")) wgt (
        .clk(clk), .load(load), .dump(1'b0),
        .araddr(wg_araddr), .arlen(wg_arlen), .arvalid(wg_arvalid), .arready(wg_arready), .rdata(wg_rdata),
        .rresp(wg_rresp), .rlast(wg_rlast), .rvalid(wg_rvalid), .rready(wg_rready),
        .awaddr(64'd0), .awlen(8'd0), .awvalid(1'b0), .awready(), .wdata({(8*BW){1'b0}}), .wstrb({BW{1'b0}}),
        .wlast(1'b0), .wvalid(1'b0), .wready(), .bresp(), .bvalid(), .bready(1'b1));
endmodule
