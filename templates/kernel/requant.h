// {{ banner }}
// Integer-only requantization (docs/ENGINE.md section 2; reference:
// hlsgen.golden.requant.requant_int).  Bit-exact with the float32 path
//   q = clamp(rne(f32(f32(acc) * s)) + zy, lo, hi)
// without a single float operation.
#ifndef HLSGEN_REQUANT_H
#define HLSGEN_REQUANT_H

#include "engine.h"

namespace hlsgen {

// Number of significant bits of v (0 for 0).
inline int bit_length(ap_uint<50> v) {
    int n = 0;
bit_length_scan:
    for (int b = 0; b < 50; ++b) {
#pragma HLS UNROLL
        if (v[b]) n = b + 1;
    }
    return n;
}

// v / 2^n rounded to nearest, ties to even (v < 2^49, n >= 0).
inline ap_uint<50> shift_rne(ap_uint<50> v, int n) {
    if (n == 0) return v;
    if (n > 49) return 0;
    ap_uint<50> q = v >> n;
    ap_uint<52> rem = ap_uint<52>(v) - (ap_uint<52>(q) << n);
    ap_uint<52> half = ap_uint<52>(1) << (n - 1);
    bool up = rem > half || (rem == half && q[0]);
    return q + (up ? 1 : 0);
}

// v rounded to 24 significant bits: v ~= m * 2^e.
inline void round_sig24(ap_uint<50> v, ap_uint<50> &m, int &e) {
    int n = bit_length(v);
    e = n > 24 ? n - 24 : 0;
    m = shift_rne(v, e);
}

// clamp(rne(f32(f32(acc) * s)) + zy, lo, hi) where s is given by its float32 bits.
inline int32_t requant(int32_t acc, uint32_t s_bits, int32_t zy, int32_t lo, int32_t hi) {
#pragma HLS INLINE
    // s = ms * 2^es exactly (24-bit significand; subnormals have no hidden bit)
    int exp_field = (s_bits >> 23) & 0xff;
    ap_uint<50> ms = s_bits & 0x7fffff;
    if (exp_field > 0) ms |= ap_uint<50>(1) << 23;
    int es = (exp_field > 0 ? exp_field : 1) - 127 - 23;
    // 1. |acc| to 24 significant bits (f32(acc))
    ap_uint<50> mag = acc < 0 ? ap_uint<50>(-(int64_t)acc) : ap_uint<50>(acc);
    ap_uint<50> ma, mp;
    int ea, ep;
    round_sig24(mag, ma, ea);
    // 2-3. product of significands (< 2^48), rounded to 24 significant bits
    round_sig24(ma * ms, mp, ep);
    ep += ea + es;
    // 4. to an integer with RNE; left shifts saturate (anything >= 2^40 clamps anyway)
    int64_t q;
    if (ep >= 0) {
        int sh = ep > 16 ? 16 : ep;
        ap_uint<50> left = mp << sh;
        q = left > (ap_uint<50>(1) << 40) ? ((int64_t)1 << 40) : (int64_t)left.to_uint64();
    } else {
        q = (int64_t)shift_rne(mp, -ep).to_uint64();
    }
    if (acc < 0) q = -q;
    return clamp32(q + zy, lo, hi);
}

// clamp(((t + r) >> s) + zy, lo, hi): the fixed-point affine form of add and pooling
// (arithmetic shift: floor division by 2^s).
inline int32_t affine(int64_t t, int64_t r, int s, int32_t zy, int32_t lo, int32_t hi) {
#pragma HLS INLINE
    return clamp32(((t + r) >> s) + zy, lo, hi);
}

}  // namespace hlsgen

#endif
