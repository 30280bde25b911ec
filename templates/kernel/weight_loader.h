// {{ banner }}
// Weight buffer: one output-channel group's block of weights.bin
// (K*K*Cw rows of PO x PI int8 weights, then PO x (int32 bias', uint32 scale bits)
// at the next 64-byte boundary; docs/ENGINE.md section 3), unpacked from W_LINE_BYTES-byte
// lines: the resident store's (filled once by preload_weights) or the weight port's beats.
#ifndef HLSGEN_WEIGHT_LOADER_H
#define HLSGEN_WEIGHT_LOADER_H

#include "engine.h"

namespace hlsgen {

{% if resident %}
// Preload: copy weights.bin (LINES store lines) from the weight port into the store, one beat
// per cycle; runs once per model, before the first frame.
inline void preload_weights(const beat_t *wgt, uint32_t lines, wline_t store[W_STORE_LINES]) {
    const int per_line = W_LINE_BYTES / BEAT_BYTES;
    wline_t line = 0;
preload_beats:
    for (uint32_t b = 0; b < lines * per_line; ++b) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ w_store_lines * (w_line_bytes // 64) }}
        const int part = b % per_line;
        line.range(8 * BEAT_BYTES * part + 8 * BEAT_BYTES - 1, 8 * BEAT_BYTES * part) = wgt[b];
        if (part == per_line - 1) store[b / per_line] = line;
    }
}

{% endif %}
inline void load_weights(const wline_t *src, uint32_t block_addr, uint32_t rows, bool tab_en,
                         int8_t w[W_ROWS][PO][PI], int32_t bias[PO], uint32_t scale[PO], uint8_t tab[PO][256]) {
    const uint32_t w_bytes = rows * PO * PI;
    const uint32_t c_base = (w_bytes + BEAT_BYTES - 1) / BEAT_BYTES * BEAT_BYTES;
    const uint32_t c_bytes = PO * 8;
    const uint32_t t_base = c_base + (c_bytes + BEAT_BYTES - 1) / BEAT_BYTES * BEAT_BYTES;  // a fused table's rows
    const uint32_t end = tab_en ? t_base + PO * 256 : c_base + c_bytes;
    const uint32_t lines = (end + W_LINE_BYTES - 1) / W_LINE_BYTES;
    const uint32_t first = block_addr / W_LINE_BYTES;
load_weights_lines:
    for (uint32_t b = 0; b < lines; ++b) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ (w_rows * po * pi + 63) // 64 * 64 // w_line_bytes + (po * 8 + w_line_bytes - 1) // w_line_bytes + po * 256 // w_line_bytes + 2 }}
        wline_t line = src[first + b];
    load_weights_bytes:
        for (int k = 0; k < W_LINE_BYTES; ++k) {
#pragma HLS UNROLL
            const uint32_t flat = b * W_LINE_BYTES + k;
            const uint32_t byte = line.range(8 * k + 7, 8 * k).to_uint();
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
            } else if (tab_en && flat >= t_base && flat < t_base + PO * 256) {
                tab[(flat - t_base) / 256][(flat - t_base) % 256] = (uint8_t)byte;
            }
        }
    }
}

// The weight feeder (a dataflow process of conv_layer.h): per group, its block loaded into the
// feeder's own buffer, then the biases, the scales and the K*K*Cw weight rows streamed out.  The
// load of group g+1 runs while the MAC array computes group g (it waits on the rows stream only).
inline void feed_weights(const wline_t *src, Regs r, hls::stream<bias_vec> &biases, hls::stream<scale_vec> &scales,
                         hls::stream<wrow_t> &wrows, hls::stream<trow_t> &trows) {
#pragma HLS INLINE off
    static int8_t w[W_ROWS][PO][PI];
#pragma HLS ARRAY_PARTITION variable=w complete dim=2
#pragma HLS ARRAY_PARTITION variable=w complete dim=3
    static uint8_t tab[PO][256];
#pragma HLS ARRAY_PARTITION variable=tab complete dim=1
    int32_t bias[PO] = {};    // load_weights merges their bytes in: start from defined values
    uint32_t scale[PO] = {};
#pragma HLS ARRAY_PARTITION variable=bias complete
#pragma HLS ARRAY_PARTITION variable=scale complete
    const uint32_t rows = r.k * r.k * r.tap_cw;
feed_groups:
    for (uint32_t g = 0; g < r.groups; ++g) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        load_weights(src, r.w_addr + g * r.w_group_bytes, rows, r.tab_en, w, bias, scale, tab);
        bias_vec b;
        scale_vec s;
        for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
            b.v[j] = bias[j];
            s.v[j] = scale[j];
        }
        biases.write(b);
        scales.write(s);
    feed_rows:
        for (uint32_t t = 0; t < rows; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ w_rows }}
            wrow_t row;
            for (int j = 0; j < PO; ++j)
                for (int i = 0; i < PI; ++i) row.v[j][i] = w[t][j][i];
            wrows.write(row);
        }
        if (r.tab_en) {
        feed_table:
            for (int e = 0; e < 256; ++e) {
#pragma HLS PIPELINE II=1
                trow_t t;
                for (int j = 0; j < PO; ++j) t.v[j] = tab[j][e];
                trows.write(t);
            }
        }
    }
}

}  // namespace hlsgen

#endif
