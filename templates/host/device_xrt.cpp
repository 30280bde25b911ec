// {{ banner }}
// XRT backend: the engine on an Alveo card through XRT's native C++ API.
// act_rd and act_wr (kernel arguments 0 and 1) are bound per invocation to the
// buffers of the activation banks it names (one buffer per bank, each spanning all
// activation addresses); wgt (argument 2) holds weights.bin in its own bank.
#include <stdexcept>

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#include "device.h"

namespace host {
namespace {

class XrtDevice : public Device {
public:
    XrtDevice(const std::string &xclbin, size_t act_bytes, const std::vector<uint8_t> &weights)
        : device_(0u),
          uuid_(device_.load_xclbin(xclbin)),
          kernel_(device_, uuid_, "hlsgen_engine"),
          wgt_(device_, weights.size(), kernel_.group_id(2)),
          run_(kernel_) {
        // act_rd is linked to the activation banks in order; the platform's memory topology
        // lists its DDR / HBM banks in order, so bank b is memory group group_id(0) + b.
        for (int b = 0; b < ACT_BANKS; ++b)
            act_.emplace_back(device_, act_bytes, static_cast<xrt::memory_group>(kernel_.group_id(0) + b));
        wgt_.write(weights.data(), weights.size(), 0);
        wgt_.sync(XCL_BO_SYNC_BO_TO_DEVICE, weights.size(), 0);
        run_.set_arg(2, wgt_);
    }

    void write_act(int bank, size_t addr, const uint8_t *src, size_t n) override {
        act_.at(bank).write(src, n, addr);
        act_.at(bank).sync(XCL_BO_SYNC_BO_TO_DEVICE, n, addr);
    }

    void read_act(int bank, size_t addr, uint8_t *dst, size_t n) override {
        act_.at(bank).sync(XCL_BO_SYNC_BO_FROM_DEVICE, n, addr);
        act_.at(bank).read(dst, n, addr);
    }

    void run(const int64_t regs[NUM_REGISTERS]) override {
        run_.set_arg(0, act_.at(regs[REG_RD_BANK]));
        run_.set_arg(1, act_.at(regs[REG_WR_BANK]));
{% for r in registers %}
        run_.set_arg({{ loop.index0 + 3 }}, static_cast<{{ r.ctype }}>(regs[{{ loop.index0 }}]));
{% endfor %}
        run_.start();
        run_.wait();
    }

    const char *name() const override { return "xrt"; }

private:
    xrt::device device_;
    xrt::uuid uuid_;
    xrt::kernel kernel_;
    std::vector<xrt::bo> act_;
    xrt::bo wgt_;
    xrt::run run_;
};

}  // namespace

std::unique_ptr<Device> Device::open(const std::string &xclbin, size_t act_bytes, const std::vector<uint8_t> &weights) {
    if (xclbin.empty()) throw std::runtime_error("--xclbin is required on the card");
    return std::unique_ptr<Device>(new XrtDevice(xclbin, act_bytes, weights));
}

}  // namespace host
