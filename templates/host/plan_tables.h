// {{ banner }}
// The plan (plan.json) as constant tables: memory sizes, host steps
// and the engine invocation list (registers in hlsgen/plan/invocation.py order).
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

struct Invocation {
    const char *layer;
    int64_t regs[host::NUM_REGISTERS];
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

// Resident weights: run once after the device is opened (fills the on-chip weight store).
const std::vector<Invocation> PRELOAD = {
{% for inv in preload %}
    { {{ inv.layer }}, { {{ inv.regs | join(", ") }} } },
{% endfor %}
};

const Invocation INVOCATIONS[] = {
{% for inv in invocations %}
    { {{ inv.layer }}, { {{ inv.regs | join(", ") }} } },
{% endfor %}
};
const size_t NUM_INVOCATIONS = sizeof(INVOCATIONS) / sizeof(INVOCATIONS[0]);

}  // namespace plan

#endif
