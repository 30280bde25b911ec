// {{ banner }}
// Conv epilogue: integer requantization, clamp, and the fused residual add.
#ifndef HLSGEN_EPILOGUE_H
#define HLSGEN_EPILOGUE_H

#include "engine.h"
#include "requant.h"

namespace hlsgen {

inline void epilogue(const word_t *act_rd, const uint32_t scale[PO], const Regs &r, int group,
                     hls::stream<acc_vec> &accs, hls::stream<out_vec> &outs) {
    const int w0 = group * (PO / PI);
epilogue_rows:
    for (int oy = r.oy0; oy < (int)r.oy1; ++oy) {
#pragma HLS LOOP_TRIPCOUNT max={{ max_rows }}
    epilogue_cols:
        for (int ox = 0; ox < (int)r.out_w; ++ox) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT max={{ max_cols }}
            const acc_vec acc = accs.read();
            uint8_t res[PO];
#pragma HLS ARRAY_PARTITION variable=res complete
            if (r.add_en) {
                const uint32_t pixel = r.add_addr / PI + (oy * r.out_w + ox) * r.out_words;
            epilogue_residual:
                for (int s = 0; s < PO / PI; ++s) {
#pragma HLS UNROLL
                    const word_t b = w0 + s < (int)r.out_words ? act_rd[pixel + w0 + s] : word_t(0);
                    for (int i = 0; i < PI; ++i) res[s * PI + i] = b.range(8 * i + 7, 8 * i).to_uint();
                }
            }
            out_vec y;
        epilogue_lanes:
            for (int j = 0; j < PO; ++j) {
#pragma HLS UNROLL
                int32_t a = requant(acc.v[j], scale[j], r.zy, r.lo, r.hi);
                if (r.add_en)
                    a = add_fma(a, lane_value(res[j], r.add_signed), r.add_ma, r.add_mb, r.add_k, r.add_wsh,
                                r.add_sh, r.add_lo, r.add_hi);
                y.v[j] = (uint8_t)a;
            }
            outs.write(y);
        }
    }
}

}  // namespace hlsgen

#endif
