// {{ banner }}
// Vector unit: {% if maxpool %}max pool over PP x PI lanes, {% endif %}{% if avgpool %}average pool and {% endif %}global average pool over PI lanes{% if t_words %}, and tables
// (table_unit.h){% endif %}, one input word per cycle, from rows held in the input buffer (its copy 0).
// gavgpool: the integer sum, requantized like a conv accumulator (scale = its f32 bits);
// avgpool: the float32 path in integer logic (avg_tap per tap, avg_out), divisor count,
// or the number of taps inside the map when count is 0.
#ifndef HLSGEN_POOL_UNIT_H
#define HLSGEN_POOL_UNIT_H

#include "engine.h"
#include "requant.h"
#include "tile_loader.h"
{% if t_words %}
#include "table_unit.h"
{% endif %}

namespace hlsgen {

{% if maxpool %}
// Max pool on PP pixel lanes (ENGINE.md section 1, "Vector unit"): ceil(out_w/PP) groups per row, lane p
// takes output column x0 + p from copy p of the input buffer; lanes past out_w write nothing.
inline void max_pool_rows(word_t *act_wr, const Regs &r, uint8_t tile[PP][TILE_WORDS][PI]) {
    const int k = (int)r.k, stride = (int)r.stride, pad_t = (int)r.pad_t, pad_l = (int)r.pad_l;
max_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    max_groups:
        for (int x0 = 0; x0 < (int)r.out_w; x0 += PP) {
#pragma HLS LOOP_TRIPCOUNT max={{ (max_cols + pp - 1) // pp }}
        max_words:
            for (int cw = 0; cw < (int)r.in_cw; ++cw) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_cw }}
                int16_t best[PP][PI];
#pragma HLS ARRAY_PARTITION variable=best complete dim=0
            max_init:
                for (int p = 0; p < PP; ++p)
                    for (int i = 0; i < PI; ++i) best[p][i] = -(1 << 14);
            max_taps:
                for (int t = 0; t < k * k; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_pool_taps }}
                    const int iy = oy * stride - pad_t + t / k;
                max_lanes:
                    for (int p = 0; p < PP; ++p) {
#pragma HLS UNROLL
                        const int ix = (x0 + p) * stride - pad_l + t % k;
                        if (x0 + p >= (int)r.out_w || iy < 0 || iy >= (int)r.in_h || ix < 0 || ix >= (int)r.in_w)
                            continue;
                        int16_t x[PI];
                        tile_word(tile[p], r, iy, ix, cw, x);
                        for (int i = 0; i < PI; ++i) best[p][i] = x[i] > best[p][i] ? x[i] : best[p][i];
                    }
                }
            max_write:
                for (int p = 0; p < PP; ++p) {
#pragma HLS PIPELINE II=1
                    if (x0 + p < (int)r.out_w) {
                        word_t y = 0;
                        for (int i = 0; i < PI; ++i) y.range(8 * i + 7, 8 * i) = (uint8_t)best[p][i];
                        act_wr[r.out_addr / PI + (oy * r.out_w + x0 + p) * r.in_cw + cw] = y;
                    }
                }
            }
        }
    }
}
{% endif %}

inline void pool_layer(const word_t *act_rd, word_t *act_wr, const wline_t *src, Regs r, int kind,
                       uint8_t tile[PP][TILE_WORDS][PI]) {
{% if t_words %}
    static uint8_t tbl[PI][T_WORDS * 256];
#pragma HLS ARRAY_PARTITION variable=tbl complete dim=1
    if (kind == KIND_TABLE) load_tables(src, r, tbl);
{% else %}
    (void)src;
{% endif %}
{% if mul %}
    // mul: the vector's words (one per word of the map's pixels) ahead of the rows
    word_t vec[{{ max_cw }}];
    if (kind == KIND_MUL) {
    load_vector:
        for (uint32_t cw = 0; cw < r.in_cw; ++cw) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cw }}
            vec[cw] = act_rd[r.b_addr / PI + cw];
        }
    }
{% endif %}
    load_tile(act_rd, r, tile);
{% if t_words %}
    if (kind == KIND_TABLE) {
        table_rows(act_wr, r, tbl, tile[0]);
        return;
    }
{% endif %}
{% if mul %}
    if (kind == KIND_MUL) {
    mul_rows:
        for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
        mul_words:
            for (uint32_t t = 0; t < r.out_w * r.in_cw; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols * max_cw }}
                const uint32_t ox = t / r.in_cw, cw = t % r.in_cw;
                int16_t x[PI];
                tile_word(tile[0], r, oy, ox, cw, x);
                const word_t v = vec[cw];
                word_t y = 0;
            mul_lanes:
                for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                    const int32_t b = lane_value(v.range(8 * i + 7, 8 * i).to_uint(), r.b_signed);
                    y.range(8 * i + 7, 8 * i) = (uint8_t)mul_int(x[i], b, r.zx, r.zb, r.scale, r.zy, r.lo, r.hi);
                }
                act_wr[r.out_addr / PI + (oy * r.out_w + ox) * r.in_cw + cw] = y;
            }
        }
        return;
    }
{% endif %}
{% if maxpool %}
    if (kind == KIND_MAXPOOL) {
        max_pool_rows(act_wr, r, tile);
        return;
    }
{% endif %}
    const bool global = kind == KIND_GAVGPOOL;
    const int kh_n = global ? (int)r.in_h : (int)r.k, kw_n = global ? (int)r.in_w : (int)r.k;
    const int stride = global ? 1 : (int)r.stride, pad_t = global ? 0 : (int)r.pad_t,
              pad_l = global ? 0 : (int)r.pad_l;
{% if avgpool %}
    ap_uint<64> msx;
    int esx;
    f32_parts(r.scale, msx, esx);  // avgpool: the input scale's significand; avg_out adds the exponents
    (void)esx;
{% endif %}
pool_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    pool_cols:
        for (int ox = 0; ox < (int)r.out_w; ++ox) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols }}
        pool_words:
            for (int cw = 0; cw < (int)r.in_cw; ++cw) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_cw }}
                int32_t sum[PI];
#pragma HLS ARRAY_PARTITION variable=sum complete
{% if avgpool %}
                int64_t fsum[PI];
#pragma HLS ARRAY_PARTITION variable=fsum complete
                uint32_t valid = 0;
{% endif %}
            pool_init:
                for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                    sum[i] = 0;
{% if avgpool %}
                    fsum[i] = 0;
{% endif %}
                }
            pool_taps:
                for (int t = 0; t < kh_n * kw_n; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_pool_taps }}
                    const int iy = oy * stride - pad_t + t / kw_n, ix = ox * stride - pad_l + t % kw_n;
                    if (iy < 0 || iy >= (int)r.in_h || ix < 0 || ix >= (int)r.in_w) continue;
                    int16_t x[PI];
                    tile_word(tile[0], r, iy, ix, cw, x);
{% if avgpool %}
                    ++valid;
{% endif %}
                pool_lanes:
                    for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
                        sum[i] += x[i] - r.zx;
{% if avgpool %}
                        if (kind == KIND_AVGPOOL) fsum[i] = avg_tap(fsum[i], x[i] - r.zx, msx);
{% endif %}
                    }
                }
                word_t y = 0;
            pool_out_lanes:
                for (int i = 0; i < PI; ++i) {
#pragma HLS UNROLL
{% if avgpool %}
                    const int32_t q = kind == KIND_GAVGPOOL ? requant(sum[i], r.scale, r.zy, r.lo, r.hi)
                                      : avg_out(fsum[i], r.count ? r.count : valid, r.scale, r.y_scale, r.y_recip, r.zy,
                                                r.lo, r.hi);
{% else %}
                    const int32_t q = requant(sum[i], r.scale, r.zy, r.lo, r.hi);  // gavgpool: no average pool here
{% endif %}
                    y.range(8 * i + 7, 8 * i) = (uint8_t)q;
                }
                act_wr[r.out_addr / PI + (oy * r.out_w + ox) * r.in_cw + cw] = y;
            }
        }
    }
}

}  // namespace hlsgen

#endif
