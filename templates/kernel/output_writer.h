// {{ banner }}
// Output writer: the PO result bytes of every complete pixel (all of them, or with a fused max
// pool the pooled pixels, complete at their window's last conv row) go into a row buffer; the pixel
// groups come in per-row segments (engine.h segment_groups: segment j holds the groups whose first
// pixel is in the tile's row j, and with flat pixel groups, ENGINE.md section 1 "Pixel groups", also
// pixels of row j+1), so row j is complete at the end of segment j and is written during segment
// j+1's steps, one act_wr word per cycle in pixel order: per pixel the group's words below out_words
// (the last group's padding is not written), runs of consecutive words (one run per row when the map
// has one group's words per pixel): sequential, unconditional writes that Vitis HLS can turn into
// bursts.  A segment takes max(its pixel groups, out_w * words) cycles here: the timing contract's
// ceil(PP*PO/BO) term of c_px, per row.
#ifndef HLSGEN_OUTPUT_WRITER_H
#define HLSGEN_OUTPUT_WRITER_H

#include "engine.h"

namespace hlsgen {

inline void write_outputs(word_t *act_wr, Regs r, hls::stream<out_vec> &outs) {
#pragma HLS INLINE off
    // Three rows: the two a segment's pixel groups go into (rows j and, flat, j+1: b0, b1) and the one
    // being written meanwhile (row j-1: bw); they rotate at each segment's end.
    static uint8_t rowbuf[3][{{ max_cols }}][PO];
#pragma HLS ARRAY_PARTITION variable=rowbuf complete dim=1
#pragma HLS ARRAY_PARTITION variable=rowbuf cyclic factor={{ pp }} dim=2
#pragma HLS ARRAY_PARTITION variable=rowbuf complete dim=3
#pragma HLS DEPENDENCE variable=rowbuf inter false
    const int pk = r.pool_k > 1 ? (int)r.pool_k : 1;
    const int cols = conv_cols(r);
    const int rows = (int)r.oy1 - (int)r.oy0;
    const bool flat = flat_pixels(r);
write_conv_groups:
    for (int group = 0; group < (int)r.groups; ++group) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const int w0 = group * (PO / PI);
        const int nw = (int)r.out_words - w0 < PO / PI ? (int)r.out_words - w0 : PO / PI;  // words per pixel
        int pending = 0, prev_py = 0, x0 = 0, bw = 2, b0 = 0, b1 = 1;
    write_rows:
        for (int j = 0; j <= rows; ++j) {  // segment j; j == rows: the last row's words only
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows + 1 }}
            const int oy = (int)r.oy0 + j;
            const bool last = j == rows - 1;
            const int received = j < rows ? segment_groups(r, j) : 0;
            const int steps = received > pending ? received : pending;
            const uint32_t base = r.out_addr / PI + prev_py * r.out_w * r.out_cw + r.out_c0w + w0;
            int px = 0, s = 0;
        write_steps:
            for (int n = 0; n < steps; ++n) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ [max_px_groups, max_cols * po // pi] | max }}
                if (n < received) {
                    const out_vec y = outs.read();
                write_pixel_lanes:
                    for (int p = 0; p < PP; ++p) {
                        // lane p's pixel: row j, or flat past the row's end row j+1 (next)
                        const lane_px l = lane_pixel(flat, cols, last, x0, p);
                        if (l.col < cols && pixel_complete(r, oy + (l.next ? 1 : 0), l.col))
                            for (int c = 0; c < PO; ++c) rowbuf[l.next ? b1 : b0][l.col / pk][c] = y.v[p][c];
                    }
                    x0 = next_x0(flat, cols, x0);
                }
                if (n < pending) {
                    word_t x;
                    for (int i = 0; i < PI; ++i) x.range(8 * i + 7, 8 * i) = rowbuf[bw][px][s * PI + i];
                    act_wr[base + px * r.out_cw + s] = x;
                    if (++s == nw) {
                        s = 0;
                        ++px;
                    }
                }
            }
            // a row that completes its output pixels is written during the next segment's steps
            pending = j < rows && (j % pk == pk - 1) ? (int)r.out_w * nw : 0;
            prev_py = oy / pk;
            const int done = bw;  // row j-1's buffer is free: it takes row j+2
            bw = b0;
            b0 = b1;
            b1 = done;
        }
    }
}

}  // namespace hlsgen

#endif
