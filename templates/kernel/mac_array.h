// {{ banner }}
// The PP x PO x PI MAC array: output-stationary over the pixel groups of the tile
// (PP adjacent output pixels x0 .. x0+PP-1 of a row); per group the reduction over
// (kh, kw, cw) runs in time, one cycle per tap: pixel lane p reads its own input word
// (from its copy of the input buffer) and multiplies it by the SAME PO x PI weights,
// so a weight row read feeds PP x PO x PI multiplies, packed two per DSP (dsp_pack.h).
#ifndef HLSGEN_MAC_ARRAY_H
#define HLSGEN_MAC_ARRAY_H

#include "dsp_pack.h"
#include "engine.h"
#include "tile_loader.h"

namespace hlsgen {

inline void mac_pixels(const uint8_t tile[PP][TILE_WORDS][PI], const int8_t w[W_ROWS][PO][PI],
                       const int32_t bias[PO], const Regs &r, hls::stream<acc_vec> &accs) {
    const int taps = r.k * r.k * r.in_cw;
    const int cols = conv_cols(r);
mac_pixel_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    mac_pixel_groups:
        for (int x0 = 0; x0 < cols; x0 += PP) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_px_groups }}
            int32_t acc[PP][PO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
        mac_init:
            for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                    acc[p][j] = bias[j];
                }
            }
            int kh = 0, kw = 0, cw = 0;
        mac_taps:
            for (int t = 0; t < taps; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ w_rows }}
            mac_pixel_lanes:
                for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                    // lanes past the row's last column (x0 + p >= cols) compute a pixel nobody writes
                    int16_t x[PI];
#pragma HLS ARRAY_PARTITION variable=x complete
                    tile_word(tile[p], r, oy * r.stride - r.pad_t + kh, (x0 + p) * r.stride - r.pad_l + kw, cw, x);
                mac_out_pairs:
                    for (int j = 0; j < PO; j += 2) {
#pragma HLS UNROLL
                        // output lanes j and j+1 share x: one DSP per input lane for the two (dsp_pack.h)
                        const bool pair = j + 1 < PO;
                        int32_t dot0 = 0, dot1 = 0;
                    mac_in_lanes:
                        for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                            // w[t] is read once and shared by the PP lanes
                            prod18_t p0, p1;
                            mul2(x[i], w[t][j][i], pair ? w[t][j + 1][i] : (int8_t)0, p0, p1);
                            dot0 += p0.to_int();
                            dot1 += p1.to_int();
                        }
                        acc[p][j] += dot0;
                        if (pair) acc[p][j + 1] += dot1;
                    }
                }
                if (++cw == (int)r.in_cw) {
                    cw = 0;
                    if (++kw == (int)r.k) {
                        kw = 0;
                        ++kh;
                    }
                }
            }
            acc_vec out;
        mac_emit:
            for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                    out.v[p][j] = acc[p][j];
                }
            }
            accs.write(out);
        }
    }
}

}  // namespace hlsgen

#endif
