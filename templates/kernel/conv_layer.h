// {{ banner }}
// A conv invocation: input rows loaded once, then every PO-channel group computed from them.
// The groups run through one dataflow region of four processes, each called once and given the
// registers by value (UG1399 dataflow: single-producer single-consumer channels, no shared
// scalars by reference): the weight feeder loads group g+1's block while the MAC array computes
// group g (the ping-pong of ENGINE.md section 5, step 2: the feeder's buffer and the array's),
// the epilogue requantizes, the writer stores.
#ifndef HLSGEN_CONV_LAYER_H
#define HLSGEN_CONV_LAYER_H

#include "engine.h"
#include "epilogue.h"
#include "mac_array.h"
#include "output_writer.h"
#include "tile_loader.h"
#include "weight_loader.h"

namespace hlsgen {

// The groups of one conv: weight feeder -> MAC array -> epilogue -> writer.
inline void conv_groups(const word_t *act_rd, word_t *act_wr, const wline_t *wsrc,
                        const uint8_t tile[PP][TILE_WORDS][PI], Regs r) {
#pragma HLS DATAFLOW
    hls::stream<bias_vec> biases("biases");
    hls::stream<scale_vec> scales("scales");
    hls::stream<wrow_t> wrows("wrows");
    hls::stream<trow_t> trows("trows");
    hls::stream<acc_vec> accs("accs");
    hls::stream<out_vec> outs("outs");
#pragma HLS STREAM variable=biases depth=2
#pragma HLS STREAM variable=scales depth=4
#pragma HLS STREAM variable=wrows depth=2
#pragma HLS STREAM variable=trows depth=512
#pragma HLS STREAM variable=accs depth=4
#pragma HLS STREAM variable=outs depth=4
    feed_weights(wsrc, r, biases, scales, wrows, trows);
    mac_pixels(tile, r, biases, wrows, accs);
    epilogue(act_rd, r, scales, trows, accs, outs);
    write_outputs(act_wr, r, outs);
}

// wsrc: the weight lines (the resident store, or the weight port when weights stream).
inline void conv_layer(const word_t *act_rd, word_t *act_wr, const wline_t *wsrc, Regs r,
                       uint8_t tile[PP][TILE_WORDS][PI]) {
    load_tile(act_rd, r, tile);
    conv_groups(act_rd, act_wr, wsrc, tile, r);
}

}  // namespace hlsgen

#endif
