// {{ banner }}
// Weight buffer: one output-channel group's block of weights.bin
// (K*K*Cw rows of PO x PI int8 weights, then PO x (int32 bias', uint32 scale bits)
// at the next 64-byte boundary; docs/ENGINE.md section 3), unpacked from 64-byte beats.
#ifndef HLSGEN_WEIGHT_LOADER_H
#define HLSGEN_WEIGHT_LOADER_H

#include "engine.h"

namespace hlsgen {

inline void load_weights(const beat_t *wgt, uint32_t block_addr, uint32_t rows, int8_t w[W_ROWS][PO][PI],
                         int32_t bias[PO], uint32_t scale[PO]) {
    const uint32_t w_bytes = rows * PO * PI;
    const uint32_t c_base = (w_bytes + BEAT_BYTES - 1) / BEAT_BYTES * BEAT_BYTES;
    const uint32_t c_bytes = PO * 8;
    const uint32_t beats = (c_base + c_bytes + BEAT_BYTES - 1) / BEAT_BYTES;
    const uint32_t first = block_addr / BEAT_BYTES;
load_weights_beats:
    for (uint32_t b = 0; b < beats; ++b) {
#pragma HLS PIPELINE II=1
        beat_t beat = wgt[first + b];
    load_weights_bytes:
        for (int k = 0; k < BEAT_BYTES; ++k) {
#pragma HLS UNROLL
            const uint32_t flat = b * BEAT_BYTES + k;
            const uint32_t byte = beat.range(8 * k + 7, 8 * k).to_uint();
            if (flat < w_bytes) {
                const uint32_t row = flat / (PO * PI), rest = flat % (PO * PI);
                w[row][rest / PI][rest % PI] = (int8_t)byte;
            } else if (flat >= c_base && flat < c_base + c_bytes) {
                const uint32_t c = flat - c_base, j = c / 8, part = c % 8, sh = 8 * (part % 4);
                const uint32_t keep = ~(0xffu << sh);
                if (part < 4)
                    bias[j] = (int32_t)(((uint32_t)bias[j] & keep) | (byte << sh));
                else
                    scale[j] = (scale[j] & keep) | (byte << sh);
            }
        }
    }
}

}  // namespace hlsgen

#endif
