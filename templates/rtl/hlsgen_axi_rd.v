// hlsgen RTL kernel: an engine read stream (act_rd or wgt) over an AXI4 read master.
// The engine asks for one stream per request (ENGINE.md sections 3 and 5): rows of segment 0
// (len0 bytes at addr0, rows of `row` bytes) and segment 1 (len1 bytes from addr1): its first `glen`
// bytes are rows of `rrow` bytes, row j after the first a(j) = clamp(j*s + c, 0, rows0) rows of
// segment 0, the rest follows segment 0; delivered as beats of `rate` bytes (the last one zero-padded).
// Segment 0 is one contiguous range; segment 1 is groups of `chunks` chunks, chunk k of group g at
// addr1 + g*ck + k*pitch, min(ck, pitch - g*ck) bytes (a conv's residual words of one output group
// per pixel), one contiguous range when ck = pitch.  Each range (segment 0, a chunk) is fetched in
// bursts of at most BL beats that never cross a BL*DW-byte boundary (so never a 4 KB one), one burst
// per cycle at most, into its segment's FIFO of DEPTH units (U bytes: every address, length, row,
// chunk and rate is a multiple of U), a burst issued only when its units have room (so RREADY stays
// high).  The merger takes the stream's units from the two FIFOs in row order.
// Beat k of a stream requested in cycle L is valid in cycle L + LAT + k at the earliest (the cycle
// model's read latency, ENGINE.md section 5), later only when the memory has not delivered yet;
// the engine waits for what it needs, so a slow memory costs cycles, never bytes.
// A request is taken only when the previous stream is complete (`idle`); the kernel starts an
// invocation only then.  `ce` is the engine's clock enable: a beat is handed over (and the next one
// formed) only in cycles the engine runs, so a held engine misses none.  AXI4 (UG1393, "Kernel Interface Requirements"): one ID, INCR bursts,
// full-width beats; RRESP and RLAST are not needed (bursts are counted).  Verilog-2001.
`timescale 1ns/1ps
module hlsgen_axi_rd #(
    parameter DW = 8,                   // data bytes per AXI beat (the widest rate), a power of two
    parameter U = 8,                    // unit bytes (divides DW)
    parameter LAT = 64,                 // earliest first beat, cycles after the request
    parameter BL = 16,                  // beats per burst at most (BL * DW <= 4096)
    parameter DEPTH = 256,              // FIFO units per segment (a power of two, >= BL * DW / U)
    parameter QD = 16                   // bursts in flight at most (a power of two)
) (
    input  wire                 clk,
    input  wire                 ce,
    input  wire                 rst,
    input  wire [63:0]          base,
    input  wire                 req,
    input  wire [31:0]          addr0,
    input  wire [31:0]          len0,
    input  wire [31:0]          addr1,
    input  wire [31:0]          len1,
    input  wire [31:0]          row,
    input  wire [31:0]          rrow,
    input  wire [31:0]          ck,
    input  wire [31:0]          pitch,
    input  wire [31:0]          chunks,
    input  wire [31:0]          glen,
    input  wire signed [31:0]   c,
    input  wire [15:0]          s,
    input  wire [15:0]          rate,
    output reg                  rd_valid,
    output reg  [8*DW-1:0]      rd_data,
    output wire                 idle,
    // AXI4 read master
    output reg  [63:0]          m_araddr,
    output reg  [7:0]           m_arlen,
    output wire [2:0]           m_arsize,
    output wire [1:0]           m_arburst,
    output reg                  m_arvalid,
    input  wire                 m_arready,
    input  wire [8*DW-1:0]      m_rdata,
    /* verilator lint_off UNUSEDSIGNAL */   // the master counts beats: an error response and rlast go unread
    input  wire [1:0]           m_rresp,
    input  wire                 m_rlast,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                 m_rvalid,
    output wire                 m_rready
);
    localparam UB = DW / U;             // units per beat
    localparam LOG_DW = (DW >= 128) ? 7 : (DW >= 64) ? 6 : (DW >= 32) ? 5 : (DW >= 16) ? 4 : (DW >= 8) ? 3 :
                        (DW >= 4) ? 2 : (DW >= 2) ? 1 : 0;
    localparam [63:0] DW64 = DW, BL64 = BL;
    localparam [31:0] UB32 = UB, DEPTH32 = DEPTH, QD32 = QD;
    assign m_arsize = LOG_DW[2:0];
    assign m_arburst = 2'b01;           // INCR
    assign m_rready = 1'b1;             // room was reserved when the burst was issued

    // ---------------- segment fetchers ----------------
    reg [63:0] nxt0, nxt1;              // next byte to request
    reg [63:0] fin0, fin1;              // end of the segment (segment 1: of the chunk)
    // segment 1's chunks: the chunk's start, chunks left in its group after it, the group's offset g*ck
    // and chunk bytes, the segment's start; chunked = (ck != pitch)
    reg [63:0] cb1, a1;
    reg [31:0] k1_left, goff1, ckg1, r_ck, r_pitch, r_chunks;
    reg chunked;
    reg [31:0] occ0, occ1;              // units in the FIFO
    reg [31:0] resv0, resv1;            // units reserved for bursts in flight
    reg [31:0] wp0, wp1, rp0, rp1;
    reg [8*U-1:0] fifo0 [0:DEPTH-1];
    reg [8*U-1:0] fifo1 [0:DEPTH-1];
    // bursts in flight, in issue order: segment, beats, units skipped in the first beat, units kept in the last
    reg         q_seg [0:QD-1];
    reg [8:0]   q_beats [0:QD-1];
    reg [31:0]  q_skip [0:QD-1];
    reg [31:0]  q_keep [0:QD-1];
    reg [31:0]  q_wp, q_rp;
    reg [8:0]   r_beat;                 // beat of the head burst

    // the next burst of each segment: aligned start, beats (<= BL, up to the BL*DW boundary), room
    wire [63:0] ba0 = (nxt0 >> LOG_DW) << LOG_DW, ba1 = (nxt1 >> LOG_DW) << LOG_DW;
    wire [63:0] left0 = BL64 - ((ba0 >> LOG_DW) % BL64), left1 = BL64 - ((ba1 >> LOG_DW) % BL64);
    wire [63:0] need0 = (fin0 - ba0 + DW64 - 64'd1) >> LOG_DW, need1 = (fin1 - ba1 + DW64 - 64'd1) >> LOG_DW;
    wire [8:0] nb0 = (need0 < left0) ? need0[8:0] : left0[8:0];
    wire [8:0] nb1 = (need1 < left1) ? need1[8:0] : left1[8:0];
    wire more0 = nxt0 < fin0, more1 = nxt1 < fin1;
    wire fit0 = more0 && (occ0 + resv0 + {23'd0, nb0} * UB32 <= DEPTH32);
    wire fit1 = more1 && (occ1 + resv1 + {23'd0, nb1} * UB32 <= DEPTH32);
    wire q_full = (q_wp - q_rp) == QD32;
    wire pick1 = fit1 && (!fit0 || (occ1 + resv1 < occ0 + resv0));    // the emptier segment first
    wire issue = !req && (!m_arvalid || m_arready) && !q_full && (fit0 || fit1);
    wire [63:0] i_ba = pick1 ? ba1 : ba0;
    wire [31:0] i_off = pick1 ? nxt1[31:0] : nxt0[31:0];             // low bits: the first beat's offset
    wire [63:0] i_fin = pick1 ? fin1 : fin0;
    wire [8:0] i_nb = pick1 ? nb1 : nb0;
    wire [63:0] i_last = i_ba + ({55'd0, i_nb} - 64'd1) * DW64;       // the burst's last beat
    wire [63:0] i_rem = i_fin - i_last;
    wire [31:0] i_keep = (i_rem >= DW64) ? UB32 : i_rem[31:0] / U;
    wire [31:0] i_skip = (i_off - i_ba[31:0]) / U;                      // < UB
    wire [63:0] i_next = i_ba + {55'd0, i_nb} * DW64;                    // after the burst
    // segment 1's next chunk once this one is issued: the group's next, or the next group's first
    wire [31:0] goff_n = goff1 + r_ck;
    wire [31:0] ckg_n = (r_pitch - goff_n < r_ck) ? r_pitch - goff_n : r_ck;
    wire more_k = (k1_left != 32'd0), more_g = (goff_n < r_pitch);

    // R: the head burst's beat, units [r_lo, r_hi) of it, into its segment's FIFO
    wire r_take = !req && m_rvalid && (q_wp != q_rp);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] q_h = q_rp % QD32;      // (the bits above log2(QD) are zero)
    /* verilator lint_on UNUSEDSIGNAL */
    wire r_seg = q_seg[q_h];
    wire r_end = (r_beat == q_beats[q_h] - 9'd1);
    wire [31:0] r_lo = (r_beat == 9'd0) ? q_skip[q_h] : 32'd0;
    wire [31:0] r_hi = r_end ? q_keep[q_h] : UB32;
    wire [31:0] push0 = (r_take && !r_seg) ? r_hi - r_lo : 32'd0;
    wire [31:0] push1 = (r_take && r_seg) ? r_hi - r_lo : 32'd0;

    // ---------------- merger ----------------
    reg [31:0] now, first, in_row, off, c0, c1, r_row, r_rrow, r_rate, r_len0, r_len1, r_glen;
    reg signed [47:0] aj;               // j*s + c for the next segment-1 row j
    reg [15:0] r_s;
    reg active, seg;
    assign idle = !active && !more0 && !more1 && (q_wp == q_rp) && !m_arvalid;

    // the next beat, tentatively: its units, the state after it, the units it takes from each FIFO
    reg [8*DW-1:0] t_beat;
    reg [31:0] t_in, t_off, t_c0, t_c1, n0, n1;
    reg signed [47:0] t_aj;
    reg t_act, t_seg, d0, d1;
    integer i;
    always @* begin
        t_in = in_row; t_off = off; t_c0 = c0; t_c1 = c1; t_aj = aj; t_act = active; t_seg = seg;
        n0 = 32'd0; n1 = 32'd0; t_beat = {8*DW{1'b0}}; d0 = 1'b0; d1 = 1'b0;
        for (i = 0; i < UB; i = i + 1) begin
            if (t_act && i * U < r_rate) begin
                if (t_seg) begin
                    t_beat[8 * U * i +: 8 * U] = fifo1[(rp1 + n1) % DEPTH32];
                    n1 = n1 + 32'd1; t_c1 = t_c1 + U;
                end else begin
                    t_beat[8 * U * i +: 8 * U] = fifo0[(rp0 + n0) % DEPTH32];
                    n0 = n0 + 32'd1; t_c0 = t_c0 + U;
                end
                t_off = t_off + U;
                if (t_off == (t_seg ? r_rrow : r_row) || (t_seg && t_c1 == r_len1)) begin
                    t_off = 32'd0;
                    if (t_seg) t_aj = t_aj + $signed({32'd0, r_s}); else t_in = t_in + 32'd1;
                    d0 = (t_c0 == r_len0); d1 = (t_c1 == r_len1);
                    // segment 1's first glen bytes interleave with segment 0's rows, the rest follows it
                    if (!d1 && (d0 || (t_c1 < r_glen && $signed({16'd0, t_in}) >= t_aj))) t_seg = 1'b1;
                    else if (!d0) t_seg = 1'b0;
                    else t_act = 1'b0;
                end
            end
        end
    end
    wire out_ok = ce && !req && active && (now + 32'd1 >= first) && (n0 <= occ0) && (n1 <= occ1);
    wire [31:0] pop0 = out_ok ? n0 : 32'd0, pop1 = out_ok ? n1 : 32'd0;
    // the first row of a new stream: segment 1 when a(0) = clamp(c, 0, rows0) is 0
    wire req_seg1 = (len1 != 32'd0) && (len0 == 32'd0 || c <= 0);

    integer k;
    always @(posedge clk) begin
        now <= now + 32'd1;
        if (ce) rd_valid <= 1'b0;
        if (rst) begin
            now <= 32'd0; active <= 1'b0; m_arvalid <= 1'b0; q_wp <= 32'd0; q_rp <= 32'd0; r_beat <= 9'd0;
            nxt0 <= 64'd0; fin0 <= 64'd0; nxt1 <= 64'd0; fin1 <= 64'd0;
            occ0 <= 32'd0; occ1 <= 32'd0; resv0 <= 32'd0; resv1 <= 32'd0;
            wp0 <= 32'd0; wp1 <= 32'd0; rp0 <= 32'd0; rp1 <= 32'd0;
        end else if (req) begin         // a new stream (the previous one is complete: idle)
            first <= now + LAT;
            nxt0 <= base + {32'd0, addr0}; fin0 <= base + {32'd0, addr0} + {32'd0, len0};
            nxt1 <= base + {32'd0, addr1};
            fin1 <= base + {32'd0, addr1} + {32'd0, (len1 == 32'd0) ? 32'd0 : (ck != pitch) ? ck : len1};
            chunked <= (ck != pitch); cb1 <= base + {32'd0, addr1}; a1 <= base + {32'd0, addr1};
            k1_left <= chunks - 32'd1; goff1 <= 32'd0; ckg1 <= ck; r_ck <= ck; r_pitch <= pitch; r_chunks <= chunks;
            r_row <= row; r_rrow <= rrow; r_s <= s; r_rate <= {16'd0, rate}; r_len0 <= len0; r_len1 <= len1;
            r_glen <= glen;
            in_row <= 32'd0; off <= 32'd0; c0 <= 32'd0; c1 <= 32'd0; aj <= {{16{c[31]}}, c};
            active <= (len0 != 32'd0) || (len1 != 32'd0);
            seg <= req_seg1;
        end else begin
            if (m_arvalid && m_arready) m_arvalid <= 1'b0;
            if (issue) begin
                m_araddr <= i_ba; m_arlen <= i_nb[7:0] - 8'd1; m_arvalid <= 1'b1;
                q_seg[q_wp % QD32] <= pick1; q_beats[q_wp % QD32] <= i_nb;
                q_skip[q_wp % QD32] <= i_skip; q_keep[q_wp % QD32] <= i_keep;
                q_wp <= q_wp + 32'd1;
                if (!pick1) nxt0 <= i_next;
                else if (!chunked || i_next < fin1) nxt1 <= i_next;
                else if (more_k) begin                  // the group's next chunk
                    k1_left <= k1_left - 32'd1; cb1 <= cb1 + {32'd0, r_pitch};
                    nxt1 <= cb1 + {32'd0, r_pitch}; fin1 <= cb1 + {32'd0, r_pitch} + {32'd0, ckg1};
                end else if (more_g) begin              // the next group's first chunk
                    k1_left <= r_chunks - 32'd1; goff1 <= goff_n; ckg1 <= ckg_n; cb1 <= a1 + {32'd0, goff_n};
                    nxt1 <= a1 + {32'd0, goff_n}; fin1 <= a1 + {32'd0, goff_n} + {32'd0, ckg_n};
                end else nxt1 <= i_next;                 // the segment is issued
            end
            if (r_take) begin
                for (k = 0; k < UB; k = k + 1)
                    if (k >= r_lo && k < r_hi) begin
                        if (r_seg) fifo1[(wp1 + k - r_lo) % DEPTH32] <= m_rdata[8 * U * k +: 8 * U];
                        else fifo0[(wp0 + k - r_lo) % DEPTH32] <= m_rdata[8 * U * k +: 8 * U];
                    end
                if (r_end) begin r_beat <= 9'd0; q_rp <= q_rp + 32'd1; end
                else r_beat <= r_beat + 9'd1;
            end
            if (out_ok) begin
                rd_valid <= 1'b1; rd_data <= t_beat;
                in_row <= t_in; off <= t_off; c0 <= t_c0; c1 <= t_c1; aj <= t_aj; active <= t_act; seg <= t_seg;
            end
            wp0 <= wp0 + push0; wp1 <= wp1 + push1;
            rp0 <= rp0 + pop0; rp1 <= rp1 + pop1;
            occ0 <= occ0 + push0 - pop0; occ1 <= occ1 + push1 - pop1;
            resv0 <= resv0 + ((issue && !pick1) ? {23'd0, i_nb} * UB32 : 32'd0) - ((r_take && !r_seg) ? UB32 : 32'd0);
            resv1 <= resv1 + ((issue && pick1) ? {23'd0, i_nb} * UB32 : 32'd0) - ((r_take && r_seg) ? UB32 : 32'd0);
        end
    end
endmodule
