// hlsgen RTL kernel: the command walker (ENGINE.md section 4, "The command list").  One kernel run
// executes N commands: for each, the walker reads its CMD_BYTES from the weight buffer through the
// wgt read master (a stream request the engine would make, while the engine is idle), writes its
// NREG register words into the engine's register file (one a cycle), starts the engine and waits
// until the invocation is complete (`inv_done`: the engine done and every memory transfer
// finished); after the last it pulses `done`.  It also reports the activation banks the running
// command names (its rd_bank and wr_bank fields) for the kernel to add bank_step to their bases.
// Verilog-2001.
`timescale 1ns/1ps
module hlsgen_walker #(
    parameter BW = 64,                  // bytes per wgt beat
    parameter NREG = 58,                // register words of a command
    parameter REG_ADDR_BITS = 6,
    parameter CMD_BYTES = 256,
    parameter RD_BANK_WORD = 44,        // the words holding rd_bank and wr_bank (bit 0)
    parameter WR_BANK_WORD = 45,
    parameter W_LINES_WORD = 55         // the word holding a preload's w_lines
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     start,          // ap_start accepted
    input  wire [31:0]              cmd_off,
    input  wire [31:0]              n_cmds,
    output wire                     busy,
    output reg                      done,
    // the wgt read master, while the walker owns it
    output wire                     owns,
    output reg                      w_req,
    output wire [31:0]              w_addr,
    input  wire                     w_valid,
    input  wire [8*BW-1:0]          w_data,
    // the engine
    output reg                      reg_we,
    output reg  [REG_ADDR_BITS-1:0] reg_addr,
    output reg  [31:0]              reg_wdata,
    output reg                      e_start,
    input  wire                     inv_done,
    output wire                     rd_bank,
    output wire                     wr_bank,
    output wire [3:0]               kind,           // the running command's kind code and w_lines
    output wire [31:0]              w_lines
);
    localparam WPB = BW / 4;            // words per beat
    localparam NW = CMD_BYTES / 4;
    localparam [31:0] CMD32 = CMD_BYTES, BW32 = BW, NREG32 = NREG;
    localparam S_IDLE = 3'd0, S_FETCH = 3'd1, S_RECV = 3'd2, S_LOAD = 3'd3, S_RUN = 3'd4, S_WAIT = 3'd5;
    reg [2:0] st;
    reg [31:0] c, k, i, off, n;
    reg [31:0] words [0:NW-1];
    assign busy = (st != S_IDLE);
    assign owns = (st == S_FETCH) || (st == S_RECV);
    assign w_addr = off + c * CMD32;
    assign rd_bank = words[RD_BANK_WORD][0];
    assign wr_bank = words[WR_BANK_WORD][0];
    assign kind = words[0][3:0];
    assign w_lines = words[W_LINES_WORD];

    integer j;
    always @(posedge clk) begin
        done <= 1'b0;
        w_req <= 1'b0;
        reg_we <= 1'b0;
        e_start <= 1'b0;
        if (rst) begin
            st <= S_IDLE;
        end else begin
            case (st)
            S_IDLE: if (start) begin
                c <= 32'd0; off <= cmd_off; n <= n_cmds;
                if (n_cmds == 32'd0) done <= 1'b1;
                else st <= S_FETCH;
            end
            S_FETCH: begin w_req <= 1'b1; k <= 32'd0; st <= S_RECV; end
            S_RECV: if (w_valid) begin
                for (j = 0; j < WPB; j = j + 1)
                    if (k / 4 + j < NW) words[k / 4 + j] <= w_data[32 * j +: 32];
                k <= k + BW32;
                if (k + BW32 >= CMD32) begin st <= S_LOAD; i <= 32'd0; end
            end
            S_LOAD: begin
                reg_we <= 1'b1; reg_addr <= i[REG_ADDR_BITS-1:0]; reg_wdata <= words[i[5:0]];
                i <= i + 32'd1;
                if (i + 32'd1 == NREG32) st <= S_RUN;
            end
            S_RUN: begin e_start <= 1'b1; st <= S_WAIT; end
            S_WAIT: if (inv_done) begin
                c <= c + 32'd1;
                if (c + 32'd1 == n) begin st <= S_IDLE; done <= 1'b1; end
                else st <= S_FETCH;
            end
            default: st <= S_IDLE;
            endcase
        end
    end
endmodule
