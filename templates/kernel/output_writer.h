// {{ banner }}
// Output writer: a group's PO result bytes per pixel into PO / PI whole words of
// the output map; words at or beyond out_words (the last group's padding) are not written.
#ifndef HLSGEN_OUTPUT_WRITER_H
#define HLSGEN_OUTPUT_WRITER_H

#include "engine.h"

namespace hlsgen {

inline void write_outputs(word_t *act_wr, const Regs &r, int group, hls::stream<out_vec> &outs) {
    const int w0 = group * (PO / PI);
write_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    write_cols:
        for (int ox = 0; ox < (int)r.out_w; ++ox) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols }}
            const out_vec y = outs.read();
            const uint32_t pixel = r.out_addr / PI + (oy * r.out_w + ox) * r.out_cw + r.out_c0w;
        write_words:
            for (int s = 0; s < PO / PI; ++s) {
#pragma HLS UNROLL
                if (w0 + s >= (int)r.out_words) continue;
                word_t x;
                for (int i = 0; i < PI; ++i) x.range(8 * i + 7, 8 * i) = y.v[s * PI + i];
                act_wr[pixel + w0 + s] = x;
            }
        }
    }
}

}  // namespace hlsgen

#endif
