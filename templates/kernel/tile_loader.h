// {{ banner }}
// Input buffer: rows of a feature map streamed from act_rd and held as bytes,
// so every output-channel group (and every pool window) reuses them.  It is
// replicated PP times (engine.h tile_t): each loaded word goes into every copy in
// the same cycle, and pixel lane p reads copy p only.
#ifndef HLSGEN_TILE_LOADER_H
#define HLSGEN_TILE_LOADER_H

#include "engine.h"

namespace hlsgen {

// Load input rows iy0..iy1-1 (whole rows: in_w * in_cw words each) of the map at in_addr.
inline void load_tile(const word_t *act_rd, const Regs &r, uint8_t tile[PP][TILE_WORDS][PI]) {
    const uint32_t row_words = r.in_w * r.in_cw;
    const uint32_t first = r.in_addr / PI + r.iy0 * row_words;
    const uint32_t n = (r.iy1 - r.iy0) * row_words;
load_tile_words:
    for (uint32_t w = 0; w < n; ++w) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ tile_words }}
        word_t x = act_rd[first + w];
    load_tile_copies:
        for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
        load_tile_lanes:
            for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                tile[p][w][i] = x.range(8 * i + 7, 8 * i).to_uint();
            }
        }
    }
}

// Word cw of input pixel (iy, ix) as PI lane values, from one copy of the buffer;
// taps outside the map (or past its in_cw words: a grouped conv's last window) read zx.
inline void tile_word(const uint8_t copy[TILE_WORDS][PI], const Regs &r, int iy, int ix, int cw,
                      int16_t x[PI]) {
#pragma HLS INLINE
    const bool inside = iy >= 0 && iy < (int)r.in_h && ix >= 0 && ix < (int)r.in_w && cw < (int)r.in_cw;
    const uint32_t w = ((iy - (int)r.iy0) * r.in_w + ix) * r.in_cw + cw;
tile_word_lanes:
    for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
        x[i] = inside ? lane_value(copy[w][i], r.in_signed) : (int16_t)r.zx;
    }
}

}  // namespace hlsgen

#endif
