// {{ banner }}
// The PP x PO x PI MAC array: output-stationary over the pixel groups of the tile (ENGINE.md
// section 1, "Pixel groups": PP consecutive output pixels from column x0 of row oy; flat, i.e. without a
// fused pool and with rows at least PP wide, in row-major order over the tile, a group continuing into
// the next row past its row's end; else x0 .. x0+PP-1 of one row, each row its own groups, the lanes
// past its end idle); the reduction over (kh, kw, cw) runs in time, one cycle per tap: pixel lane p
// reads its own input word (from its copy of the input buffer) and multiplies it by the SAME PO x PI
// weights, so a weight row read feeds PP x PO x PI multiplies, packed two per DSP (dsp_pack.h).  Per
// output-channel group, (pixel group x tap) is ONE pipelined iteration space (the cycle model's c_px
// cycles per pixel group, no pipeline fill per pixel group): the accumulators restart from the bias at
// a group's first tap and are emitted at its last.  A grouped (depthwise) conv's group g reads only its
// window of tap_cw words from word g*cw_step.  The group's weights arrive from the weight feeder
// (conv_layer.h), which has loaded them while the previous group computed.
#ifndef HLSGEN_MAC_ARRAY_H
#define HLSGEN_MAC_ARRAY_H

#include "dsp_pack.h"
#include "engine.h"
#include "tile_loader.h"

namespace hlsgen {

inline void mac_pixels(const uint8_t tile[PP][TILE_WORDS][PI], Regs r, hls::stream<bias_vec> &biases,
                       hls::stream<wrow_t> &wrows, hls::stream<acc_vec> &accs) {
#pragma HLS INLINE off
    // The weights of the group being computed, all PO x PI of a tap readable in one cycle.
    static int8_t w[W_ROWS][PO][PI];
#pragma HLS ARRAY_PARTITION variable=w complete dim=2
#pragma HLS ARRAY_PARTITION variable=w complete dim=3
    const int taps = (int)(r.k * r.k * r.tap_cw);
    const int cols = conv_cols(r);
    const bool flat = flat_pixels(r);
    const int last = (int)r.oy1 - 1;
    const int steps = tile_px_groups(r) * taps;
mac_groups:
    for (int g = 0; g < (int)r.groups; ++g) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const bias_vec bias = biases.read();
    mac_weight_rows:
        for (int t = 0; t < taps; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ w_rows }}
            const wrow_t row = wrows.read();
            for (int j = 0; j < PO; ++j)
                for (int i = 0; i < PI; ++i) w[t][j][i] = row.v[j][i];
        }
        int32_t acc[PP][PO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
        int oy = (int)r.oy0, x0 = 0, t = 0, kh = 0, kw = 0, cw = 0;
    mac_steps:
        for (int s = 0; s < steps; ++s) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows * max_px_groups * w_rows }}
        mac_pixel_lanes:
            for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                // lane p's pixel: (oy, x0 + p), flat past the row's end (oy + 1, x0 + p - cols); lanes
                // with no pixel of the tile (column >= cols) compute a pixel nobody writes
                const lane_px l = lane_pixel(flat, cols, oy == last, x0, p);
                int16_t x[PI];
#pragma HLS ARRAY_PARTITION variable=x complete
                tile_word(tile[p], r, (oy + (l.next ? 1 : 0)) * r.stride - r.pad_t + kh,
                          l.col * r.stride - r.pad_l + kw, g * (int)r.cw_step + cw, x);
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
                    acc[p][j] = (t == 0 ? bias.v[j] : acc[p][j]) + dot0;
                    if (pair) acc[p][j + 1] = (t == 0 ? bias.v[j + 1] : acc[p][j + 1]) + dot1;
                }
            }
            if (t == taps - 1) {  // the pixel group's last tap: emit its PP x PO sums
                acc_vec out;
                for (int p = 0; p < PP; ++p)
                    for (int j = 0; j < PO; ++j) out.v[p][j] = acc[p][j];
                accs.write(out);
                t = kh = kw = cw = 0;
                if (x0 + PP >= cols) ++oy;  // the next group's first pixel is in the next row
                x0 = next_x0(flat, cols, x0);
            } else {
                ++t;
                if (++cw == (int)r.tap_cw) {
                    cw = 0;
                    if (++kw == (int)r.k) {
                        kw = 0;
                        ++kh;
                    }
                }
            }
        }
    }
}

}  // namespace hlsgen

#endif
