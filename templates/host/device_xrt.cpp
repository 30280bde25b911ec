// {{ banner }}
// XRT backend: the engine on an Alveo card through XRT's native C++ API.
// One buffer per activation bank, each spanning all activation addresses; act_rd and act_wr
// (kernel arguments 0 and 1) point at bank 0's, and bank_step (argument 5) is the distance from
// it to bank 1's in device addresses (xrt::bo::address), so the kernel reaches either bank through
// the same ports; wgt (argument 2) holds weights.bin and the command list in its own bank. A run is
// a whole command list: one start and one wait per sample, not per invocation.
// Where each buffer lives is read from the xclbin itself: the memories its kernel
// argument is connected to (xrt::xclbin::arg::get_mems), not arithmetic on
// xrt::kernel::group_id (which names one memory of the argument's connections only).
// The kernel is the xclbin's own: the HLS kernel (hlsgen_engine) or the RTL kernel (hlsgen_rtl),
// which have the same arguments in the same order (hw/kernel.xml).
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>
#include <xrt/xrt_xclbin.h>

#include "device.h"

namespace host {
namespace {

const char *const KERNELS[] = {"hlsgen_engine", "hlsgen_rtl"};
// A sample's whole command list takes well under a second at the kernel clock; a run that has not
// completed after this long is reported (and aborted) instead of waited for forever.
const std::chrono::milliseconds RUN_TIMEOUT{10000};

// The xclbin's hlsgen kernel: exactly one of KERNELS.
std::string kernel_name(const xrt::xclbin &xclbin) {
    std::string found;
    for (const xrt::xclbin::kernel &k : xclbin.get_kernels())
        for (const char *name : KERNELS)
            if (k.get_name() == name) {
                if (!found.empty()) throw std::runtime_error("the xclbin holds both " + found + " and " + name);
                found = name;
            }
    if (found.empty()) throw std::runtime_error("the xclbin holds neither hlsgen_engine nor hlsgen_rtl");
    return found;
}

// Memory indices (the xclbin's memory topology) kernel argument ARG is connected to, ascending.
std::vector<int32_t> arg_memories(const xrt::xclbin &xclbin, const std::string &kernel, int arg, size_t need) {
    std::vector<int32_t> out;
    for (const xrt::xclbin::mem &m : xclbin.get_kernel(kernel).get_arg(arg).get_mems()) out.push_back(m.get_index());
    std::sort(out.begin(), out.end());
    if (out.size() < need)
        throw std::runtime_error(kernel + " argument " + std::to_string(arg) + " is connected to " +
                                 std::to_string(out.size()) + " memory bank(s) in the xclbin, the plan needs " +
                                 std::to_string(need) + ": link with hw/connectivity.cfg");
    return out;
}

class XrtDevice : public Device {
public:
    XrtDevice(const std::string &path, size_t act_bytes, const std::vector<uint8_t> &weights)
        : device_(0u),
          xclbin_(path),
          uuid_(device_.load_xclbin(xclbin_)),
          name_(kernel_name(xclbin_)),
          kernel_(device_, uuid_, name_),
          wgt_(device_, weights.size(), static_cast<xrt::memory_group>(arg_memories(xclbin_, name_, 2, 1)[0])),
          run_(kernel_) {
        // Activation bank b is the b-th memory (in topology order) act_rd is connected to; act_wr
        // must reach the same memories (connectivity.cfg links both to the same banks).
        const std::vector<int32_t> rd = arg_memories(xclbin_, name_, 0, ACT_BANKS),
                                   wr = arg_memories(xclbin_, name_, 1, ACT_BANKS);
        for (int b = 0; b < ACT_BANKS; ++b) {
            if (std::find(wr.begin(), wr.end(), rd[b]) == wr.end())
                throw std::runtime_error("act_wr is not connected to memory " + std::to_string(rd[b]) +
                                         " (act_rd's bank " + std::to_string(b) + "): link with hw/connectivity.cfg");
            act_.emplace_back(device_, act_bytes, static_cast<xrt::memory_group>(rd[b]));
        }
        wgt_.write(weights.data(), weights.size(), 0);
        wgt_.sync(XCL_BO_SYNC_BO_TO_DEVICE, weights.size(), 0);
        run_.set_arg(0, act_.at(0));
        run_.set_arg(1, act_.at(0));
        run_.set_arg(2, wgt_);
        run_.set_arg(5, static_cast<uint64_t>(ACT_BANKS > 1 ? act_.at(ACT_BANKS - 1).address() - act_.at(0).address() : 0));
    }

    void write_act(int bank, size_t addr, const uint8_t *src, size_t n) override {
        act_.at(bank).write(src, n, addr);
        act_.at(bank).sync(XCL_BO_SYNC_BO_TO_DEVICE, n, addr);
    }

    void read_act(int bank, size_t addr, uint8_t *dst, size_t n) override {
        act_.at(bank).sync(XCL_BO_SYNC_BO_FROM_DEVICE, n, addr);
        act_.at(bank).read(dst, n, addr);
    }

    void run_commands(size_t offset, size_t n) override {
        run_.set_arg(3, static_cast<uint32_t>(offset));
        run_.set_arg(4, static_cast<uint32_t>(n));
        run_.start();
        const ert_cmd_state state = run_.wait(RUN_TIMEOUT);
        if (state == ERT_CMD_STATE_COMPLETED) return;
        if (state == ERT_CMD_STATE_NEW || state == ERT_CMD_STATE_QUEUED || state == ERT_CMD_STATE_SUBMITTED ||
            state == ERT_CMD_STATE_RUNNING) {  // still in flight: timed out
            run_.abort();
            throw std::runtime_error("the engine did not finish within " + std::to_string(RUN_TIMEOUT.count()) +
                                     " ms (aborted)");
        }
        throw std::runtime_error("the engine run ended in XRT state " + std::to_string(static_cast<int>(state)) +
                                 " (ert_cmd_state), not completed");
    }

    const char *name() const override { return "xrt"; }

private:
    xrt::device device_;
    xrt::xclbin xclbin_;
    xrt::uuid uuid_;
    std::string name_;
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
