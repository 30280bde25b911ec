// Exhaustive check of hlsgen::mul2 (kernel/dsp_pack.h): every activation a in -128..255 (int8 and
// uint8 bytes) and every pair of int8 weights b, c; prints the number of triples checked and
// exits 1 on the first product that differs from a plain multiply.
#include <cstdio>

#include "dsp_pack.h"

int main() {
    long checked = 0;
    for (int a = -128; a <= 255; ++a)
        for (int b = -128; b <= 127; ++b)
            for (int c = -128; c <= 127; ++c) {
                hlsgen::prod18_t ab, ac;
                hlsgen::mul2(a, b, c, ab, ac);
                if (ab.to_int() != a * b || ac.to_int() != a * c) {
                    std::printf("mismatch a=%d b=%d c=%d: %d %d\n", a, b, c, ab.to_int(), ac.to_int());
                    return 1;
                }
                ++checked;
            }
    std::printf("%ld triples exact\n", checked);
    return 0;
}
