// {{ banner }}
// Vector unit, elementwise add: y = clamp(rne(fma(a, ra, fma(b, rb, k))), lo, hi)
// in integer logic (add_fma), PI lanes per cycle.
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
            y.range(8 * i + 7, 8 * i) = (uint8_t)add_fma(lane_value(a.range(8 * i + 7, 8 * i).to_uint(), r.a_signed),
                                                         lane_value(b.range(8 * i + 7, 8 * i).to_uint(), r.b_signed),
                                                         r.add_ma, r.add_mb, r.add_k, r.add_wsh, r.add_sh, r.lo, r.hi);
        }
        act_wr[r.out_addr / PI + w] = y;
    }
}

}  // namespace hlsgen

#endif
