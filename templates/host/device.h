// {{ banner }}
// The host's view of the engine: an activation memory, a weight memory and
// "run one invocation".  Two backends implement it: device_xrt.cpp (the card,
// through XRT's native API) and device_csim.cpp (direct calls to the kernel).
#ifndef HLSGEN_DEVICE_H
#define HLSGEN_DEVICE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace host {

const int NUM_REGISTERS = {{ registers | length }};
const int ACT_BANKS = {{ act_banks }};            // activation banks (docs/ENGINE.md section 3)
const int REG_RD_BANK = {{ reg_rd_bank }};        // registers naming the banks act_rd / act_wr use
const int REG_WR_BANK = {{ reg_wr_bank }};

class Device {
public:
    // xclbin: path of the FPGA binary (ignored by the csim backend).
    static std::unique_ptr<Device> open(const std::string &xclbin, size_t act_bytes,
                                        const std::vector<uint8_t> &weights);
    virtual ~Device() = default;
    virtual void write_act(int bank, size_t addr, const uint8_t *src, size_t n) = 0;
    virtual void read_act(int bank, size_t addr, uint8_t *dst, size_t n) = 0;
    // Write the registers (REGISTERS order), bind act_rd / act_wr to the banks the
    // invocation names (REG_RD_BANK, REG_WR_BANK), start the engine, wait for done.
    virtual void run(const int64_t regs[NUM_REGISTERS]) = 0;
    virtual const char *name() const = 0;
};

}  // namespace host

#endif
