// {{ banner }}
// Two int8 products in one DSP48E2 multiply (AMD WP486 "Deep Learning with INT8 Optimization on
// Xilinx Devices"): Vitis HLS maps one product to one DSP and never packs two by itself, so the
// packing is written here.  A shared activation a (an int8, or a uint8 read as 9-bit signed) times
// two weights b, c (int8): the 27-bit pre-adder operand b * 2^18 + c times a gives
// p = a*b * 2^18 + a*c in 36 bits (a 27 x 18 multiply).  |a*c| <= 255 * 128 < 2^17, so the low 18
// bits of p are a*c in two's complement, and p >> 18 (arithmetic) is a*b minus the borrow a
// negative a*c takes from it: a*b = (p >> 18) + p[17].  hw_tests/csim_dsp_pack.cpp checks every
// (a, b, c) with a in -128..255 and b, c in -128..127 against plain multiplies.
#ifndef HLSGEN_DSP_PACK_H
#define HLSGEN_DSP_PACK_H

#include "engine.h"

namespace hlsgen {

typedef ap_int<9> act9_t;     // an activation byte, sign- or zero-extended
typedef ap_int<8> wgt8_t;     // a weight w' (int8)
typedef ap_int<18> prod18_t;  // a product: |a*w| <= 255 * 128

const int PACK_SHIFT = 18;    // the low product's field: 18 bits (WP486)

// ab = a * b and ac = a * c from one multiply.
inline void mul2(act9_t a, wgt8_t b, wgt8_t c, prod18_t &ab, prod18_t &ac) {
#pragma HLS INLINE
    const ap_int<27> packed = ((ap_int<27>)b << PACK_SHIFT) + (ap_int<27>)c;  // DSP pre-adder
    const ap_int<36> p = packed * (ap_int<18>)a;                              // one 27 x 18 multiply
    ac = (prod18_t)p.range(PACK_SHIFT - 1, 0);                                // two's complement low field
    ab = (prod18_t)((p >> PACK_SHIFT) + (ap_uint<1>)p[PACK_SHIFT - 1]);  // undo the borrow
}

}  // namespace hlsgen

#endif
