// {{ banner }}
// The plan (plan.json) as constant tables: memory sizes, host steps and the engine's command list.
#ifndef HLSGEN_PLAN_TABLES_H
#define HLSGEN_PLAN_TABLES_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "device.h"

namespace plan {

const size_t ACT_BYTES = {{ act_bytes }};
const size_t WEIGHT_BYTES = {{ weight_bytes }};
const int PI = {{ pi }};

// An integer tensor in activation bank `bank`: channel c of pixel (y, x) is byte
// addr + ((y*w + x)*map_cw + c0w)*PI + c.
struct Map {
    size_t addr;
    int bank;
    int c, h, w, map_cw, c0w;
    float scale;
    int zero_point;
    bool is_signed;
};

struct Quantize {      // float model input -> map
    const char *name;
    Map map;
};

struct Im2col {        // stem packing: channel (kh*k + kw)*C + c of the packed map
    Map src, dst;
    int k, stride, pad_t, pad_l, zx;
};

struct Dequantize {    // map -> float model output of shape (N, dims...)
    const char *name;
    Map map;
    std::vector<size_t> dims;
};

{% macro map(m) %}{ {{ m.addr }}, {{ m.bank }}, {{ m.c }}, {{ m.h }}, {{ m.w }}, {{ m.map_cw }}, {{ m.c0w }}, {{ m.scale }}f, {{ m.zero_point }}, {{ m.signed }} }{% endmacro %}
const std::vector<Quantize> QUANTIZE = {
{% for s in quantize %}
    { {{ s.name }}, {{ map(s.map) }} },
{% endfor %}
};

const std::vector<Im2col> IM2COL = {
{% for s in im2col %}
    { {{ map(s.src) }}, {{ map(s.dst) }}, {{ s.k }}, {{ s.stride }}, {{ s.pad_t }}, {{ s.pad_l }}, {{ s.zx }} },
{% endfor %}
};

const std::vector<Dequantize> DEQUANTIZE = {
{% for s in dequantize %}
    { {{ s.name }}, {{ map(s.map) }}, { {{ s.dims | join(", ") }} } },
{% endfor %}
};

// The command list (docs/ENGINE.md section 4): every invocation's register words (hlsgen/plan/invocation.py
// REGISTERS order), CMD_BYTES apart; the host puts it into the weight buffer at COMMAND_OFFSET, after
// weights.bin. The first NUM_PRELOAD commands run once after the device is opened (resident weights:
// they fill the on-chip store), the NUM_INVOCATIONS after them once per sample, as one kernel run each.
const size_t CMD_BYTES = {{ cmd_bytes }};
const size_t COMMAND_OFFSET = {{ command_offset }};
const size_t NUM_PRELOAD = {{ n_preload }};
const size_t NUM_INVOCATIONS = {{ n_frame }};
const uint32_t COMMANDS[][CMD_BYTES / 4] = {
{% for c in commands %}
    { {{ c | join("u, ") }}u },
{% else %}
    { 0u },
{% endfor %}
};

}  // namespace plan

#endif
