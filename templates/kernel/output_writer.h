// {{ banner }}
// Output writer: a group's PO result bytes per pixel into the output map's words.
// Words beyond out_words are not written; a word the group covers only partly
// (PO not a multiple of PI) is merged with what earlier groups wrote.
#ifndef HLSGEN_OUTPUT_WRITER_H
#define HLSGEN_OUTPUT_WRITER_H

#include "engine.h"
#include "epilogue.h"

namespace hlsgen {

inline void write_outputs(const word_t *act_rd, word_t *act_wr, const Regs &r, int group,
                          hls::stream<out_vec> &outs) {
    const int c0 = group * PO;
write_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    write_cols:
        for (int ox = 0; ox < (int)r.out_w; ++ox) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols }}
            out_vec y = outs.read();
            const uint32_t pixel = r.out_addr / PI + (oy * r.out_w + ox) * r.out_cw + r.out_c0w;
        write_words:
            for (int s = 0; s < SPAN_WORDS; ++s) {
#pragma HLS UNROLL
                const int w = c0 / PI + s;
                if (w * PI >= c0 + PO || w >= (int)r.out_words) continue;
                const bool whole = w * PI >= c0 && (w + 1) * PI <= c0 + PO;
                word_t x = whole ? word_t(0) : act_rd[pixel + w];
                for (int i = 0; i < PI; ++i) {
                    const int j = w * PI + i - c0;
                    if (j >= 0 && j < PO) x.range(8 * i + 7, 8 * i) = y.v[j];
                }
                act_wr[pixel + w] = x;
            }
        }
    }
}

}  // namespace hlsgen

#endif
