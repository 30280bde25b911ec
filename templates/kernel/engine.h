// {{ banner }}
// The hlsgen layer engine: configuration, types and the top-level function.
// Engine: PP = {{ pp }} pixel lanes x PO = {{ po }} output lanes x PI = {{ pi }} input lanes, E = {{ epilogue_lanes }}
// epilogue lanes (docs/ENGINE.md section 1).
#ifndef HLSGEN_ENGINE_H
#define HLSGEN_ENGINE_H

// Xilinx's arbitrary-precision headers trip GCC's -Wuninitialized after inlining;
// silence that for the library only (our own code is compiled with -Wall -Wextra -Werror).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// A resident store line is up to 512 bytes: ap_uint<4096> needs the wider limit (default 1024 bits).
#define AP_INT_MAX_W 4096
#include <ap_int.h>
#include <hls_stream.h>
#pragma GCC diagnostic pop
// Loop labels name the loops in Vitis HLS reports; C++ itself never jumps to them.
#pragma GCC diagnostic ignored "-Wunused-label"

#include <stdint.h>

namespace hlsgen {

const int PI = {{ pi }};                  // input lanes: bytes per activation word
const int PO = {{ po }};                  // output lanes: output channels per group
const int PP = {{ pp }};                  // pixel lanes: adjacent output pixels computed together
const int EPI_LANES = {{ epilogue_lanes }};  // E: epilogue lanes (requantizers, add units), E outputs per cycle
const int EPI_PASSES = {{ epilogue_passes }};  // NC = PP * PO / E: cycles the epilogue takes per pixel group
const int TILE_WORDS = {{ tile_words }};  // input buffer capacity in words
const int W_ROWS = {{ w_rows }};          // weight buffer capacity in rows (K*K*Cw taps)
const int POOL_COLS = {{ pool_cols }};    // fused max pool: row buffer capacity in pooled pixels
const int BEAT_BYTES = 64;                // weight port width
const int CMD_BYTES = {{ cmd_bytes }};                // a command: the register words of one invocation (then zeros)
const int REG_WORDS = {{ reg_words }};                // register words in a command
// Weight blocks are read in lines: {% if resident %}the resident store's lines (URAM, filled once by
// a preload invocation){% else %}the weight port's beats (weights stream from DDR){% endif %}.
const int W_LINE_BYTES = {{ w_line_bytes }};
const int W_STORE_LINES = {{ w_store_lines }};  // resident store capacity (0: no store)

static_assert(PO % PI == 0, "a group of PO channels fills whole words");
static_assert(PP >= 1, "at least one pixel lane");
static_assert(EPI_LANES >= PI && EPI_LANES * EPI_PASSES == PP * PO,
              "the epilogue's lanes are at least PI and divide PP x PO");

typedef ap_uint<8 * PI> word_t;           // one activation word: PI channels of a pixel
typedef ap_uint<8 * BEAT_BYTES> beat_t;   // one weight-port beat
typedef ap_uint<8 * W_LINE_BYTES> wline_t;  // one weight line (a store line or a beat)

static_assert(W_LINE_BYTES % BEAT_BYTES == 0, "a weight line is whole beats");

// Invocation kinds (hlsgen/plan/invocation.py KIND_CODES).
{% for name, code in kinds %}
const int KIND_{{ name | upper }} = {{ code }};
{% endfor %}

// The invocation registers, in register-map order.
struct Regs {
{% for r in registers %}
    {{ r.ctype }} {{ r.name }};  // {{ r.doc }}
{% endfor %}
};

// One pixel group: PP x PO accumulators (pixel lane p computes the group's p-th pixel: lane_pixel),
// and PP x PO result bytes (a lane's bytes are written only when its pixel, or its pooled pixel, is complete).
struct acc_vec { int32_t v[PP][PO]; };
struct out_vec { uint8_t v[PP][PO]; };
// One output-channel group's weights and constants as the weight feeder streams them: a weight
// row (one tap: PO x PI int8 w'), and the group's PO biases (to the MAC array) and scales (to the epilogue).
struct wrow_t { int8_t v[PO][PI]; };
struct bias_vec { int32_t v[PO]; };
struct scale_vec { uint32_t v[PO]; };
// A fused table (tab_en) as the epilogue receives it: entry e of the PO lanes' tables, 256 per group.
struct trow_t { uint8_t v[PO]; };

// The input buffer: PP identical copies, one read port per pixel lane (PP lanes read PP
// different input pixels at one tap every cycle; a copy per lane has no bank conflicts for any
// stride, the banked alternative would for stride % PP == 0).  Copy 0 also feeds the vector unit.
typedef uint8_t tile_t[PP][TILE_WORDS][PI];

// One byte of an activation word, sign- or zero-extended.
inline int16_t lane_value(uint8_t byte, bool is_signed) {
    return is_signed ? (int16_t)(int8_t)byte : (int16_t)byte;
}

// Conv columns computed per output row: out_w, or out_w * pool_k with a fused max pool.
inline int conv_cols(const Regs &r) { return (int)r.out_w * (r.pool_k > 1 ? (int)r.pool_k : 1); }

// ENGINE.md section 1, "Pixel groups": without a fused max pool and with rows at least PP wide, the
// pixel groups run over the tile's pixels in row-major order (flat: group q's lane p computes flat
// pixel q*PP + p, a group spans at most two rows); else each row has its own ceil(cols / PP) groups.
inline bool flat_pixels(const Regs &r) { return r.pool_k <= 1 && conv_cols(r) >= PP; }

// The tile's pixel groups: flat ceil(rows * cols / PP), else rows * ceil(cols / PP).
inline int tile_px_groups(const Regs &r) {
    const int rows = (int)r.oy1 - (int)r.oy0, cols = conv_cols(r);
    return flat_pixels(r) ? (rows * cols + PP - 1) / PP : rows * ((cols + PP - 1) / PP);
}

// Segment j of the tile: the pixel groups whose FIRST pixel is in the tile's row j (after them row j
// is complete; flat, they also hold the first pixels of row j+1): flat
// ceil((j+1)*cols/PP) - ceil(j*cols/PP), between 1 and ceil(cols/PP) since cols >= PP; else ceil(cols/PP).
inline int segment_groups(const Regs &r, int j) {
    const int cols = conv_cols(r);
    return flat_pixels(r) ? ((j + 1) * cols + PP - 1) / PP - (j * cols + PP - 1) / PP : (cols + PP - 1) / PP;
}

// Pixel lane p of a pixel group whose first pixel is column x0 of a row (`last`: it is the tile's last
// row): column x0 + p of that row, or flat past the row's end column x0 + p - cols of the next row
// (next = true; one wrap at most, cols >= PP).  A lane with no pixel of the tile keeps the row and a
// column >= cols: it computes a pixel nobody writes (and reads only input rows of the tile).
struct lane_px { bool next; int col; };
inline lane_px lane_pixel(bool flat, int cols, bool last, int x0, int p) {
    const bool next = flat && !last && x0 + p >= cols;
    lane_px l;
    l.next = next;
    l.col = next ? x0 + p - cols : x0 + p;
    return l;
}

// The first column of the next pixel group: x0 + PP, and past the row's end (the group was its row's,
// or its segment's, last) the next row's: x0 + PP - cols flat, 0 per row.
inline int next_x0(bool flat, int cols, int x0) {
    const int x = x0 + PP;
    return x < cols ? x : (flat ? x - cols : 0);
}

// Fused max pool (pool_k > 1): conv output (oy, ox) completes its pooled pixel when it is the
// window's last row and column; without a pool every computed pixel is complete.
inline bool pixel_complete(const Regs &r, int oy, int ox) {
    const int pk = (int)r.pool_k;
    return pk <= 1 || ((oy - (int)r.oy0) % pk == pk - 1 && ox % pk == pk - 1);
}

inline int32_t clamp32(int64_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

}  // namespace hlsgen

// One run executes n_cmds commands read from wgt at byte cmd_off (ENGINE.md section 4); activation
// bank 1 is bank_step bytes from bank 0 (act_rd, act_wr point at bank 0).
extern "C" void hlsgen_engine(const hlsgen::word_t *act_rd, hlsgen::word_t *act_wr, const hlsgen::beat_t *wgt,
                              ap_uint<32> cmd_off, ap_uint<32> n_cmds, ap_uint<64> bank_step);

#endif
