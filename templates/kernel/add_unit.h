// {{ banner }}
// Vector unit, elementwise add: y = clamp(rne(fma(a, ra, fma(b, rb, k))), lo, hi)
// in integer logic (add_fma), PI lanes per cycle.
#ifndef HLSGEN_ADD_UNIT_H
#define HLSGEN_ADD_UNIT_H

#include "engine.h"
#include "requant.h"

namespace hlsgen {

// Operand a is read a chunk at a time into a buffer, then b streams past it: every pipelined
// iteration reads act_rd once, and both operands are read in sequential runs (bursts).
const int ADD_CHUNK = 64;

inline void add_layer(const word_t *act_rd, word_t *act_wr, Regs r) {
    word_t abuf[ADD_CHUNK];
    const AddFactor ma = add_factor(r.add_ma), mb = add_factor(r.add_mb);
add_chunks:
    for (uint32_t c0 = 0; c0 < r.words; c0 += ADD_CHUNK) {
#pragma HLS LOOP_TRIPCOUNT max={{ (tile_words + 63) // 64 }}
        const uint32_t n = r.words - c0 < (uint32_t)ADD_CHUNK ? r.words - c0 : (uint32_t)ADD_CHUNK;
    add_read_a:
        for (uint32_t k = 0; k < n; ++k) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max=64
            abuf[k] = act_rd[r.a_addr / PI + c0 + k];
        }
    add_words:
        for (uint32_t k = 0; k < n; ++k) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max=64
            const word_t a = abuf[k], b = act_rd[r.b_addr / PI + c0 + k];
            word_t y = 0;
        add_lanes:
            for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                y.range(8 * i + 7, 8 * i) = (uint8_t)add_fma(lane_value(a.range(8 * i + 7, 8 * i).to_uint(), r.a_signed),
                                                             lane_value(b.range(8 * i + 7, 8 * i).to_uint(), r.b_signed),
                                                             ma, mb, r.add_k, r.add_wsh, r.add_sh, r.lo, r.hi);
            }
            act_wr[r.out_addr / PI + c0 + k] = y;
        }
    }
}

}  // namespace hlsgen

#endif
