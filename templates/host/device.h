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
const int COMPUTE_UNITS = {{ compute_units | length if compute_units is defined else 1 }};        // the plan's compute units (ENGINE.md section 7)

// Every compute unit (CU) has memories of its own: activation banks and a weight memory (the same
// image in each); unit u of a run is the CU hlsgen_engine_{u+1} (or hlsgen_rtl_{u+1}).
class Device {
public:
    // xclbin: path of the FPGA binary (ignored by the csim backend); wgt: the weight memory's image
    // (weights.bin, then the command list).
    static std::unique_ptr<Device> open(const std::string &xclbin, size_t act_bytes,
                                        const std::vector<uint8_t> &wgt);
    virtual ~Device() = default;
    virtual int units() const = 0;
    virtual void write_act(int unit, int bank, size_t addr, const uint8_t *src, size_t n) = 0;
    virtual void read_act(int unit, int bank, size_t addr, uint8_t *dst, size_t n) = 0;
    // A kernel run on UNIT: the N commands at byte OFFSET of its weight memory, in order (each names
    // the activation banks its invocation reads and writes). start returns at once on the card (the
    // units run concurrently); wait returns when the unit's run is done.
    virtual void start(int unit, size_t offset, size_t n) = 0;
    virtual void wait(int unit) = 0;
    virtual const char *name() const = 0;
};

}  // namespace host

#endif
