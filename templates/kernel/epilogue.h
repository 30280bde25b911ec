// {{ banner }}
// Conv epilogue: integer requantization, clamp, the fused residual add, a fused table (each
// channel's byte through its 256-entry table), the fused max pool (window = stride = pool_k; never
// with the add), in E = EPI_LANES lanes (docs/ENGINE.md section 1, "Epilogue lanes").  A pixel
// group's PP x PO accumulators pass through the lanes in NC = EPI_PASSES consecutive cycles: pass c
// takes outputs c*E .. c*E+E-1 (output i = p*PO + j: pixel lane p, output channel j).  Only the
// unrolled lane loop is replicated hardware: E requantizers and add units, reused by every pass and
// pixel group of the pipelined loop (UG1399, "Loop Unrolling", "Pipelining Loops").  The pixel groups
// come in per-row segments (engine.h segment_groups): segment j holds the groups whose first pixel is in
// the tile's row j, so row j is complete after it; with flat pixel groups (ENGINE.md section 1, "Pixel
// groups") a segment's groups also hold the first pixels of row j+1, each lane taking its own pixel's
// row and column (lane_pixel).
#ifndef HLSGEN_EPILOGUE_H
#define HLSGEN_EPILOGUE_H

#include "engine.h"
#include "requant.h"

namespace hlsgen {

inline void epilogue(const word_t *act_rd, Regs r, hls::stream<scale_vec> &scales, hls::stream<trow_t> &trows,
                     hls::stream<acc_vec> &accs, hls::stream<out_vec> &outs) {
#pragma HLS INLINE off
    // Fused max pool: the running maxima of the pooled row being computed, one entry per pooled
    // pixel x PO channels.  A pixel group touches at most PP consecutive pooled pixels, so a
    // cyclic partition by PP gives each lane its own bank; the entry is (re)started by the
    // window's first conv output and holds the pooled result after its last one.
    static int16_t rowmax[POOL_COLS][PO];
#pragma HLS ARRAY_PARTITION variable=rowmax cyclic factor={{ pp }} dim=1
#pragma HLS ARRAY_PARTITION variable=rowmax complete dim=2
{% if add %}
    // Fused add: the residual words of the group's PO channels for two rows of the tile (row i in
    // resrow[i % 2]), each read once before the first segment that needs it in one sequential loop (one
    // act_rd read per cycle, runs of PO / PI consecutive words: bursts), not PP * PO / PI reads per
    // pipelined iteration.  Segment j needs row j and, flat, row j+1: before it, row j is read when
    // j == 0 and row j+1 flat (per row: row j), into the buffer row j-1 no longer needs.
    static uint8_t resrow[2][{{ max_cols }}][PO];
#pragma HLS ARRAY_PARTITION variable=resrow complete dim=1
#pragma HLS ARRAY_PARTITION variable=resrow cyclic factor={{ pp }} dim=2
#pragma HLS ARRAY_PARTITION variable=resrow complete dim=3
    const AddFactor ma = add_factor(r.add_ma), mb = add_factor(r.add_mb);
{% else %}
    (void)act_rd;  // no conv of this engine has a fused add (no add unit)
{% endif %}
    // Fused table: the group's PO tables (lane j's at tab[j]), read at the group's start.
    static uint8_t tab[PO][256];
#pragma HLS ARRAY_PARTITION variable=tab complete dim=1
    const int pk = r.pool_k > 1 ? (int)r.pool_k : 1;
    const int cols = conv_cols(r);
    const int rows = (int)r.oy1 - (int)r.oy0;
    const bool flat = flat_pixels(r);
epilogue_conv_groups:
    for (int group = 0; group < (int)r.groups; ++group) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const scale_vec scale = scales.read();
        if (r.tab_en) {
        epilogue_table:
            for (int e = 0; e < 256; ++e) {
#pragma HLS PIPELINE II=1
                const trow_t t = trows.read();
                for (int j = 0; j < PO; ++j) tab[j][e] = t.v[j];
            }
        }
        int x0 = 0;  // the column of the next pixel group's first pixel, in its row
    epilogue_rows:
        for (int sj = 0; sj < rows; ++sj) {  // segment sj: the pixel groups whose first pixel is in row sj
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
            const bool first_row = sj % pk == 0;
            const bool last = sj == rows - 1;
{% if add %}
            if (r.add_en) {
                // rows ra .. rb - 1 of the tile not read yet that segment sj needs (one or two)
                const int ra = flat && sj > 0 ? sj + 1 : sj;
                const int rb = flat && !last ? sj + 2 : sj + 1;
                const int n_words = (rb - ra) * cols * (PO / PI), w0 = group * (PO / PI);
                int rr = ra, ox = 0, s = 0;
            epilogue_residual_row:
                for (int n = 0; n < n_words; ++n) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ 2 * max_cols * po // pi }}
                    // the last group's words at or beyond out_words are padding: read a valid word instead
                    const int w = w0 + s < (int)r.out_words ? w0 + s : (int)r.out_words - 1;
                    const uint32_t pix = ((int)r.oy0 + rr) * r.out_w + ox;
                    const word_t b = act_rd[r.add_addr / PI + pix * r.out_words + w];
                    for (int i = 0; i < PI; ++i) resrow[rr & 1][ox][s * PI + i] = b.range(8 * i + 7, 8 * i).to_uint();
                    if (++s == PO / PI) {
                        s = 0;
                        if (++ox == cols) {
                            ox = 0;
                            ++rr;
                        }
                    }
                }
            }
{% endif %}
            // (pixel group x pass) as one pipelined loop: pass c of a pixel group takes its outputs
            // c*E .. c*E+E-1 through the E lanes; the group's accumulators are held from pass 0, its
            // result bytes collected and written at the last pass.
            int32_t held[PP][PO];
#pragma HLS ARRAY_PARTITION variable=held complete dim=0
            uint8_t y[PP][PO];
#pragma HLS ARRAY_PARTITION variable=y complete dim=0
            const int seg = segment_groups(r, sj);
            int c = 0;
        epilogue_passes:
            for (int n = 0; n < seg * EPI_PASSES; ++n) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_px_groups * epilogue_passes }}
                if (c == 0) {
                    const acc_vec acc = accs.read();
                    for (int p = 0; p < PP; ++p)
                        for (int j = 0; j < PO; ++j) held[p][j] = acc.v[p][j];
                }
            epilogue_lanes:
                for (int l = 0; l < EPI_LANES; ++l) {
#pragma HLS UNROLL
                    const int i = c * EPI_LANES + l;  // output i: pixel lane i / PO, output channel i % PO
                    const int p = i / PO, j = i % PO;
                    const lane_px lp = lane_pixel(flat, cols, last, x0, p);  // row sj, or sj + 1 (next)
                    const int ox = lp.col;
                    if (ox >= cols) {  // no pixel of the tile: nothing to write
                        y[p][j] = 0;
                        continue;
                    }
                    const int px = ox / pk;
                    const bool first = first_row && ox % pk == 0;
                    int32_t a = requant(held[p][j], scale.v[j], r.zy, r.lo, r.hi);
{% if add %}
                    if (r.add_en)
                        a = add_fma(a, lane_value(resrow[(sj & 1) ^ (lp.next ? 1 : 0)][ox][j], r.add_signed), ma, mb,
                                    r.add_k, r.add_wsh, r.add_sh, r.add_lo, r.add_hi);
{% endif %}
                    if (r.tab_en) a = lane_value(tab[j][a & 0xff], r.out_signed);
                    if (pk > 1) {
                        if (!first && rowmax[px][j] > a) a = rowmax[px][j];
                        rowmax[px][j] = (int16_t)a;
                    }
                    y[p][j] = (uint8_t)a;
                }
                if (++c == EPI_PASSES) {  // the pixel group's last pass: its PP x PO bytes to the writer
                    out_vec v;
                    for (int p = 0; p < PP; ++p)
                        for (int j = 0; j < PO; ++j) v.v[p][j] = y[p][j];
                    outs.write(v);
                    c = 0;
                    x0 = next_x0(flat, cols, x0);
                }
            }
        }
    }
}

}  // namespace hlsgen

#endif
