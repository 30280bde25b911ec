// {{ banner }}
// XRT backend: the engine on an Alveo card through XRT's native C++ API, one unit per compute unit
// (CU) of the xclbin's hlsgen kernel (hw/connectivity.cfg: hlsgen_engine_1 .. _N, each in its SLR).
// Per CU: one buffer per activation bank, each spanning all activation addresses; act_rd and act_wr
// (kernel arguments 0 and 1) point at bank 0's, and bank_step (argument 5) is the distance from
// it to bank 1's in device addresses (xrt::bo::address), so the kernel reaches either bank through
// the same ports; wgt (argument 2) holds weights.bin and the command list in the CU's weight bank.
// A run is a whole command list: one start and one wait per sample, not per invocation; the CUs run
// at the same time (start returns at once), each on its own sample.
// Where each buffer lives is read from the xclbin itself: the memories the CU's argument is
// connected to (xrt::xclbin::ip::get_arg(i).get_mems()), not arithmetic on xrt::kernel::group_id
// (which names one memory of the argument's connections only). A kernel object per CU:
// "kernel:{cu}" (XRT native API: a kernel object opened on named compute units).
// The kernel is the xclbin's own: the HLS kernel (hlsgen_engine) or the RTL kernel (hlsgen_rtl),
// which have the same arguments in the same order (hw/kernel.xml).
#include <algorithm>
#include <chrono>
#include <memory>
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

// Memory indices (the xclbin's memory topology) argument ARG of compute unit CU is connected to, ascending.
std::vector<int32_t> arg_memories(const xrt::xclbin::ip &cu, int arg, size_t need) {
    std::vector<int32_t> out;
    for (const xrt::xclbin::mem &m : cu.get_arg(arg).get_mems()) out.push_back(m.get_index());
    std::sort(out.begin(), out.end());
    if (out.size() < need)
        throw std::runtime_error(cu.get_name() + " argument " + std::to_string(arg) + " is connected to " +
                                 std::to_string(out.size()) + " memory bank(s) in the xclbin, the plan needs " +
                                 std::to_string(need) + ": link with hw/connectivity.cfg");
    return out;
}

// One CU: its kernel object, buffers and run.
struct Unit {
    Unit(xrt::device &device, const xrt::uuid &uuid, const std::string &kernel, const xrt::xclbin::ip &cu,
         size_t act_bytes, const std::vector<uint8_t> &weights)
        : kernel_(device, uuid, kernel + ":{" + cu.get_name().substr(cu.get_name().find(':') + 1) + "}"),
          wgt(device, weights.size(), static_cast<xrt::memory_group>(arg_memories(cu, 2, 1)[0])),
          run(kernel_) {
        // Activation bank b is the b-th memory (in topology order) act_rd is connected to; act_wr
        // must reach the same memories (connectivity.cfg links both to the same banks).
        const std::vector<int32_t> rd = arg_memories(cu, 0, ACT_BANKS), wr = arg_memories(cu, 1, ACT_BANKS);
        for (int b = 0; b < ACT_BANKS; ++b) {
            if (std::find(wr.begin(), wr.end(), rd[b]) == wr.end())
                throw std::runtime_error(cu.get_name() + ": act_wr is not connected to memory " + std::to_string(rd[b]) +
                                         " (act_rd's bank " + std::to_string(b) + "): link with hw/connectivity.cfg");
            act.emplace_back(device, act_bytes, static_cast<xrt::memory_group>(rd[b]));
        }
        wgt.write(weights.data(), weights.size(), 0);
        wgt.sync(XCL_BO_SYNC_BO_TO_DEVICE, weights.size(), 0);
        run.set_arg(0, act.at(0));
        run.set_arg(1, act.at(0));
        run.set_arg(2, wgt);
        run.set_arg(5, static_cast<uint64_t>(ACT_BANKS > 1 ? act.at(ACT_BANKS - 1).address() - act.at(0).address() : 0));
    }
    xrt::kernel kernel_;
    std::vector<xrt::bo> act;
    xrt::bo wgt;
    xrt::run run;
};

class XrtDevice : public Device {
public:
    XrtDevice(const std::string &path, size_t act_bytes, const std::vector<uint8_t> &weights)
        : device_(0u), xclbin_(path), uuid_(device_.load_xclbin(xclbin_)), name_(kernel_name(xclbin_)) {
        std::vector<xrt::xclbin::ip> cus = xclbin_.get_kernel(name_).get_cus();
        std::sort(cus.begin(), cus.end(), [](const xrt::xclbin::ip &a, const xrt::xclbin::ip &b) {
            return a.get_name() < b.get_name();     // _1, _2, ... (at most one CU per SLR)
        });
        for (const xrt::xclbin::ip &cu : cus) units_.emplace_back(new Unit(device_, uuid_, name_, cu, act_bytes, weights));
        if (units_.empty()) throw std::runtime_error("the xclbin has no compute unit of " + name_);
    }

    int units() const override { return (int)units_.size(); }

    void write_act(int unit, int bank, size_t addr, const uint8_t *src, size_t n) override {
        xrt::bo &bo = units_.at(unit)->act.at(bank);
        bo.write(src, n, addr);
        bo.sync(XCL_BO_SYNC_BO_TO_DEVICE, n, addr);
    }

    void read_act(int unit, int bank, size_t addr, uint8_t *dst, size_t n) override {
        xrt::bo &bo = units_.at(unit)->act.at(bank);
        bo.sync(XCL_BO_SYNC_BO_FROM_DEVICE, n, addr);
        bo.read(dst, n, addr);
    }

    void start(int unit, size_t offset, size_t n) override {
        xrt::run &run = units_.at(unit)->run;
        run.set_arg(3, static_cast<uint32_t>(offset));
        run.set_arg(4, static_cast<uint32_t>(n));
        run.start();
    }

    void wait(int unit) override {
        xrt::run &run = units_.at(unit)->run;
        const ert_cmd_state state = run.wait(RUN_TIMEOUT);
        if (state == ERT_CMD_STATE_COMPLETED) return;
        if (state == ERT_CMD_STATE_NEW || state == ERT_CMD_STATE_QUEUED || state == ERT_CMD_STATE_SUBMITTED ||
            state == ERT_CMD_STATE_RUNNING) {  // still in flight: timed out
            run.abort();
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
    std::vector<std::unique_ptr<Unit>> units_;
};

}  // namespace

std::unique_ptr<Device> Device::open(const std::string &xclbin, size_t act_bytes, const std::vector<uint8_t> &weights) {
    if (xclbin.empty()) throw std::runtime_error("--xclbin is required on the card");
    return std::unique_ptr<Device>(new XrtDevice(xclbin, act_bytes, weights));
}

}  // namespace host
