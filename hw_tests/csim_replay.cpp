// Test driver for the generated engine: replays invocations on memory images.
//   csim_replay ACT.bin WGT.bin OFFSET N OUT.bin
// ACT.bin: the activation memory (bank 0); WGT.bin: the weight memory, with N commands (ENGINE.md
// section 4) at byte OFFSET; OUT.bin: the activation memory after one run of them.  Built against
// the device layer of a generated project.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "device.h"

static std::vector<uint8_t> slurp(const char *path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

int main(int argc, char **argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s ACT.bin WGT.bin OFFSET N OUT.bin\n", argv[0]);
        return 2;
    }
    std::vector<uint8_t> act = slurp(argv[1]), wgt = slurp(argv[2]);
    auto dev = host::Device::open("", act.size(), wgt);
    dev->write_act(0, 0, 0, act.data(), act.size());
    dev->start(0, std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10));
    dev->wait(0);
    dev->read_act(0, 0, 0, act.data(), act.size());
    std::ofstream(argv[5], std::ios::binary).write((const char *)act.data(), act.size());
    return 0;
}
