// {{ banner }}
// Conv epilogue: integer requantization, clamp, the fused residual add, a fused table (each
// channel's byte through its 256-entry table), the fused max pool (window = stride = pool_k; never
// with the add), in E = EPI_LANES lanes (docs/ENGINE.md section 1, "Epilogue lanes").  A pixel
// group's PP x PO accumulators pass through the lanes in NC = EPI_PASSES consecutive cycles: pass c
// takes outputs c*E .. c*E+E-1 (output i = p*PO + j: pixel lane p, output channel j).  Only the
// unrolled lane loop is replicated hardware: E requantizers and add units, reused by every pass and
// pixel group of the pipelined loop (UG1399, "Loop Unrolling", "Pipelining Loops").
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
    // Fused add: the residual words of the group's PO channels for the row being computed, read
    // before the row's pixels in one sequential loop (one act_rd read per cycle, runs of PO / PI
    // consecutive words: bursts), not PP * PO / PI reads per pipelined iteration.
    static uint8_t resrow[{{ max_cols }}][PO];
#pragma HLS ARRAY_PARTITION variable=resrow cyclic factor={{ pp }} dim=1
#pragma HLS ARRAY_PARTITION variable=resrow complete dim=2
    // Fused table: the group's PO tables (lane j's at tab[j]), read at the group's start.
    static uint8_t tab[PO][256];
#pragma HLS ARRAY_PARTITION variable=tab complete dim=1
    const int pk = r.pool_k > 1 ? (int)r.pool_k : 1;
    const int cols = conv_cols(r);
    const int px_groups = (cols + PP - 1) / PP;
    const AddFactor ma = add_factor(r.add_ma), mb = add_factor(r.add_mb);
epilogue_conv_groups:
    for (int group = 0; group < (int)r.groups; ++group) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const scale_vec scale = scales.read();
        const int w0 = group * (PO / PI);
        if (r.tab_en) {
        epilogue_table:
            for (int e = 0; e < 256; ++e) {
#pragma HLS PIPELINE II=1
                const trow_t t = trows.read();
                for (int j = 0; j < PO; ++j) tab[j][e] = t.v[j];
            }
        }
    epilogue_rows:
        for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
            const bool first_row = (oy - (int)r.oy0) % pk == 0;
            if (r.add_en) {
                const uint32_t row = r.add_addr / PI + oy * r.out_w * r.out_words;
            epilogue_residual_row:
                for (int n = 0; n < cols * (PO / PI); ++n) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols * po // pi }}
                    const int ox = n / (PO / PI), s = n % (PO / PI);
                    // the last group's words at or beyond out_words are padding: read a valid word instead
                    const int w = w0 + s < (int)r.out_words ? w0 + s : (int)r.out_words - 1;
                    const word_t b = act_rd[row + ox * r.out_words + w];
                    for (int i = 0; i < PI; ++i) resrow[ox][s * PI + i] = b.range(8 * i + 7, 8 * i).to_uint();
                }
            }
            // (pixel group x pass) as one pipelined loop: pass c of a pixel group takes its outputs
            // c*E .. c*E+E-1 through the E lanes; the group's accumulators are held from pass 0, its
            // result bytes collected and written at the last pass.
            int32_t held[PP][PO];
#pragma HLS ARRAY_PARTITION variable=held complete dim=0
            uint8_t y[PP][PO];
#pragma HLS ARRAY_PARTITION variable=y complete dim=0
            int c = 0, x0 = 0;
        epilogue_passes:
            for (int n = 0; n < px_groups * EPI_PASSES; ++n) {
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
                    const int ox = x0 + p;
                    if (ox >= cols) {  // past the row: nothing to write
                        y[p][j] = 0;
                        continue;
                    }
                    const int px = ox / pk;
                    const bool first = first_row && ox % pk == 0;
                    int32_t a = requant(held[p][j], scale.v[j], r.zy, r.lo, r.hi);
                    if (r.add_en)
                        a = add_fma(a, lane_value(resrow[ox][j], r.add_signed), ma, mb, r.add_k, r.add_wsh, r.add_sh,
                                    r.add_lo, r.add_hi);
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
                    x0 += PP;
                }
            }
        }
    }
}

}  // namespace hlsgen

#endif
