// {{ banner }}
// C simulation backend: the activation banks (one array, bank b from word b * BANK_WORDS, so the
// kernel reaches bank 1 at bank_step bytes from bank 0, as on the card) and the weight memory are
// host arrays of port words, and a run is a direct call of the kernel function.
#include <stdexcept>

#include "../kernel/engine.h"
#include "device.h"

namespace host {
namespace {

class CsimDevice : public Device {
public:
    CsimDevice(size_t act_bytes, const std::vector<uint8_t> &wgt)
        : bank_words_((act_bytes + hlsgen::PI - 1) / hlsgen::PI),
          act_(ACT_BANKS * bank_words_),
          wgt_((wgt.size() + hlsgen::BEAT_BYTES - 1) / hlsgen::BEAT_BYTES + 1) {
        for (size_t i = 0; i < wgt.size(); ++i) {
            hlsgen::beat_t &beat = wgt_[i / hlsgen::BEAT_BYTES];
            const int b = i % hlsgen::BEAT_BYTES;
            beat.range(8 * b + 7, 8 * b) = wgt[i];
        }
    }

    void write_act(int bank, size_t addr, const uint8_t *src, size_t n) override {
        check(bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            act_[bank * bank_words_ + a / hlsgen::PI].range(8 * lane + 7, 8 * lane) = src[i];
        }
    }

    void read_act(int bank, size_t addr, uint8_t *dst, size_t n) override {
        check(bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            dst[i] = act_[bank * bank_words_ + a / hlsgen::PI].range(8 * lane + 7, 8 * lane).to_uint();
        }
    }

    void run_commands(size_t offset, size_t n) override {
        if (offset % hlsgen::BEAT_BYTES || offset + n * hlsgen::CMD_BYTES > wgt_.size() * hlsgen::BEAT_BYTES)
            throw std::out_of_range("command list outside the weight memory");
        hlsgen_engine(act_.data(), act_.data(), wgt_.data(), offset, n, (uint64_t)bank_words_ * hlsgen::PI);
    }

    const char *name() const override { return "csim"; }

private:
    void check(int bank, size_t addr, size_t n) const {
        if (bank < 0 || bank >= ACT_BANKS) throw std::out_of_range("activation bank out of range");
        if (addr + n > bank_words_ * hlsgen::PI) throw std::out_of_range("activation memory access out of range");
    }

    size_t bank_words_;
    std::vector<hlsgen::word_t> act_;   // every bank spans all addresses (ENGINE.md section 3)
    std::vector<hlsgen::beat_t> wgt_;
};

}  // namespace

std::unique_ptr<Device> Device::open(const std::string &, size_t act_bytes, const std::vector<uint8_t> &wgt) {
    return std::unique_ptr<Device>(new CsimDevice(act_bytes, wgt));
}

}  // namespace host
