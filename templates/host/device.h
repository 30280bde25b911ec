// {{ banner }}
// The host's view of the engine: activation banks, a weight memory (weights.bin and the command
// list after it) and "run these commands".  Two backends implement it: device_xrt.cpp (the card,
// through XRT's native API) and device_csim.cpp (direct calls to the kernel).
#ifndef HLSGEN_DEVICE_H
#define HLSGEN_DEVICE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace host {

const int ACT_BANKS = {{ act_banks }};            // activation banks (docs/ENGINE.md section 3)

class Device {
public:
    // xclbin: path of the FPGA binary (ignored by the csim backend); wgt: the weight memory's image
    // (weights.bin, then the command list).
    static std::unique_ptr<Device> open(const std::string &xclbin, size_t act_bytes,
                                        const std::vector<uint8_t> &wgt);
    virtual ~Device() = default;
    virtual void write_act(int bank, size_t addr, const uint8_t *src, size_t n) = 0;
    virtual void read_act(int bank, size_t addr, uint8_t *dst, size_t n) = 0;
    // One kernel run: the N commands at byte OFFSET of the weight memory, in order (each names the
    // activation banks its invocation reads and writes); returns when the last one is done.
    virtual void run_commands(size_t offset, size_t n) = 0;
    virtual const char *name() const = 0;
};

}  // namespace host

#endif
