// {{ banner }}
// Vector unit, tables: an element-wise function of one tensor (a sigmoid, a hard-swish, a float
// BatchNorm, a concat's requantization) as 256-entry tables, computed when the plan was made.
// Lane i of word cw reads its byte's entry in table word (t_words > 1 ? cw : 0), lane i; the
// tables stream from weights.bin first (for each table word, for each lane, 256 bytes), then the
// rows of the input map, one word per cycle; the output word goes to its channel slice of the
// output map (out_c0w of out_cw words: a concat's slice).
#ifndef HLSGEN_TABLE_UNIT_H
#define HLSGEN_TABLE_UNIT_H

#include "engine.h"

namespace hlsgen {

const int T_WORDS = {{ t_words }};            // table words the largest table layer needs

inline void load_tables(const wline_t *src, const Regs &r, uint8_t tbl[PI][T_WORDS * 256]) {
    const uint32_t lines = r.t_words * PI * 256 / W_LINE_BYTES;
    const uint32_t first = r.w_addr / W_LINE_BYTES;
load_tables_lines:
    for (uint32_t b = 0; b < lines; ++b) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ t_words * pi * 256 // w_line_bytes }}
        const wline_t line = src[first + b];
    load_tables_bytes:
        for (int k = 0; k < W_LINE_BYTES; ++k) {
#pragma HLS UNROLL
            const uint32_t flat = b * W_LINE_BYTES + k;
            tbl[(flat / 256) % PI][flat / (PI * 256) * 256 + flat % 256] = line.range(8 * k + 7, 8 * k).to_uint();
        }
    }
}

// The rows oy0..oy1-1 held in the input buffer (copy 0), one word per cycle, through the tables.
inline void table_rows(word_t *act_wr, const Regs &r, const uint8_t tbl[PI][T_WORDS * 256],
                       const uint8_t tile[TILE_WORDS][PI]) {
table_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    table_words:
        for (uint32_t t = 0; t < r.out_w * r.in_cw; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols * max_cw }}
            const uint32_t ox = t / r.in_cw, cw = t % r.in_cw;
            const uint32_t tw = r.t_words > 1 ? cw : 0;
            const uint32_t w = (oy - (int)r.iy0) * r.in_w * r.in_cw + t;
            word_t y = 0;
        table_lanes:
            for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                y.range(8 * i + 7, 8 * i) = tbl[i][tw * 256 + tile[w][i]];
            }
            act_wr[r.out_addr / PI + (oy * r.out_w + ox) * r.out_cw + r.out_c0w + cw] = y;
        }
    }
}

}  // namespace hlsgen

#endif
