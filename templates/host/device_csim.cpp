// {{ banner }}
// C simulation backend: the activation banks and the weight memory are host arrays
// of port words and an invocation is a direct call of the kernel function.
#include <cstring>
#include <stdexcept>

#include "../kernel/engine.h"
#include "device.h"

namespace host {
namespace {

class CsimDevice : public Device {
public:
    CsimDevice(size_t act_bytes, const std::vector<uint8_t> &weights)
        : wgt_((weights.size() + hlsgen::BEAT_BYTES - 1) / hlsgen::BEAT_BYTES + 1) {
        for (size_t i = 0; i < weights.size(); ++i) {
            hlsgen::beat_t &beat = wgt_[i / hlsgen::BEAT_BYTES];
            const int b = i % hlsgen::BEAT_BYTES;
            beat.range(8 * b + 7, 8 * b) = weights[i];
        }
        for (auto &bank : act_) bank.resize((act_bytes + hlsgen::PI - 1) / hlsgen::PI);
    }

    void write_act(int bank, size_t addr, const uint8_t *src, size_t n) override {
        check(bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            act_[bank][a / hlsgen::PI].range(8 * lane + 7, 8 * lane) = src[i];
        }
    }

    void read_act(int bank, size_t addr, uint8_t *dst, size_t n) override {
        check(bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            dst[i] = act_[bank][a / hlsgen::PI].range(8 * lane + 7, 8 * lane).to_uint();
        }
    }

    void run(const int64_t regs[NUM_REGISTERS]) override {
        const int rd = (int)regs[REG_RD_BANK], wr = (int)regs[REG_WR_BANK];
        check(rd, 0, 0);
        check(wr, 0, 0);
        hlsgen_engine(act_[rd].data(), act_[wr].data(), wgt_.data(),
{% for r in registers %}
                      regs[{{ loop.index0 }}]{{ "," if not loop.last else ");" }}
{% endfor %}
    }

    const char *name() const override { return "csim"; }

private:
    void check(int bank, size_t addr, size_t n) const {
        if (bank < 0 || bank >= ACT_BANKS) throw std::out_of_range("activation bank out of range");
        if (addr + n > act_[bank].size() * hlsgen::PI)
            throw std::out_of_range("activation memory access out of range");
    }

    std::vector<hlsgen::word_t> act_[ACT_BANKS];  // every bank spans all addresses (ENGINE.md section 3)
    std::vector<hlsgen::beat_t> wgt_;
};

}  // namespace

std::unique_ptr<Device> Device::open(const std::string &, size_t act_bytes, const std::vector<uint8_t> &weights) {
    return std::unique_ptr<Device>(new CsimDevice(act_bytes, weights));
}

}  // namespace host
