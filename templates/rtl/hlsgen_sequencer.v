`timescale 1ns/1ps

// hlsgen RTL twin: the engine's sequencer (ENGINE.md section 5).  One invocation from `start`: the
// act_rd stream request, the weight block requests, the walk over groups, output rows, pixel groups
// (PP pixels: row-major across the tile's rows, or PP columns of a row with a fused pool or rows
// narrower than PP) and the taps of a pixel (a pixel group waits until the input and residual rows of
// its last pixel's row and its weight block are in: a_rcv, w_done_n), the drain of PL + OV cycles, `done` with the invocation's cycles.  Stage 0
// of the pipeline: each tap's input word per pixel lane (and whether it is inside the map), and what
// the epilogue needs of the pixel group (output address, write mask, residual word, pooled column).
module hlsgen_sequencer #(parameter PP = 2, PI = 4, NWO = 1, BR = 64, BRS = 64, CWR = 1, CWRS = 1,
                          PL = 12, OV = 0) (
    input  wire                 clk,
    input  wire                 ce,
    input  wire                 rst,
    input  wire                 start,
    output reg                  busy,
    output reg                  done,
    output reg  [31:0]          cycles,
    output wire                 begin_inv,        // the cycle an invocation starts
    // the invocation (register file fields; kind decoded)
    input  wire                 is_conv, is_max, is_gavg, is_add, is_tab, is_mul, is_pre, shared,
    input  wire [31:0]          pre_cycles,
    input  wire [15:0]          f_in_h, f_in_w, f_in_cw, f_iy0, f_iy1, f_oy0, f_oy1, f_out_w, f_out_cw,
    input  wire [15:0]          f_out_c0w, f_out_words, f_groups, f_tap_cw, f_cw_step, f_t_words,
    input  wire [3:0]           f_k, f_stride, f_pad_t, f_pad_l, f_pool_k,
    input  wire                 f_add_en,
    input  wire [31:0]          f_in_addr, f_out_addr, f_add_addr, f_a_addr, f_b_addr, f_words,
    input  wire [31:0]          f_w_addr, f_w_group_bytes,
    // act_rd: one stream of two segments (see hlsgen_engine's ports)
    input  wire [31:0]          a_rcv,
    output reg                  ar_req,
    output reg  [31:0]          ar_addr0, ar_len0, ar_addr1, ar_len1, ar_row, ar_rrow, ar_ck, ar_pitch, ar_chunks, ar_glen,
    output reg  signed [31:0]   ar_c,
    output reg  [15:0]          ar_s, ar_rate,
    // wgt: one block per group
    input  wire [15:0]          w_done_n, w_req_n,
    output wire                 wr_req,
    output wire [31:0]          wr_addr,
    output wire [31:0]          wr_len,
    output wire                 w_next,           // the next block's request
    // the shape and the walk, for the buffers and the epilogue
    output wire [31:0]          kkc,              // taps per pixel
    output wire [31:0]          c_t_out,          // cycle in the pixel group
    output wire                 bank,             // the group's weight bank
    output wire                 pool_on,          // a fused max pool
    output wire [3:0]           pk,               // its window (1 without)
    // stage 0: the tap
    output wire                 tap_v, tap_first,
    output wire [32*PP-1:0]     l_aidx,           // input word per pixel lane
    output wire [PP-1:0]        l_in,             // tap inside the map
    output wire [31:0]          b_idx,            // the second operand's word (add, mul)
    // stage 0: the pixel group's result, to the epilogue's delay lines
    output wire                 px_v,             // a pixel group (conv) or word (vector) completes
    output wire                 frow, wrow,       // first, last conv row of a pool window
    output wire [15:0]          tw,               // table word
    output wire [1:0]           tb,               // fused table bank (group % 3)
    output reg  [NWO-1:0]       o_wen,
    output wire [PP-1:0]        l_v,
    output wire [32*PP-1:0]     l_oaddr, l_ridx,
    output wire [16*PP-1:0]     l_px,
    output wire [4*PP-1:0]      l_rp
);
    // control products in fabric (shift-add); one operand is at most 16 bits
    function [31:0] umul;
        input [31:0] a;
        input [15:0] b;
        integer i;
        begin
            umul = 32'd0;
            for (i = 0; i < 16; i = i + 1)
                if (b[i]) umul = umul + (a << i);
        end
    endfunction

    // ---------------- per-invocation shape ----------------
    wire [15:0] kh_n = is_gavg ? f_in_h : {12'd0, f_k};          // window rows
    wire [15:0] kw_n = is_gavg ? f_in_w : {12'd0, f_k};          // window columns
    wire [31:0] kk = umul({16'd0, kh_n}, kw_n);
    assign kkc = umul(kk, is_conv ? f_tap_cw : f_in_cw);          // conv taps per pixel (a group's window)
    wire [31:0] cwr = shared ? CWRS : CWR;
    wire [31:0] cpp = is_conv ? ((kkc > cwr) ? kkc : cwr) : is_add ? 32'd1 : kkc;
    // conv: cols = out_w * max(pool_k, 1) columns per row in pixel groups of PP (lane p: ox + p)
    assign pool_on = is_conv && (f_pool_k != 4'd0);
    assign pk = pool_on ? f_pool_k : 4'd1;
    wire [31:0] n_px = is_add ? f_words : is_conv ? umul({16'd0, f_out_w}, {12'd0, pk}) : {16'd0, f_out_w};
    wire lanes_px = is_conv || is_max;                            // PP pixel lanes (a max pool's too)
    wire [31:0] px_step = lanes_px ? PP : 32'd1;                  // columns per pixel group
    wire [31:0] xstep = umul(px_step, {12'd0, f_stride});
    wire [15:0] row_lo = is_add ? 16'd0 : f_oy0;
    wire [15:0] row_hi = is_add ? 16'd1 : f_oy1;
    wire [15:0] n_grp = is_conv ? f_groups : 16'd1;
    wire [31:0] row_words = umul({16'd0, f_in_w}, f_in_cw);
    wire [31:0] row_bytes = row_words * PI;
    wire [31:0] tile_words = umul(row_words, f_iy1 - f_iy0);
    wire [31:0] res_row_bytes = umul({16'd0, f_out_w}, f_out_words) * PI;   // a residual row, every group's words
    wire [31:0] tile_bytes = tile_words * PI;
    wire [31:0] pre_words = is_mul ? {16'd0, f_in_cw} : 32'd0;  // mul: the vector's words lead the stream

    // ---------------- controller state ----------------
    localparam S_IDLE = 2'd0, S_WAIT = 2'd1, S_ROW = 2'd2, S_DRAIN = 2'd3;
    reg [1:0] st;
    reg [15:0] g, oy;
    reg [31:0] ox, c_t;                            // first column of the pixel group, cycle in it
    reg [15:0] q0, py;                             // fused pool: ox / pk, oy / pk
    reg [3:0] r0, oy_r;                            // ox % pk, oy % pk
    reg [15:0] kh, kw, cw;
    reg signed [17:0] yb, xb;                      // oy*stride - pad_t, ox*stride - pad_l
    reg [31:0] drain;
    reg [31:0] t_cnt;
    reg [15:0] g_done;                             // groups whose rows have all been issued
    reg w_req0;
    reg [31:0] w_next_addr;
    // ENGINE.md section 1, "Pixel groups": flat (row-major across the tile's rows) without a pool and
    // when a row holds PP pixels; a group then wraps at most once, into the next row
    wire flat = is_conv && !pool_on && (n_px >= PP);
    wire [31:0] ox_wrap = ox + px_step - n_px;                    // the next group's column after a wrap
    wire [31:0] xw_step = umul(ox_wrap, {12'd0, f_stride});
    assign begin_inv = (st == S_IDLE) && start;
    assign c_t_out = c_t;
    assign bank = g[0];

    // readiness of the pixel group: the row of its last computed pixel (oy, or oy + 1 when a flat
    // group wraps into a row of the tile), ENGINE.md section 5
    wire wrap_last = flat && (ox + PP - 1 >= n_px) && (oy + 16'd1 < row_hi);
    wire signed [31:0] yb32 = {{14{yb[17]}}, yb} + (wrap_last ? $signed({28'd0, f_stride}) : 32'sd0);
    wire signed [31:0] rows_end = yb32 + $signed({16'd0, kh_n});      // last needed row + 1
    wire signed [31:0] iy1s = $signed({16'd0, f_iy1});
    wire signed [31:0] need_rows = ((rows_end < iy1s) ? rows_end : iy1s) - $signed({16'd0, f_iy0});
    wire in_ok = (need_rows <= 0) || (a_rcv >= pre_words * PI + umul(row_bytes, need_rows[15:0]));
    // fused add: the stream interleaves residual row j right after the input rows a(j) output row j needs,
    // a(j) = clamp(j*stride + ic, 0, rows); an input row i is preceded by r(i) residual rows
    wire fused = is_conv && f_add_en;
    wire [15:0] n_in = f_iy1 - f_iy0;
    wire signed [31:0] ic = $signed(umul({16'd0, f_oy0}, {12'd0, f_stride})) - $signed({28'd0, f_pad_t})
                            + $signed({28'd0, f_k}) - $signed({16'd0, f_iy0});
    function [15:0] a_of;                                     // a(j): input rows streamed before residual row j
        input [15:0] j;
        reg signed [31:0] raw;
        begin
            raw = $signed(umul({16'd0, j}, {12'd0, f_stride})) + ic;
            a_of = (raw < 0) ? 16'd0 : (raw > $signed({16'd0, n_in})) ? n_in : raw[15:0];
        end
    endfunction
    // the residual words of output group g stream for group g only (ENGINE.md section 5, step 1): group 0's
    // rows interleaved with the input rows, then groups 1, 2, ... after them; wg_of(g) words per pixel
    localparam [15:0] NWO16 = NWO;
    function [15:0] wg_of;
        input [15:0] gg;
        reg [31:0] left;
        begin
            left = {16'd0, f_out_words} - umul({16'd0, gg}, NWO16);
            wg_of = (left < {16'd0, NWO16}) ? left[15:0] : NWO16;
        end
    endfunction
    // per group only when every chunk is whole beats of the port (PO bytes and the pixel pitch multiples
    // of BR, add_addr aligned): else every group's words stream with group 0, as one row per output row
    localparam [31:0] PO_BYTES = NWO * PI;
    wire pg = fused && (PO_BYTES % BR == 0) && ((({16'd0, f_out_words} * PI) & (BR - 1)) == 0) &&
              ((f_add_addr & (BR - 1)) == 0);
    wire [15:0] wg0 = pg ? wg_of(16'd0) : f_out_words;        // words per pixel of group 0's stream rows
    wire [15:0] wg = pg ? wg_of(g) : f_out_words;             // of the stream rows group g reads
    wire first_rows = (g == 16'd0) || !pg;                    // rows interleaved with the input rows
    wire [15:0] n_out = f_oy1 - f_oy0;
    wire [31:0] res_row_words = fused ? umul({16'd0, f_out_w}, wg0) : 32'd0;   // group 0's, between input rows
    wire [31:0] rw_g = umul({16'd0, f_out_w}, wg);                            // group g's residual row
    wire [31:0] rbase = first_rows ? 32'd0 : tile_words + umul(umul({16'd0, f_out_w}, n_out), g) * NWO;
    function [31:0] r_row_of;                                 // stream word of group g's residual row j
        input [15:0] j;
        begin
            r_row_of = rbase + (first_rows ? umul(row_words, a_of(j)) : 32'd0) + umul(rw_g, j);
        end
    endfunction
    wire [15:0] jj = oy - f_oy0;                              // output row within the tile
    wire [15:0] jj_r = jj + {15'd0, wrap_last};               // the group's last row
    wire res_ok = !fused || (a_rcv >= (r_row_of(jj_r) + rw_g) * PI);
    wire w_ok = !(is_conv || is_tab) || (w_done_n > g);
    wire add_ok = (a_rcv >= 2 * f_words * PI);
    wire ready = is_add ? add_ok : (in_ok && res_ok && w_ok);
    wire go = (st == S_WAIT) && ready;
    wire issue = go || (st == S_ROW);
    // block g+1 streams once block g is in and group g-1 (its bank's last user) has finished
    assign w_next = busy && is_conv && !w_req0 && (w_req_n < f_groups) && (w_done_n == w_req_n) &&
                    (g_done + 16'd1 >= w_req_n);
    assign wr_req = w_req0 || w_next;
    assign wr_addr = w_req0 ? f_w_addr : w_next_addr;
    assign wr_len = f_w_group_bytes;

    wire last_px_cycle = (c_t == cpp - 1);
    wire last_px = (ox + px_step >= n_px);
    wire [4:0] r0_s = {1'b0, r0} + px_step[4:0];   // the next group's first column: q0 + r0_s / pk, r0_s % pk
    wire [4:0] pk5 = {1'b0, pk};
    wire [15:0] py_lo = f_oy0 / {12'd0, pk};
    wire last_row = (oy == row_hi - 1);
    wire last_grp = (g == n_grp - 1);
    wire [31:0] yb_lo = umul({16'd0, row_lo}, {12'd0, f_stride}) - {28'd0, f_pad_t};
    wire [17:0] xb_lo = -{14'd0, f_pad_l};
    wire [4:0] q0_step = r0_s / pk5;
    wire [4:0] r0_next = r0_s % pk5;
    wire unused_w = &{1'b0, yb_lo[31:18], r0_next[4], xstep[31:18], xw_step[31:18], iy_t[17:16], g3[15:2]};   // (zero, or wrapping as intended)

    always @(posedge clk) if (ce) begin
        if (rst) begin
            st <= S_IDLE; busy <= 1'b0; done <= 1'b0; cycles <= 32'd0; ar_req <= 1'b0; w_req0 <= 1'b0;
        end else begin
            done <= 1'b0;
            ar_req <= 1'b0;
            w_req0 <= 1'b0;
            if (busy) t_cnt <= t_cnt + 32'd1;
            if (begin_inv) begin
                st <= is_pre ? S_DRAIN : S_WAIT; busy <= 1'b1; t_cnt <= 32'd0;
                drain <= pre_cycles + PL + OV;
                g <= 16'd0; g_done <= 16'd0; oy <= row_lo; ox <= 32'd0; c_t <= 32'd0; kh <= 16'd0; kw <= 16'd0; cw <= 16'd0;
                q0 <= 16'd0; r0 <= 4'd0; oy_r <= 4'd0; py <= py_lo;
                yb <= yb_lo[17:0];
                xb <= xb_lo;
                ar_req <= !is_pre;
                ar_addr0 <= is_add ? f_a_addr : is_mul ? f_b_addr : f_in_addr + umul(row_bytes, f_iy0);
                ar_len0 <= is_add ? f_words * PI : is_mul ? pre_words * PI : tile_bytes;
                ar_addr1 <= is_add ? f_b_addr : is_mul ? f_in_addr + umul(row_bytes, f_iy0) :
                            f_add_addr + umul(res_row_bytes, f_oy0);
                ar_len1 <= is_add ? f_words * PI : is_mul ? tile_bytes : fused ? umul(res_row_bytes, f_oy1 - f_oy0) : 32'd0;
                ar_row <= is_add ? f_words * PI : is_mul ? pre_words * PI : row_bytes;
                ar_rrow <= is_add ? f_words * PI : is_mul ? tile_bytes : umul({16'd0, f_out_w}, wg0) * PI;
                ar_ck <= is_add ? f_words * PI : is_mul ? tile_bytes : {16'd0, fused ? wg0 : f_out_words} * PI;
                ar_pitch <= is_add ? f_words * PI : is_mul ? tile_bytes : {16'd0, f_out_words} * PI;
                ar_chunks <= (is_add || is_mul) ? 32'd1 : umul({16'd0, f_out_w}, n_out);
                ar_glen <= is_add ? f_words * PI : is_mul ? tile_bytes : fused ? umul(umul({16'd0, f_out_w}, wg0) * PI, n_out) : 32'd0;
                ar_c <= (is_add || is_mul) ? 32'sd1 : ic;
                ar_s <= (is_add || is_mul) ? 16'd0 : {12'd0, f_stride};
                ar_rate <= shared ? BRS[15:0] : BR[15:0];
                w_req0 <= is_conv || is_tab;
                w_next_addr <= f_w_addr;
            end
            if (wr_req) w_next_addr <= wr_addr + f_w_group_bytes;
            if (issue) begin
                if (last_px_cycle) begin
                    c_t <= 32'd0; kh <= 16'd0; kw <= 16'd0; cw <= 16'd0;
                    if (last_px) begin
                        // a flat group wraps into the next row of the tile; the tile's last starts over
                        ox <= flat && !last_row ? ox_wrap : 32'd0;
                        xb <= xb_lo + (flat && !last_row ? $signed(xw_step[17:0]) : 18'sd0);
                        q0 <= flat && !last_row ? ox_wrap[15:0] : 16'd0; r0 <= 4'd0;
                        if (last_row) begin
                            oy <= row_lo; oy_r <= 4'd0; py <= py_lo;
                            yb <= yb_lo[17:0];
                            g_done <= g + 16'd1;
                            if (last_grp) begin st <= S_DRAIN; drain <= PL + OV; end
                            else begin g <= g + 16'd1; st <= S_WAIT; end
                        end else begin
                            oy <= oy + 16'd1; yb <= yb + $signed({14'd0, f_stride}); st <= S_WAIT;
                            if (oy_r + 4'd1 == pk) begin oy_r <= 4'd0; py <= py + 16'd1; end
                            else oy_r <= oy_r + 4'd1;
                        end
                    end else begin
                        ox <= ox + px_step; xb <= xb + $signed(xstep[17:0]);
                        st <= flat ? S_WAIT : S_ROW;           // a flat group may reach a new row
                        q0 <= q0 + {11'd0, q0_step}; r0 <= r0_next[3:0];
                    end
                end else begin
                    c_t <= c_t + 32'd1; st <= S_ROW;
                    if (is_conv) begin                          // taps: kh, kw, cw (cw innermost)
                        if (cw + 16'd1 < f_tap_cw) cw <= cw + 16'd1;
                        else begin
                            cw <= 16'd0;
                            if (kw + 16'd1 < kw_n) kw <= kw + 16'd1;
                            else begin kw <= 16'd0; kh <= kh + 16'd1; end
                        end
                    end else begin                              // words cw, then taps kh, kw (kw innermost)
                        if (kw + 16'd1 < kw_n) kw <= kw + 16'd1;
                        else begin
                            kw <= 16'd0;
                            if (kh + 16'd1 < kh_n) kh <= kh + 16'd1;
                            else begin kh <= 16'd0; cw <= cw + 16'd1; end
                        end
                    end
                end
            end
            if (st == S_DRAIN) begin
                if (drain == 32'd1) begin
                    st <= S_IDLE; busy <= 1'b0; done <= 1'b1; cycles <= t_cnt + 32'd1;
                end
                drain <= drain - 32'd1;
            end
        end
    end

    // ---------------- stage 0: tap addresses (pixel lane 0; lane p is column ox + p) ----------------
    wire signed [17:0] iy = yb + $signed({2'b00, kh});
    wire signed [17:0] ix = xb + $signed({2'b00, kw});
    // a grouped conv's group g reads its window of tap_cw words from word g*cw_step; words past in_cw
    // (the last window of a map whose channels are not a multiple of PO) read as padding
    wire [31:0] cw_abs = is_conv ? umul({16'd0, f_cw_step}, g) + {16'd0, cw} : {16'd0, cw};
    wire row_in = (iy >= 0) && (iy < $signed({2'b00, f_in_h})) && (cw_abs < {16'd0, f_in_cw});
    wire [17:0] iy_t = iy - $signed({2'b00, f_iy0});            // row in the tile (tap_in: >= 0)
    // residual rows streamed before input row iy_t: those j with j*stride + ic <= iy_t, i.e.
    // j <= jj - ceil((k - kh) / stride) for the taps of output row jj
    wire [4:0] behind = ({1'b0, f_k} - kh[4:0] + {1'b0, f_stride} - 5'd1) / {1'b0, f_stride};
    function [15:0] r_in_of;                                  // residual rows before row j's tap kh
        input [15:0] j;
        reg signed [16:0] raw;
        begin
            raw = $signed({1'b0, j}) - $signed({12'd0, behind}) + 17'sd1;
            r_in_of = !fused || raw < 0 ? 16'd0 : (raw > $signed({1'b0, f_oy1 - f_oy0})) ? f_oy1 - f_oy0 : raw[15:0];
        end
    endfunction
    wire [15:0] r_in = r_in_of(jj);
    wire [31:0] a_idx = is_add ? ox : umul(row_words, iy_t[15:0]) + umul(res_row_words, r_in)
                                      + umul({ {14{ix[17]}}, ix }, f_in_cw) + cw_abs + pre_words;
    // a flat group's lanes past the row's end compute row oy + 1 (its input row iy + stride, residual
    // row jj + 1, column ox + p - n_px)
    wire signed [17:0] iy_w = iy + $signed({14'd0, f_stride});
    wire row_in_w = (iy_w >= 0) && (iy_w < $signed({2'b00, f_in_h})) && (cw_abs < {16'd0, f_in_cw});
    wire [17:0] iy_tw = iy_t + {14'd0, f_stride};
    wire [31:0] a_row_w = umul(row_words, iy_tw[15:0]) + umul(res_row_words, r_in_of(jj + 16'd1)) + cw_abs + pre_words;
    wire [31:0] wrap_cols = umul(n_px, {12'd0, f_stride});   // input columns between a row's pixel and the next row's
    assign b_idx = is_mul ? {16'd0, cw} : f_words + ox;
    wire [31:0] lane_words = umul({28'd0, f_stride}, f_in_cw);    // input words between adjacent lanes' taps
    assign tap_v = issue && (!is_conv || c_t < kkc);
    assign tap_first = is_conv ? (c_t == 0) : is_add || (kh == 16'd0 && kw == 16'd0);
    wire tap_last = is_conv ? (c_t == kkc - 1) : is_add || (kh == kh_n - 16'd1 && kw == kw_n - 16'd1);
    assign px_v = tap_v && tap_last;
    assign frow = (oy_r == 4'd0);
    assign wrow = (oy_r + 4'd1 == pk);
    assign tw = (f_t_words > 16'd1) ? cw : 16'd0;
    wire [15:0] g3 = g % 16'd3;
    assign tb = g3[1:0];
    // output word address, write mask, residual word index of the pixel (conv: of lane 0) or word
    wire [31:0] pix = umul({16'd0, py}, f_out_w) + {16'd0, q0};
    wire [31:0] o_word0 = g * NWO;
    wire [31:0] r_row_w = r_row_of(jj + 16'd1);
    wire [31:0] o_addr = is_conv ? f_out_addr + (umul(pix, f_out_cw) + {16'd0, f_out_c0w} + o_word0) * PI :
                         is_add  ? f_out_addr + ox * PI :
                         is_tab  ? f_out_addr + (umul(pix, f_out_cw) + {16'd0, f_out_c0w} + {16'd0, cw}) * PI :
                                   f_out_addr + (umul(pix, f_in_cw) + {16'd0, cw}) * PI;
    wire [31:0] woff = pg ? 32'd0 : o_word0;                  // the group's first word in a stream pixel
    wire [31:0] r_idx = r_row_of(jj) + umul(ox, wg) + woff;
    wire unused_wrap = &{1'b0, iy_tw[17:16], wrap_cols[31:18]};
    integer oi;
    always @* for (oi = 0; oi < NWO; oi = oi + 1) o_wen[oi] = is_conv ? (o_word0 + oi < {16'd0, f_out_words}) : (oi == 0);
    // per pixel lane: input word index, tap inside the map, column valid, pooled column px = (ox + p) / pk,
    // its remainder rp, output address, residual word index
    genvar gp;
    generate for (gp = 0; gp < PP; gp = gp + 1) begin : lanes_tap
        wire [31:0] ldx = umul(gp, {12'd0, f_stride});
        wire signed [17:0] lx = ix + $signed({1'b0, ldx[16:0]});
        wire [4:0] s = {1'b0, r0} + gp;
        wire [4:0] dq = s / pk5;
        wire [4:0] rp = s % pk5;
        wire unused_l = &{1'b0, ldx[31:17], rp[4]};
        // a flat group's lane in the next row (at most one wrap: n_px >= PP)
        wire wrapped = flat && (ox + gp >= n_px);
        wire signed [17:0] lx_w = lx - $signed(wrap_cols[17:0]);
        wire [31:0] ox_w = ox + gp - n_px;
        assign l_in[gp] = wrapped ? row_in_w && (lx_w >= 0) && (lx_w < $signed({2'b00, f_in_w}))
                                  : row_in && (lx >= 0) && (lx < $signed({2'b00, f_in_w}));
        assign l_v[gp] = !lanes_px ? (gp == 0) : wrapped ? (oy + 16'd1 < row_hi) : (ox + gp < n_px);
        assign l_aidx[32 * gp +: 32] = wrapped ? a_row_w + umul({ {14{lx_w[17]}}, lx_w }, f_in_cw)
                                               : a_idx + lane_words * gp;
        assign l_px[16 * gp +: 16] = q0 + {11'd0, dq};
        assign l_rp[4 * gp +: 4] = rp[3:0];
        // the pixel's output address: with pk = 1 (every flat group) pixel + gp, also across the row's end
        assign l_oaddr[32 * gp +: 32] = o_addr + umul({16'd0, is_max ? f_in_cw : f_out_cw}, {11'd0, dq}) * PI;
        assign l_ridx[32 * gp +: 32] = wrapped ? r_row_w + umul(ox_w, wg) + woff : r_idx + umul(gp, wg);
    end endgenerate
endmodule
