// {{ banner }}
// Top level of the hlsgen layer engine: AXI interfaces and dispatch on the
// invocation kind.  act_rd / act_wr share the activation bank, wgt has its own{% if resident %};
// weights are resident: a preload invocation copies weights.bin from wgt into the on-chip
// store once, conv invocations read their blocks from the store{% endif %}.
#include "engine.h"
#include "add_unit.h"
#include "conv_layer.h"
#include "pool_unit.h"

extern "C" void hlsgen_engine(const hlsgen::word_t *act_rd, hlsgen::word_t *act_wr,
                              const hlsgen::beat_t *wgt,
{% for r in registers %}
                              {{ r.argtype }} {{ r.name }}{{ "," if not loop.last else ") {" }}
{% endfor %}
#pragma HLS INTERFACE m_axi port=act_rd offset=slave bundle=gmem_act max_read_burst_length=64 depth={{ act_words }}
#pragma HLS INTERFACE m_axi port=act_wr offset=slave bundle=gmem_act max_write_burst_length=64 depth={{ act_words }}
#pragma HLS INTERFACE m_axi port=wgt offset=slave bundle=gmem_wgt max_read_burst_length=64 depth={{ wgt_beats }}
#pragma HLS INTERFACE s_axilite port=act_rd bundle=control
#pragma HLS INTERFACE s_axilite port=act_wr bundle=control
#pragma HLS INTERFACE s_axilite port=wgt bundle=control
{% for r in registers %}
#pragma HLS INTERFACE s_axilite port={{ r.name }} bundle=control
{% endfor %}
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
    hlsgen::Regs regs;
{% for r in registers %}
    regs.{{ r.name }} = {{ r.name }};
{% endfor %}
    switch ((int)regs.kind) {
    case hlsgen::KIND_CONV:
        hlsgen::conv_layer(act_rd, act_wr, {{ "wstore" if resident else "wgt" }}, regs, tile);
        break;
{% if resident %}
    case hlsgen::KIND_PRELOAD:
        hlsgen::preload_weights(wgt, regs.w_lines, wstore);
        break;
{% endif %}
    case hlsgen::KIND_MAXPOOL:
    case hlsgen::KIND_AVGPOOL:
    case hlsgen::KIND_GAVGPOOL:
{% if t_words %}
    case hlsgen::KIND_TABLE:
{% endif %}
{% if mul %}
    case hlsgen::KIND_MUL:
{% endif %}
        hlsgen::pool_layer(act_rd, act_wr, {{ "wstore" if resident else "wgt" }}, regs, regs.kind, tile);
        break;
    case hlsgen::KIND_ADD:
        hlsgen::add_layer(act_rd, act_wr, regs);
        break;

    default:
        break;
    }
}
