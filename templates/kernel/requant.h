// {{ banner }}
// Integer-only arithmetic of the epilogue and the vector unit (docs/ENGINE.md
// section 2; references in hlsgen.golden.requant), bit-exact with onnxruntime's
// float32 paths without a single float operation:
//   requant      conv / gemm / gavgpool   clamp(rne(f32(f32(acc) * s)) + zy, lo, hi)   requant_int
//   add_fma      add (fused, standalone)  clamp(rne(fma(a, ra, fma(b, rb, k))), lo, hi) add_int
//   avg_tap/avg_out  average pool         float32 tap sum, / count, / sy, + zy           avgpool_int
//   mul_int      map x vector (QLinearMul) rne(f32(f32((a-za)*(b-zb) * r) + zy))          mul_int
#ifndef HLSGEN_REQUANT_H
#define HLSGEN_REQUANT_H

#include "engine.h"

namespace hlsgen {

// Number of significant bits of v (0 for 0).
template <int N>
inline int bit_length(ap_uint<N> v) {
    int n = 0;
bit_length_scan:
    for (int b = 0; b < N; ++b) {
#pragma HLS UNROLL
        if (v[b]) n = b + 1;
    }
    return n;
}

// v / 2^n rounded to nearest, ties to even (v < 2^(N-1), n >= 0).
template <int N>
inline ap_uint<N> shift_rne(ap_uint<N> v, int n) {
    if (n <= 0) return v;
    if (n >= N) return 0;
    ap_uint<N> q = v >> n;
    ap_uint<N + 2> rem = ap_uint<N + 2>(v) - (ap_uint<N + 2>(q) << n);
    ap_uint<N + 2> half = ap_uint<N + 2>(1) << (n - 1);
    bool up = rem > half || (rem == half && q[0]);
    return q + (up ? 1 : 0);
}

// v rounded to 24 significant bits: v ~= m * 2^e.
template <int N>
inline void round_sig24(ap_uint<N> v, ap_uint<N> &m, int &e) {
    int n = bit_length<N>(v);
    e = n > 24 ? n - 24 : 0;
    m = shift_rne<N>(v, e);
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
    // 2-3. product of significands, rounded to 24 significant bits: ma <= 2^24 (25 bits: rounding
    // may carry into bit 24) times ms < 2^24, a 25 x 24-bit multiply (two DSP48E2, as the resource
    // model counts), not the 50 x 50 bits of the containers
    const ap_uint<49> prod = (ap_uint<25>)ma * (ap_uint<24>)ms;
    round_sig24<50>(prod, mp, ep);
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

// -- 64-bit values for add and average pool (magnitudes < 2^62) -------------------

inline ap_uint<64> magnitude(int64_t v) { return ap_uint<64>(v < 0 ? -v : v); }

// A non-negative float32 given by its bits as m * 2^e (subnormals: no hidden bit).
inline void f32_parts(uint32_t bits, ap_uint<64> &m, int &e) {
    const int exp_field = (bits >> 23) & 0xff;
    m = bits & 0x7fffff;
    if (exp_field > 0) m |= ap_uint<64>(1) << 23;
    e = (exp_field > 0 ? exp_field : 1) - 127 - 23;
}

// clamp(+-rne(mag * 2^e), lo, hi); left shifts saturate at 2^40 (mag < 2^25).
inline int32_t to_int(ap_uint<64> mag, int e, bool neg, int32_t lo, int32_t hi) {
    int64_t q;
    if (e >= 0) {
        ap_uint<64> left = mag << (e > 16 ? 16 : e);
        q = left > (ap_uint<64>(1) << 40) ? ((int64_t)1 << 40) : (int64_t)left.to_uint64();
    } else {
        q = (int64_t)shift_rne<64>(mag, -e).to_uint64();
    }
    return clamp32(neg ? -q : q, lo, hi);
}

// An add factor ma or mb as significand and exponent, v = m * 2^e: requant.add_consts gives each at most
// 24 significant bits, so round_sig24 is exact on it.  Split once per invocation, outside the lanes.
struct AddFactor {
    ap_uint<24> m;
    int e;
};

inline AddFactor add_factor(int64_t v) {
    ap_uint<64> m;
    int e;
    round_sig24<64>(ap_uint<64>(v), m, e);
    AddFactor f;
    f.m = m(23, 0);
    f.e = e;
    return f;
}

// v * f exactly: a 10 x 24-bit product (one DSP48E2), then a shift (|v * f| < 2^62, add_consts bounds it).
inline int64_t add_product(int32_t v, AddFactor f) {
#pragma HLS INLINE
    const ap_int<35> p = (ap_int<10>)v * f.m;
    return (int64_t)(ap_int<64>(p) << f.e).to_int64();
}

// QLinearAdd: clamp(rne(fma(a, ra, fma(b, rb, k))), lo, hi) on raw a, b (requant.add_int):
// 1. Xw = b*mb + k (units 2^g1), rounded to 24 bits: w;  2. X = a*ma + w (units 2^-sh),
// rounded to 24 bits;  3. to an integer with RNE, clamp.  a and b are bytes (a clamped to an 8-bit
// output range, b a lane value): 10-bit signed operands.
inline int32_t add_fma(int32_t a, int32_t b, AddFactor ma, AddFactor mb, int64_t k, int wsh, int sh,
                       int32_t lo, int32_t hi) {
#pragma HLS INLINE
    const int64_t xw = add_product(b, mb) + k;
    ap_uint<64> mw, m;
    int ew, e;
    round_sig24<64>(magnitude(xw), mw, ew);
    const int64_t w = (int64_t)(mw << (ew + wsh)).to_uint64();
    const int64_t x = add_product(a, ma) + (xw < 0 ? -w : w);
    round_sig24<64>(magnitude(x), m, e);
    return to_int(m, e - sh, x < 0, lo, hi);
}

// clamp(rne(f32(v + zy)), lo, hi) for the float32 v = -+m2 * 2^e2 (m2 in [2^23, 2^24] or 0)
// (requant.plus_zy): |v| >= 2^10 saturates, |v| < 2^-2 gives zy, else v and zy meet on the grid 2^-25.
inline int32_t plus_zy(ap_uint<64> m2, int e2, bool neg, int32_t zy, int32_t lo, int32_t hi) {
    if (m2 == 0 || e2 <= -26) return clamp32(zy, lo, hi);
    if (e2 >= -13) return neg ? lo : hi;
    ap_uint<64> m3;
    int e3;
    const int64_t v = (int64_t)(m2 << (e2 + 25)).to_uint64();
    const int64_t x = (neg ? -v : v) + (int64_t)zy * ((int64_t)1 << 25);
    round_sig24<64>(magnitude(x), m3, e3);
    return to_int(m3, e3 - 25, x < 0, lo, hi);
}

// Average pool, one tap: s = f32(s + f32(sx * t)) with t = x - zx, in units of sx's LSB
// (every float32 value here lies on that grid, so the sums are exact integers).
inline int64_t avg_tap(int64_t s, int32_t t, ap_uint<64> msx) {
#pragma HLS INLINE
    ap_uint<64> md, m;
    int ed, e;
    round_sig24<64>(magnitude(t) * msx, md, ed);
    const int64_t d = (int64_t)(md << ed).to_uint64();
    const int64_t x = s + (t < 0 ? -d : d);
    round_sig24<64>(magnitude(x), m, e);
    const int64_t r = (int64_t)(m << e).to_uint64();
    return x < 0 ? -r : r;
}

// n / d (n < 2^25, 0 < d < 2^8) rounded to 24 significant bits: a quotient of >= 26 bits,
// the remainder as a sticky bit below it.
inline void div_sig(ap_uint<25> n, ap_uint<8> d, ap_uint<64> &m, int &e) {
    int shift = 27 + bit_length<8>(d) - bit_length<25>(n);
    if (shift < 0) shift = 0;
    const ap_uint<36> num = ap_uint<36>(n) << shift;
    const ap_uint<36> q = num / d;
    round_sig24<64>((q << 1) | ap_uint<64>(num - q * d != 0 ? 1 : 0), m, e);
    e -= shift + 1;
}

// m1 / msy (m1 <= 2^24, 2^23 <= msy < 2^24) rounded to 24 significant bits without a divider:
// q = (m1 * recip) >> 24 is floor(m1 * 2^27 / msy) or one less (recip = floor(2^51 / msy));
// one remainder correction, the remainder as a sticky bit.
inline void div_sig_recip(ap_uint<25> m1, ap_uint<24> msy, ap_uint<29> recip, ap_uint<64> &m, int &e) {
    ap_uint<28> q = (ap_uint<54>(m1) * recip) >> 24;
    ap_uint<52> rem = (ap_uint<52>(m1) << 27) - ap_uint<52>(q) * msy;
    if (rem >= msy) {
        q += 1;
        rem -= msy;
    }
    round_sig24<64>((ap_uint<64>(q) << 1) | ap_uint<64>(rem != 0 ? 1 : 0), m, e);
    e -= 28;
}

// Average pool, the output: rne(f32(f32(f32(s / count) / sy) + zy)), clamped (requant.avgpool_int).
inline int32_t avg_out(int64_t s, uint32_t count, uint32_t x_bits, uint32_t y_bits, uint32_t y_recip,
                       int32_t zy, int32_t lo, int32_t hi) {
#pragma HLS INLINE
    ap_uint<64> msx, msy, ms, m1, m2;
    int esx, esy, es, e1, e2;
    f32_parts(x_bits, msx, esx);
    f32_parts(y_bits, msy, esy);
    round_sig24<64>(magnitude(s), ms, es);              // exact: s has 24 significant bits
    div_sig(ms, count, m1, e1);                         // a 35-bit by 8-bit division (count <= 225)
    div_sig_recip(m1, msy, y_recip, m2, e2);
    e2 += e1 + es + esx - esy;                          // |v2| = m2 * 2^e2, m2 in [2^23, 2^24]
    return plus_zy(m2, e2, s < 0, zy, lo, hi);
}

{% if mul %}
// QLinearMul of raw bytes a, b (requant.mul_int): P = (a - za) * (b - zb) exactly, v = f32(P * r)
// (|P| times r's significand, rounded to 24 bits), then rne(f32(v + zy)), clamped.
inline int32_t mul_int(int32_t a, int32_t b, int32_t za, int32_t zb, uint32_t r_bits, int32_t zy, int32_t lo,
                       int32_t hi) {
#pragma HLS INLINE
    ap_uint<64> mr, m;
    int er, e;
    f32_parts(r_bits, mr, er);
    const int32_t p = (int32_t)((ap_int<11>)(a - za) * (ap_int<11>)(b - zb));   // |p| < 2^18
    round_sig24<64>(magnitude(p) * (ap_uint<24>)mr, m, e);
    return plus_zy(m, e + er, p < 0, zy, lo, hi);
}

{% endif %}

}  // namespace hlsgen

#endif
