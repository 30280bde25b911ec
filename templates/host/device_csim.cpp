// {{ banner }}
// C simulation backend, per compute unit: the activation banks (one array, bank b from word b * BANK_WORDS, so the
// kernel reaches bank 1 at bank_step bytes from bank 0, as on the card) and the weight memory are
// host arrays of port words, and a run is a direct call of the kernel function.
#include <stdexcept>

#include "../kernel/engine.h"
#include "device.h"

namespace host {
namespace {

// One compute unit's memories.
struct Unit {
    Unit(size_t act_bytes, const std::vector<uint8_t> &wgt)
        : bank_words((act_bytes + hlsgen::PI - 1) / hlsgen::PI),
          act(ACT_BANKS * bank_words),
          weights((wgt.size() + hlsgen::BEAT_BYTES - 1) / hlsgen::BEAT_BYTES + 1) {
        for (size_t i = 0; i < wgt.size(); ++i) {
            hlsgen::beat_t &beat = weights[i / hlsgen::BEAT_BYTES];
            const int b = i % hlsgen::BEAT_BYTES;
            beat.range(8 * b + 7, 8 * b) = wgt[i];
        }
    }
    size_t bank_words;
    std::vector<hlsgen::word_t> act;      // every bank spans all addresses (ENGINE.md section 3)
    std::vector<hlsgen::beat_t> weights;
};

// The kernel function keeps state in static arrays (its buffers), so the units run one after another:
// start runs the unit's commands to the end, wait has nothing left to wait for.
class CsimDevice : public Device {
public:
    CsimDevice(size_t act_bytes, const std::vector<uint8_t> &wgt) : units_(COMPUTE_UNITS, Unit(act_bytes, wgt)) {}

    int units() const override { return COMPUTE_UNITS; }

    void write_act(int unit, int bank, size_t addr, const uint8_t *src, size_t n) override {
        Unit &u = at(unit, bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            u.act[bank * u.bank_words + a / hlsgen::PI].range(8 * lane + 7, 8 * lane) = src[i];
        }
    }

    void read_act(int unit, int bank, size_t addr, uint8_t *dst, size_t n) override {
        Unit &u = at(unit, bank, addr, n);
        for (size_t i = 0; i < n; ++i) {
            const size_t a = addr + i;
            const int lane = a % hlsgen::PI;
            dst[i] = u.act[bank * u.bank_words + a / hlsgen::PI].range(8 * lane + 7, 8 * lane).to_uint();
        }
    }

    void start(int unit, size_t offset, size_t n) override {
        Unit &u = at(unit, 0, 0, 0);
        if (offset % hlsgen::BEAT_BYTES || offset + n * hlsgen::CMD_BYTES > u.weights.size() * hlsgen::BEAT_BYTES)
            throw std::out_of_range("command list outside the weight memory");
        hlsgen_engine(u.act.data(), u.act.data(), u.weights.data(), offset, n, (uint64_t)u.bank_words * hlsgen::PI);
    }

    void wait(int unit) override { at(unit, 0, 0, 0); }

    const char *name() const override { return "csim"; }

private:
    Unit &at(int unit, int bank, size_t addr, size_t n) {
        if (unit < 0 || unit >= COMPUTE_UNITS) throw std::out_of_range("compute unit out of range");
        if (bank < 0 || bank >= ACT_BANKS) throw std::out_of_range("activation bank out of range");
        if (addr + n > units_[unit].bank_words * hlsgen::PI)
            throw std::out_of_range("activation memory access out of range");
        return units_[unit];
    }

    std::vector<Unit> units_;
};

}  // namespace

std::unique_ptr<Device> Device::open(const std::string &, size_t act_bytes, const std::vector<uint8_t> &wgt) {
    return std::unique_ptr<Device>(new CsimDevice(act_bytes, wgt));
}

}  // namespace host
