// {{ banner }}
// Top level of the hlsgen layer engine: AXI interfaces, the command list, and dispatch on the
// invocation kind.  act_rd / act_wr share the activation bank, wgt has its own{% if resident %};
// weights are resident: a preload invocation copies weights.bin from wgt into the on-chip
// store once, conv invocations read their blocks from the store{% endif %}.
#include "engine.h"
#include "add_unit.h"
#include "conv_layer.h"
#include "pool_unit.h"

namespace {

// Command C's register words from the weight port: CMD_BYTES / BEAT_BYTES sequential beats.
void read_command(const hlsgen::beat_t *wgt, ap_uint<32> offset, ap_uint<32> words[hlsgen::REG_WORDS]) {
    const int PER_BEAT = hlsgen::BEAT_BYTES / 4, BEATS = hlsgen::CMD_BYTES / hlsgen::BEAT_BYTES;
command_beats:
    for (int b = 0; b < BEATS; ++b) {
#pragma HLS PIPELINE II=1
        const hlsgen::beat_t beat = wgt[offset / hlsgen::BEAT_BYTES + b];
        for (int j = 0; j < PER_BEAT; ++j)
            if (b * PER_BEAT + j < hlsgen::REG_WORDS) words[b * PER_BEAT + j] = beat.range(32 * j + 31, 32 * j);
    }
}

// The register file of a command (hlsgen/plan/invocation.py REGISTERS: each field from its word(s),
// sign-extended from its width when signed).
hlsgen::Regs decode(const ap_uint<32> w[hlsgen::REG_WORDS]) {
#pragma HLS INLINE
    hlsgen::Regs r;
{% for f in registers %}
{% if f.words == 1 %}
    r.{{ f.name }} = ap_{{ "int" if f.signed else "uint" }}<{{ f.bits }}>(w[{{ f.word }}].range({{ f.bits - 1 }}, 0)){{ ".to_int64()" if f.signed else ".to_uint64()" }};
{% else %}
    r.{{ f.name }} = ap_{{ "int" if f.signed else "uint" }}<{{ f.bits }}>(ap_uint<64>((w[{{ f.word + 1 }}], w[{{ f.word }}])).range({{ f.bits - 1 }}, 0)){{ ".to_int64()" if f.signed else ".to_uint64()" }};
{% endif %}
{% endfor %}
    return r;
}

}  // namespace

extern "C" void hlsgen_engine(const hlsgen::word_t *act_rd, hlsgen::word_t *act_wr, const hlsgen::beat_t *wgt,
                              ap_uint<32> cmd_off, ap_uint<32> n_cmds, ap_uint<64> bank_step) {
#pragma HLS INTERFACE m_axi port=act_rd offset=slave bundle=gmem_act max_read_burst_length=64 depth={{ act_words }}
#pragma HLS INTERFACE m_axi port=act_wr offset=slave bundle=gmem_act max_write_burst_length=64 depth={{ act_words }}
#pragma HLS INTERFACE m_axi port=wgt offset=slave bundle=gmem_wgt max_read_burst_length=64 depth={{ wgt_beats }}
#pragma HLS INTERFACE s_axilite port=act_rd bundle=control
#pragma HLS INTERFACE s_axilite port=act_wr bundle=control
#pragma HLS INTERFACE s_axilite port=wgt bundle=control
#pragma HLS INTERFACE s_axilite port=cmd_off bundle=control
#pragma HLS INTERFACE s_axilite port=n_cmds bundle=control
#pragma HLS INTERFACE s_axilite port=bank_step bundle=control
#pragma HLS INTERFACE s_axilite port=return bundle=control
    // The input buffer, shared by the MAC array and the pooling unit: PP copies (one read
    // port per pixel lane, engine.h tile_t), PI byte lanes each.
    static hlsgen::tile_t tile;
#pragma HLS ARRAY_PARTITION variable=tile complete dim=1
#pragma HLS ARRAY_PARTITION variable=tile complete dim=3
{% if resident %}
    // All of weights.bin, on chip: filled by the preload invocation, read by every conv.
    static hlsgen::wline_t wstore[hlsgen::W_STORE_LINES];
#pragma HLS BIND_STORAGE variable=wstore type=ram_1p impl=uram
{% endif %}
    const ap_uint<64> bank_words = bank_step / hlsgen::PI;
commands:
    for (ap_uint<32> c = 0; c < n_cmds; ++c) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_commands }}
        ap_uint<32> words[hlsgen::REG_WORDS];
        read_command(wgt, cmd_off + c * hlsgen::CMD_BYTES, words);
        const hlsgen::Regs regs = decode(words);
        const hlsgen::word_t *rd = act_rd + (regs.rd_bank ? (size_t)bank_words : 0);
        hlsgen::word_t *wr = act_wr + (regs.wr_bank ? (size_t)bank_words : 0);
        switch ((int)regs.kind) {
        case hlsgen::KIND_CONV:
            hlsgen::conv_layer(rd, wr, {{ "wstore" if resident else "wgt" }}, regs, tile);
            break;
{% if resident %}
        case hlsgen::KIND_PRELOAD:
            hlsgen::preload_weights(wgt, regs.w_lines, wstore);
            break;
{% endif %}
{% if maxpool %}
        case hlsgen::KIND_MAXPOOL:
{% endif %}
{% if avgpool %}
        case hlsgen::KIND_AVGPOOL:
{% endif %}
        case hlsgen::KIND_GAVGPOOL:
{% if t_words %}
        case hlsgen::KIND_TABLE:
{% endif %}
{% if mul %}
        case hlsgen::KIND_MUL:
{% endif %}
            hlsgen::pool_layer(rd, wr, {{ "wstore" if resident else "wgt" }}, regs, regs.kind, tile);
            break;
{% if add %}
        case hlsgen::KIND_ADD:
            hlsgen::add_layer(rd, wr, regs);
            break;
{% endif %}

        default:
            break;
        }
    }
}
