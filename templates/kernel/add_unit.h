// {{ banner }}
// Vector unit, elementwise add: y = clamp(((t + r) >> s) + zy, lo, hi) with
// t = (a - za)*m_a + (b - zb)*m_b, PI lanes per cycle.
#ifndef HLSGEN_ADD_UNIT_H
#define HLSGEN_ADD_UNIT_H

#include "engine.h"
#include "requant.h"

namespace hlsgen {

inline void add_layer(const word_t *act_rd, word_t *act_wr, const Regs &r) {
add_words:
    for (uint32_t w = 0; w < r.words; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ tile_words }}
        const word_t a = act_rd[r.a_addr / PI + w], b = act_rd[r.b_addr / PI + w];
        word_t y = 0;
    add_lanes:
        for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
            const int64_t t = (int64_t)(lane_value(a.range(8 * i + 7, 8 * i).to_uint(), r.a_signed) - r.za) * r.m_a +
                              (int64_t)(lane_value(b.range(8 * i + 7, 8 * i).to_uint(), r.b_signed) - r.zb) * r.m_b;
            y.range(8 * i + 7, 8 * i) = (uint8_t)affine(t, r.r, r.s, r.zy, r.lo, r.hi);
        }
        act_wr[r.out_addr / PI + w] = y;
    }
}

}  // namespace hlsgen

#endif
