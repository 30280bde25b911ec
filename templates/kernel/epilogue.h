// {{ banner }}
// Conv epilogue, per pixel lane: integer requantization, clamp, and the fused residual
// add or the fused max pool (window = stride = pool_k, never both).
#ifndef HLSGEN_EPILOGUE_H
#define HLSGEN_EPILOGUE_H

#include "engine.h"
#include "requant.h"

namespace hlsgen {

inline void epilogue(const word_t *act_rd, const uint32_t scale[PO], const Regs &r, int group,
                     hls::stream<acc_vec> &accs, hls::stream<out_vec> &outs) {
    // Fused max pool: the running maxima of the pooled row being computed, one entry per pooled
    // pixel x PO channels.  A pixel group touches at most PP consecutive pooled pixels, so a
    // cyclic partition by PP gives each lane its own bank; the entry is (re)started by the
    // window's first conv output and holds the pooled result after its last one.
    static int16_t rowmax[POOL_COLS][PO];
#pragma HLS ARRAY_PARTITION variable=rowmax cyclic factor={{ pp }} dim=1
#pragma HLS ARRAY_PARTITION variable=rowmax complete dim=2
    const int w0 = group * (PO / PI);
    const int pk = r.pool_k > 1 ? (int)r.pool_k : 1;
    const int cols = conv_cols(r);
epilogue_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
        const bool first_row = (oy - (int)r.oy0) % pk == 0;
    epilogue_groups:
        for (int x0 = 0; x0 < cols; x0 += PP) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_px_groups }}
            const acc_vec acc = accs.read();
            out_vec y = {};
        epilogue_pixel_lanes:
            for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                const int ox = x0 + p;
                if (ox >= cols) continue;  // past the row: nothing to write
                uint8_t res[PO];
#pragma HLS ARRAY_PARTITION variable=res complete
                if (r.add_en) {
                    const uint32_t pixel = r.add_addr / PI + (oy * r.out_w + ox) * r.out_words;
                epilogue_residual:
                    for (int s = 0; s < PO / PI; ++s) {
#pragma HLS UNROLL
                        const word_t b = w0 + s < (int)r.out_words ? act_rd[pixel + w0 + s] : word_t(0);
                        for (int i = 0; i < PI; ++i) res[s * PI + i] = b.range(8 * i + 7, 8 * i).to_uint();
                    }
                }
                const int px = ox / pk;
                const bool first = first_row && ox % pk == 0;
            epilogue_lanes:
                for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                    int32_t a = requant(acc.v[p][j], scale[j], r.zy, r.lo, r.hi);
                    if (r.add_en)
                        a = add_fma(a, lane_value(res[j], r.add_signed), r.add_ma, r.add_mb, r.add_k, r.add_wsh,
                                    r.add_sh, r.add_lo, r.add_hi);
                    if (pk > 1) {
                        if (!first && rowmax[px][j] > a) a = rowmax[px][j];
                        rowmax[px][j] = (int16_t)a;
                    }
                    y.v[p][j] = (uint8_t)a;
                }
            }
            outs.write(y);
        }
    }
}

}  // namespace hlsgen

#endif
