// Test driver for the generated engine: replays invocations on memory images.
//   csim_replay ACT.bin WGT.bin REGS.bin OUT.bin
// ACT.bin: the activation memory (bank 0); WGT.bin: the weight memory; REGS.bin: int64
// register values, host::NUM_REGISTERS per invocation; OUT.bin: the activation
// memory afterwards.  Built against the device layer of a generated project.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "device.h"

static std::vector<uint8_t> slurp(const char *path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s ACT.bin WGT.bin REGS.bin OUT.bin\n", argv[0]);
        return 2;
    }
    std::vector<uint8_t> act = slurp(argv[1]), wgt = slurp(argv[2]), regs = slurp(argv[3]);
    auto dev = host::Device::open("", act.size(), wgt);
    dev->write_act(0, 0, act.data(), act.size());
    const size_t row = host::NUM_REGISTERS * sizeof(int64_t);
    for (size_t off = 0; off + row <= regs.size(); off += row) {
        int64_t r[host::NUM_REGISTERS];
        for (int i = 0; i < host::NUM_REGISTERS; ++i) {
            uint64_t v = 0;
            for (int b = 7; b >= 0; --b) v = (v << 8) | regs[off + 8 * i + b];
            r[i] = (int64_t)v;
        }
        dev->run(r);
    }
    dev->read_act(0, 0, act.data(), act.size());
    std::ofstream(argv[4], std::ios::binary).write((const char *)act.data(), act.size());
    return 0;
}
