// Test driver for the kernel's integer requantization (requant.h):
// reads (int32 acc, uint32 scale bits, int32 zy) triples from stdin, writes the
// int32 results of hlsgen::requant(acc, s, zy, -1000000, 1000000) to stdout.
#include <cstdio>

#include "requant.h"

int main() {
    int32_t in[3];
    while (std::fread(in, sizeof(int32_t), 3, stdin) == 3) {
        const int32_t q = hlsgen::requant(in[0], (uint32_t)in[1], in[2], -1000000, 1000000);
        std::fwrite(&q, sizeof(q), 1, stdout);
    }
    return 0;
}
