// {{ banner }}
// Output writer: per pixel group, the PO result bytes of every pixel lane whose pixel is
// complete (all of them, or with a fused max pool the lanes that end a pooling window, which
// write the pooled pixel) into PO / PI whole words of the output map; words at or beyond
// out_words (the last group's padding) and lanes past the row are not written.  A group issues
// up to PP * PO / PI words on act_wr: the timing contract's ceil(PP*PO/BO) term of c_px.
#ifndef HLSGEN_OUTPUT_WRITER_H
#define HLSGEN_OUTPUT_WRITER_H

#include "engine.h"

namespace hlsgen {

inline void write_outputs(word_t *act_wr, Regs r, hls::stream<out_vec> &outs) {
#pragma HLS INLINE off
    const int pk = r.pool_k > 1 ? (int)r.pool_k : 1;
    const int cols = conv_cols(r);
write_conv_groups:
    for (int group = 0; group < (int)r.groups; ++group) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const int w0 = group * (PO / PI);
    write_rows:
        for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
        write_groups:
            for (int x0 = 0; x0 < cols; x0 += PP) {
#pragma HLS PIPELINE II={{ pp * po // pi }}
#pragma HLS LOOP_TRIPCOUNT max={{ max_px_groups }}
                const out_vec y = outs.read();
            write_pixel_lanes:
                for (int p = 0; p < PP; ++p) {
                    const int ox = x0 + p;
                    if (ox >= cols || !pixel_complete(r, oy, ox)) continue;
                    const uint32_t pixel = r.out_addr / PI + ((oy / pk) * r.out_w + ox / pk) * r.out_cw + r.out_c0w;
                write_words:
                    for (int s = 0; s < PO / PI; ++s) {
                        if (w0 + s >= (int)r.out_words) continue;
                        word_t x;
                        for (int i = 0; i < PI; ++i) x.range(8 * i + 7, 8 * i) = y.v[p][s * PI + i];
                        act_wr[pixel + w0 + s] = x;
                    }
                }
            }
        }
    }
}

}  // namespace hlsgen

#endif
