// {{ banner }}
// A conv invocation: input rows loaded once, then every PO-channel group computed
// from them while the next group's weights load into the other buffer.
#ifndef HLSGEN_CONV_LAYER_H
#define HLSGEN_CONV_LAYER_H

#include "engine.h"
#include "epilogue.h"
#include "mac_array.h"
#include "output_writer.h"
#include "tile_loader.h"
#include "weight_loader.h"

namespace hlsgen {

// One group: MAC array -> epilogue -> writer, streaming a pixel group (PP pixels) at a time.
inline void conv_group(const word_t *act_rd, word_t *act_wr, const uint8_t tile[PP][TILE_WORDS][PI],
                       const int8_t w[W_ROWS][PO][PI], const int32_t bias[PO], const uint32_t scale[PO],
                       const Regs &r, int group) {
#pragma HLS DATAFLOW
    hls::stream<acc_vec> accs("accs");
    hls::stream<out_vec> outs("outs");
#pragma HLS STREAM variable=accs depth=4
#pragma HLS STREAM variable=outs depth=4
    mac_pixels(tile, w, bias, r, accs);
    epilogue(act_rd, scale, r, group, accs, outs);
    write_outputs(act_wr, r, group, outs);
}

// wsrc: the weight lines (the resident store, or the weight port when weights stream).
inline void conv_layer(const word_t *act_rd, word_t *act_wr, const wline_t *wsrc, const Regs &r,
                       uint8_t tile[PP][TILE_WORDS][PI]) {
    // Double-buffered weights: group g computes from one buffer while g+1 loads into the other.
    static int8_t w_ping[W_ROWS][PO][PI], w_pong[W_ROWS][PO][PI];
#pragma HLS ARRAY_PARTITION variable=w_ping complete dim=2
#pragma HLS ARRAY_PARTITION variable=w_ping complete dim=3
#pragma HLS ARRAY_PARTITION variable=w_pong complete dim=2
#pragma HLS ARRAY_PARTITION variable=w_pong complete dim=3
    static int32_t b_ping[PO], b_pong[PO];
    static uint32_t s_ping[PO], s_pong[PO];
#pragma HLS ARRAY_PARTITION variable=b_ping complete
#pragma HLS ARRAY_PARTITION variable=b_pong complete
#pragma HLS ARRAY_PARTITION variable=s_ping complete
#pragma HLS ARRAY_PARTITION variable=s_pong complete
    const uint32_t rows = r.k * r.k * r.in_cw;
    load_tile(act_rd, r, tile);
    load_weights(wsrc, r.w_addr, rows, w_ping, b_ping, s_ping);
conv_groups:
    for (int g = 0; g < (int)r.groups; ++g) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_groups }}
        const bool more = g + 1 < (int)r.groups;
        const uint32_t next = r.w_addr + (g + 1) * r.w_group_bytes;
        if (g % 2 == 0) {
            if (more) load_weights(wsrc, next, rows, w_pong, b_pong, s_pong);
            conv_group(act_rd, act_wr, tile, w_ping, b_ping, s_ping, r, g);
        } else {
            if (more) load_weights(wsrc, next, rows, w_ping, b_ping, s_ping);
            conv_group(act_rd, act_wr, tile, w_pong, b_pong, s_pong, r, g);
        }
    }
}

}  // namespace hlsgen

#endif
