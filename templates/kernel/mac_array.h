// {{ banner }}
// The PO x PI MAC array: output-stationary over the pixels of the tile; per pixel
// the reduction over (kh, kw, cw) runs in time, one input word per cycle.
#ifndef HLSGEN_MAC_ARRAY_H
#define HLSGEN_MAC_ARRAY_H

#include "engine.h"
#include "tile_loader.h"

namespace hlsgen {

inline void mac_pixels(const uint8_t tile[TILE_WORDS][PI], const int8_t w[W_ROWS][PO][PI],
                       const int32_t bias[PO], const Regs &r, hls::stream<acc_vec> &accs) {
    const int taps = r.k * r.k * r.in_cw;
mac_pixel_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    mac_pixel_cols:
        for (int ox = 0; ox < (int)r.out_w; ++ox) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols }}
            int32_t acc[PO];
#pragma HLS ARRAY_PARTITION variable=acc complete
        mac_init:
            for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                acc[j] = bias[j];
            }
            int kh = 0, kw = 0, cw = 0;
        mac_taps:
            for (int t = 0; t < taps; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ w_rows }}
                int16_t x[PI];
#pragma HLS ARRAY_PARTITION variable=x complete
                tile_word(tile, r, oy * r.stride - r.pad_t + kh, ox * r.stride - r.pad_l + kw, cw, x);
            mac_out_lanes:
                for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                    int32_t dot = 0;
                mac_in_lanes:
                    for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                        dot += x[i] * w[t][j][i];
                    }
                    acc[j] += dot;
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
            for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                out.v[j] = acc[j];
            }
            accs.write(out);
        }
    }
}

}  // namespace hlsgen

#endif
