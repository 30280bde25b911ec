// hlsgen RTL kernel: the AXI4-Lite control block (s_axi_control) with the ap_ctrl_hs protocol and
// the register layout Vitis requires of an XRT-managed RTL kernel (UG1393, "RTL Kernels":
// "Kernel Interface Requirements"):
//   0x00 control  bit 0 ap_start (R/W; cleared by the kernel when it accepts the start),
//                 bit 1 ap_done (read-only, clear on read), bit 2 ap_idle (read-only),
//                 bit 3 ap_ready (read-only, clear on read), bit 7 auto_restart (R/W)
//   0x04 GIE      bit 0 global interrupt enable
//   0x08 IER      bit 0 ap_done, bit 1 ap_ready interrupt enables
//   0x0C ISR      bit 0 ap_done, bit 1 ap_ready status (toggle on write)
//   0x10 act_rd, 0x18 act_wr, 0x20 wgt: 64-bit buffer addresses (low word first)
//   0x28 cmd_off, 0x2C n_cmds: the run's command list (ENGINE.md section 4), 0x30 bank_step (64 bits)
//   0x38 cycles of the last run (read-only: the engine's cycles, ENGINE.md section 5)
//   0x3C status (read-only): bit 0 a write was lost (the act_wr FIFO overflowed)
//   0x40 run cycles (read-only): ap_start to ap_done of the last run
// A run starts on `start` (a one-cycle pulse) and reports `done` (a one-cycle pulse); a
// sequential kernel is ready for the next start when it is done, so ap_ready rises with ap_done.
// Verilog-2001.
`timescale 1ns/1ps
module hlsgen_control #(
    parameter ADDR_BITS = 12
) (
    input  wire                     ap_clk,
    input  wire                     ap_rst_n,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_BITS-1:0]     s_axi_control_awaddr,     // (word addresses: bits 1:0 unused)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     s_axi_control_awvalid,
    output wire                     s_axi_control_awready,
    input  wire [31:0]              s_axi_control_wdata,
    input  wire [3:0]               s_axi_control_wstrb,
    input  wire                     s_axi_control_wvalid,
    output wire                     s_axi_control_wready,
    output wire [1:0]               s_axi_control_bresp,
    output reg                      s_axi_control_bvalid,
    input  wire                     s_axi_control_bready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_BITS-1:0]     s_axi_control_araddr,     // (word addresses: bits 1:0 unused)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     s_axi_control_arvalid,
    output wire                     s_axi_control_arready,
    output reg  [31:0]              s_axi_control_rdata,
    output wire [1:0]               s_axi_control_rresp,
    output reg                      s_axi_control_rvalid,
    input  wire                     s_axi_control_rready,
    /* verilator lint_off SYMRSVDWORD */
    output wire                     interrupt,        // (the name Vitis requires)
    /* verilator lint_on SYMRSVDWORD */
    // to the kernel
    output reg                      start,
    input  wire                     busy,
    input  wire                     done,
    input  wire [31:0]              cycles,
    input  wire [31:0]              status,
    input  wire [31:0]              run_cycles,
    output wire [63:0]              act_rd_addr,
    output wire [63:0]              act_wr_addr,
    output wire [63:0]              wgt_addr,
    output wire [31:0]              cmd_off,
    output wire [31:0]              n_cmds,
    output wire [63:0]              bank_step
);
    localparam A_CTRL = 12'h000, A_GIE = 12'h004, A_IER = 12'h008, A_ISR = 12'h00C, A_ARGS = 12'h010;
    localparam NPTR = 10;                // the arguments: ten words from 0x10
    localparam A_STAT = A_ARGS + 4 * NPTR;    // 0x38: cycles, status, run cycles
    localparam [ADDR_BITS-1:0] A_ARGS_B = A_ARGS;
    localparam [ADDR_BITS-3:0] W_ARGS = A_ARGS_B[ADDR_BITS-1:2];   // in words

    reg ap_start, ap_done, ap_ready, auto_restart, started, gie;
    reg [1:0] ier, isr;
    reg [31:0] ptr [0:NPTR-1];
    assign act_rd_addr = {ptr[1], ptr[0]};
    assign act_wr_addr = {ptr[3], ptr[2]};
    assign wgt_addr = {ptr[5], ptr[4]};
    assign cmd_off = ptr[6];
    assign n_cmds = ptr[7];
    assign bank_step = {ptr[9], ptr[8]};
    wire ap_idle = !started && !busy;
    assign interrupt = gie && (isr != 2'b00);

    // ---- write channel: address and data accepted independently, then one response ----
    reg aw_have, w_have;
    reg [ADDR_BITS-1:0] aw_addr;
    reg [31:0] w_data;
    reg [3:0] w_strb;
    assign s_axi_control_awready = !aw_have && !s_axi_control_bvalid;
    assign s_axi_control_wready = !w_have && !s_axi_control_bvalid;
    assign s_axi_control_bresp = 2'b00;
    wire do_write = aw_have && w_have && !s_axi_control_bvalid;
    wire [31:0] strb_mask = {{8{w_strb[3]}}, {8{w_strb[2]}}, {8{w_strb[1]}}, {8{w_strb[0]}}};
    wire [ADDR_BITS-3:0] w_word = aw_addr[ADDR_BITS-1:2];

    // ---- read channel ----
    assign s_axi_control_arready = !s_axi_control_rvalid;
    assign s_axi_control_rresp = 2'b00;
    wire do_read = s_axi_control_arvalid && s_axi_control_arready;
    wire [ADDR_BITS-1:0] r_addr = {s_axi_control_araddr[ADDR_BITS-1:2], 2'b00};
    wire [ADDR_BITS-3:0] r_word = s_axi_control_araddr[ADDR_BITS-1:2];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ADDR_BITS-3:0] r_prel = r_word - W_ARGS;   // (in range where used)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0] r_ptr = r_prel[3:0];
    reg [31:0] r_value;
    always @* begin
        r_value = 32'd0;
        if (r_addr == A_CTRL) r_value = {24'd0, auto_restart, 3'd0, ap_ready, ap_idle, ap_done, ap_start};
        else if (r_addr == A_GIE) r_value = {31'd0, gie};
        else if (r_addr == A_IER) r_value = {30'd0, ier};
        else if (r_addr == A_ISR) r_value = {30'd0, isr};
        else if (r_addr >= A_ARGS && r_addr < A_STAT) r_value = ptr[r_ptr];
        else if (r_addr == A_STAT) r_value = cycles;
        else if (r_addr == A_STAT + 4) r_value = status;
        else if (r_addr == A_STAT + 8) r_value = run_cycles;
    end

    integer i;
    wire [1:0] isr_toggle = (do_write && aw_addr == A_ISR && w_strb[0]) ? w_data[1:0] : 2'b00;  // toggle on write
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ADDR_BITS-3:0] w_prel = w_word - W_ARGS;   // (in range where used)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [3:0] w_ptr = w_prel[3:0];                                 // argument word written
    always @(posedge ap_clk) begin
        start <= 1'b0;
        if (!ap_rst_n) begin
            ap_start <= 1'b0; ap_done <= 1'b0; ap_ready <= 1'b0; auto_restart <= 1'b0; started <= 1'b0;
            gie <= 1'b0; ier <= 2'b00; isr <= 2'b00;
            aw_have <= 1'b0; w_have <= 1'b0; s_axi_control_bvalid <= 1'b0; s_axi_control_rvalid <= 1'b0;
            for (i = 0; i < NPTR; i = i + 1) ptr[i] <= 32'd0;
        end else begin
            // AXI4-Lite write
            if (s_axi_control_awvalid && s_axi_control_awready) begin
                aw_have <= 1'b1; aw_addr <= {s_axi_control_awaddr[ADDR_BITS-1:2], 2'b00};
            end
            if (s_axi_control_wvalid && s_axi_control_wready) begin
                w_have <= 1'b1; w_data <= s_axi_control_wdata; w_strb <= s_axi_control_wstrb;
            end
            if (s_axi_control_bvalid && s_axi_control_bready) s_axi_control_bvalid <= 1'b0;
            if (do_write) begin
                aw_have <= 1'b0; w_have <= 1'b0; s_axi_control_bvalid <= 1'b1;
                if (aw_addr == A_CTRL) begin
                    if (w_strb[0]) begin
                        if (w_data[0]) ap_start <= 1'b1;
                        auto_restart <= w_data[7];
                    end
                end else if (aw_addr == A_GIE) begin
                    if (w_strb[0]) gie <= w_data[0];
                end else if (aw_addr == A_IER) begin
                    if (w_strb[0]) ier <= w_data[1:0];
                end else if (aw_addr >= A_ARGS && aw_addr < A_STAT) begin
                    ptr[w_ptr] <= (ptr[w_ptr] & ~strb_mask) | (w_data & strb_mask);
                end
            end
            // AXI4-Lite read; ap_done and ap_ready clear when control is read
            if (s_axi_control_rvalid && s_axi_control_rready) s_axi_control_rvalid <= 1'b0;
            if (do_read) begin
                s_axi_control_rvalid <= 1'b1;
                s_axi_control_rdata <= r_value;
                if (r_addr == A_CTRL) begin
                    ap_done <= 1'b0; ap_ready <= 1'b0;
                end
            end
            // ap_ctrl_hs: start the engine once per ap_start; done sets ap_done and ap_ready
            if (ap_start && !started && !busy) begin
                start <= 1'b1; started <= 1'b1;
            end
            if (done) begin
                started <= 1'b0; ap_start <= auto_restart; ap_done <= 1'b1; ap_ready <= 1'b1;
            end
            isr <= (isr ^ isr_toggle) | (done ? ier : 2'b00);
        end
    end
endmodule
