// hlsgen RTL kernel: the engine's act_wr writes over an AXI4 write master.
// An engine write (ENGINE.md section 4) is up to PP lane writes in one cycle: lane p writes up to
// NWO = PO/PI words of PI bytes at byte address addr[32p +: 32], word enables wen[NWO*p +: NWO].
// Each write is one entry of a FIFO of DEPTH writes.  It leaves as one INCR burst over the span of
// all its lanes when that takes no more beats than its lanes would alone (adjacent pixels of a
// narrow map), else as one burst per lane; a beat carries every enabled byte of the burst's lanes
// in its WDW-byte window (WSTRB), a later lane winning where two write the same byte (as the
// memory model applies them).  AW and the first W beat are offered together; responses are counted
// (BREADY high); `idle` when every burst has been answered.  `room`: the FIFO takes one more engine
// write (the kernel holds the engine while it does not); a write that finds no room anyway is lost
// and sets the sticky `overflow` (the control block's status register).  Addresses are offsets
// from `base`, which XRT aligns to 4 KB.  AXI4 as UG1393 requires; Verilog-2001.
`timescale 1ns/1ps
module hlsgen_axi_wr #(
    parameter PP = 1,                   // pixel lanes
    parameter PI = 8,                   // bytes per word
    parameter NWO = 1,                  // words per lane write (PO / PI)
    parameter WDW = 8,                  // data bytes per AXI beat, a power of two
    parameter DEPTH = 64                // engine writes the FIFO holds
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire [63:0]              base,
    input  wire                     en,
    input  wire [32*PP-1:0]         addr,
    input  wire [8*PI*NWO*PP-1:0]   data,
    input  wire [NWO*PP-1:0]        wen,
    output wire                     idle,
    output wire                     room,
    output reg                      overflow,
    // AXI4 write master
    output wire [63:0]              m_awaddr,
    output wire [7:0]               m_awlen,
    output wire [2:0]               m_awsize,
    output wire [1:0]               m_awburst,
    output wire                     m_awvalid,
    input  wire                     m_awready,
    output reg  [8*WDW-1:0]         m_wdata,
    output reg  [WDW-1:0]           m_wstrb,
    output wire                     m_wlast,
    output wire                     m_wvalid,
    input  wire                     m_wready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [1:0]               m_bresp,      // (an error response is not reported)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     m_bvalid,
    output wire                     m_bready
);
    localparam LB = PI * NWO;           // bytes of a lane write
    localparam [31:0] DEPTH32 = DEPTH, LB32 = LB, PI32 = PI, WDW32 = WDW;
    localparam LOG_W = (WDW >= 128) ? 7 : (WDW >= 64) ? 6 : (WDW >= 32) ? 5 : (WDW >= 16) ? 4 : (WDW >= 8) ? 3 :
                       (WDW >= 4) ? 2 : (WDW >= 2) ? 1 : 0;
    assign m_awsize = LOG_W[2:0];
    assign m_awburst = 2'b01;
    assign m_bready = 1'b1;

    reg [32*PP-1:0]     f_addr [0:DEPTH-1];
    reg [8*LB*PP-1:0]   f_data [0:DEPTH-1];
    reg [NWO*PP-1:0]    f_wen [0:DEPTH-1];
    reg [31:0] wp, rp, pending;
    assign room = (wp - rp) < DEPTH32;
    wire push = en && (wen != {NWO*PP{1'b0}});

    // the write being sent: its lanes, the lanes of the current burst, the lanes still to send
    reg c_valid, c_aw;
    reg [32*PP-1:0] c_addr;
    reg [8*LB*PP-1:0] c_data;
    reg [NWO*PP-1:0] c_wen;
    reg [PP-1:0] c_lanes, c_rest;
    reg [31:0] c_b0;                    // first beat (offset from base)
    reg [8:0] c_beats, c_beat;
    assign m_awvalid = c_valid && !c_aw;
    assign m_awaddr = base + {32'd0, c_b0};
    assign m_awlen = c_beats[7:0] - 8'd1;
    assign m_wvalid = c_valid && (c_beat < c_beats);
    assign m_wlast = (c_beat == c_beats - 9'd1);
    assign idle = (wp == rp) && !c_valid && (pending == 32'd0);

    // a beat: every enabled byte of the burst's lanes inside its window
    integer j, p;
    reg [31:0] off;
    always @* begin
        m_wdata = {8*WDW{1'b0}};
        m_wstrb = {WDW{1'b0}};
        for (j = 0; j < WDW; j = j + 1)
            for (p = 0; p < PP; p = p + 1) begin
                off = c_b0 + {23'd0, c_beat} * WDW32 + j - c_addr[32 * p +: 32];   // wraps when before the lane
                if (c_lanes[p] && off < LB32 && c_wen[NWO * p + off / PI32]) begin
                    m_wdata[8 * j +: 8] = c_data[8 * (LB * p + off) +: 8];
                    m_wstrb[j] = 1'b1;
                end
            end
    end

    // the burst of lanes M of a write (addresses A, enables W): its first beat and its beats
    function [40:0] span;               // {beats, first beat}
        input [32*PP-1:0] a;
        input [NWO*PP-1:0] w;
        input [PP-1:0] m;
        integer q, k;
        reg [31:0] lo, hi;
        reg [8:0] nb;
        reg any;
        begin
            lo = 32'd0; hi = 32'd0; any = 1'b0;
            for (q = 0; q < PP; q = q + 1)
                if (m[q])
                    for (k = 0; k < NWO; k = k + 1)
                        if (w[NWO * q + k]) begin
                            if (!any || a[32 * q +: 32] + k * PI32 < lo) lo = a[32 * q +: 32] + k * PI32;
                            if (!any || a[32 * q +: 32] + (k + 1) * PI32 > hi) hi = a[32 * q +: 32] + (k + 1) * PI32;
                            any = 1'b1;
                        end
            nb = hi[LOG_W+8:LOG_W] - lo[LOG_W+8:LOG_W] + {8'd0, (hi[LOG_W-1:0] != 0)};   // beats modulo 512
            span = {nb, (lo >> LOG_W) << LOG_W};
        end
    endfunction
    function [PP-1:0] lanes_of;         // lanes with a word enabled
        input [NWO*PP-1:0] w;
        integer q;
        begin
            for (q = 0; q < PP; q = q + 1) lanes_of[q] = (w[NWO * q +: NWO] != {NWO{1'b0}});
        end
    endfunction
    function [PP-1:0] lowest;           // the lowest lane of M alone
        input [PP-1:0] m;
        integer q;
        reg found;
        begin
            lowest = {PP{1'b0}}; found = 1'b0;
            for (q = 0; q < PP; q = q + 1)
                if (m[q] && !found) begin lowest[q] = 1'b1; found = 1'b1; end
        end
    endfunction
    function [31:0] count;
        input [PP-1:0] m;
        integer q;
        begin
            count = 32'd0;
            for (q = 0; q < PP; q = q + 1) count = count + {31'd0, m[q]};
        end
    endfunction

    wire aw_go = m_awvalid && m_awready;
    wire w_go = m_wvalid && m_wready;
    wire c_end = c_valid && (c_aw || aw_go) && (c_beat + {8'd0, w_go} == c_beats);
    // next: the current write's next lane, else the FIFO's head write (whole, or its lowest lane)
    wire next_lane = c_end && (c_rest != {PP{1'b0}});
    wire take = (!c_valid || (c_end && !next_lane)) && (wp != rp);
    wire [32*PP-1:0] h_addr = f_addr[rp % DEPTH32];
    wire [NWO*PP-1:0] h_wen = f_wen[rp % DEPTH32];
    wire [PP-1:0] h_lanes = lanes_of(h_wen);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [40:0] h_all = span(h_addr, h_wen, h_lanes);        // (its beats only)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8:0] h_all_beats = h_all[40:32];
    wire h_whole = {23'd0, h_all_beats} <= count(h_lanes);    // one burst is no longer than its lanes
    wire [PP-1:0] h_first = h_whole ? h_lanes : lowest(h_lanes);
    wire [PP-1:0] n_lane = lowest(c_rest);
    wire [40:0] h_span = span(h_addr, h_wen, h_first);
    wire [40:0] n_span = span(c_addr, c_wen, n_lane);

    always @(posedge clk) begin
        if (rst) begin
            wp <= 32'd0; rp <= 32'd0; pending <= 32'd0; c_valid <= 1'b0; overflow <= 1'b0;
        end else begin
            if (push && room) begin
                f_addr[wp % DEPTH32] <= addr; f_data[wp % DEPTH32] <= data; f_wen[wp % DEPTH32] <= wen;
                wp <= wp + 32'd1;
            end
            if (push && !room) overflow <= 1'b1;
            if (aw_go) c_aw <= 1'b1;
            if (w_go) c_beat <= c_beat + 9'd1;
            if (next_lane) begin
                c_aw <= 1'b0; c_beat <= 9'd0; c_lanes <= n_lane; c_rest <= c_rest & ~n_lane;
                c_b0 <= n_span[31:0]; c_beats <= n_span[40:32];
            end else if (take) begin
                c_valid <= 1'b1; c_aw <= 1'b0; c_beat <= 9'd0;
                c_addr <= h_addr; c_data <= f_data[rp % DEPTH32]; c_wen <= h_wen;
                c_lanes <= h_first; c_rest <= h_lanes & ~h_first;
                c_b0 <= h_span[31:0]; c_beats <= h_span[40:32];
                rp <= rp + 32'd1;
            end else if (c_end) c_valid <= 1'b0;
            pending <= pending + {31'd0, aw_go} - {31'd0, m_bvalid};
        end
    end
endmodule
