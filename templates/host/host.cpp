// {{ banner }}
// Host program: quantize the input batch, run the plan's invocations on the engine's compute
// units (sample n on unit n % units, the units at the same time), dequantize the outputs in order.
//
//   host [--xclbin FILE] --weights weights.bin --input X.npy --output Y.npy
//        [--golden G.npy] [--repeat N]
//
// One --input per model input and one --output (and optionally --golden) per
// model output, in the order of the plan.  The engine is the card (XRT backend,
// device_xrt.cpp) or the C simulation of the kernel (device_csim.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "device.h"
#include "npy.h"
#include "plan_tables.h"

namespace {

struct Options {
    std::string xclbin, weights;
    std::vector<std::string> inputs, outputs, goldens;
    int repeat = 1;
};

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) throw std::runtime_error("option " + a + " needs a value");
        const std::string v = argv[++i];
        if (a == "--xclbin") o.xclbin = v;
        else if (a == "--weights") o.weights = v;
        else if (a == "--input") o.inputs.push_back(v);
        else if (a == "--output") o.outputs.push_back(v);
        else if (a == "--golden") o.goldens.push_back(v);
        else if (a == "--repeat") o.repeat = std::max(1, std::stoi(v));
        else throw std::runtime_error("unknown option " + a);
    }
    if (o.weights.empty()) throw std::runtime_error("--weights is required");
    if (o.inputs.size() != plan::QUANTIZE.size())
        throw std::runtime_error("expected " + std::to_string(plan::QUANTIZE.size()) + " --input file(s)");
    if (o.outputs.size() != plan::DEQUANTIZE.size())
        throw std::runtime_error("expected " + std::to_string(plan::DEQUANTIZE.size()) + " --output file(s)");
    if (!o.goldens.empty() && o.goldens.size() != plan::DEQUANTIZE.size())
        throw std::runtime_error("give one --golden per output or none");
    return o;
}

std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open");
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

size_t map_bytes(const plan::Map &m) { return (size_t)m.h * m.w * m.map_cw * plan::PI; }

size_t lane_offset(const plan::Map &m, int c, int y, int x) {
    return ((size_t)(y * m.w + x) * m.map_cw + m.c0w) * plan::PI + c;
}

// q = clamp(rne(x / scale) + zp) in float32, as onnxruntime's QuantizeLinear.
uint8_t quantize(float x, const plan::Map &m) {
    const int qmin = m.is_signed ? -128 : 0, qmax = m.is_signed ? 127 : 255;
    float v = x / m.scale;
    v = std::min(std::max(v, (float)(qmin - m.zero_point)), (float)(qmax - m.zero_point));
    return (uint8_t)((int)std::nearbyint(v) + m.zero_point);
}

float dequantize(uint8_t q, const plan::Map &m) {
    const int v = m.is_signed ? (int)(int8_t)q : (int)q;
    return (float)(v - m.zero_point) * m.scale;
}

// Sample n of a float NCHW batch -> the map's bytes (whole words; padding lanes hold zx).
void write_input(host::Device &dev, int unit, const host::Array &x, size_t n, const plan::Map &m) {
    std::vector<uint8_t> img(map_bytes(m), (uint8_t)m.zero_point);
    const size_t plane = (size_t)m.h * m.w, sample = plane * m.c;
    for (int c = 0; c < m.c; ++c)
        for (int y = 0; y < m.h; ++y)
            for (int xx = 0; xx < m.w; ++xx)
                img[lane_offset(m, c, y, xx)] = quantize(x.data[n * sample + c * plane + y * m.w + xx], m);
    dev.write_act(unit, m.bank, m.addr, img.data(), img.size());
}

// Stem packing: a 1x1-conv input whose channel (kh*k + kw)*C + c is tap (kh, kw) of channel c.
void im2col(host::Device &dev, int unit, const plan::Im2col &s) {
    std::vector<uint8_t> src(map_bytes(s.src)), dst(map_bytes(s.dst), (uint8_t)s.zx);
    dev.read_act(unit, s.src.bank, s.src.addr, src.data(), src.size());
    for (int oy = 0; oy < s.dst.h; ++oy)
        for (int ox = 0; ox < s.dst.w; ++ox)
            for (int kh = 0; kh < s.k; ++kh)
                for (int kw = 0; kw < s.k; ++kw) {
                    const int iy = oy * s.stride - s.pad_t + kh, ix = ox * s.stride - s.pad_l + kw;
                    if (iy < 0 || iy >= s.src.h || ix < 0 || ix >= s.src.w) continue;
                    for (int c = 0; c < s.src.c; ++c)
                        dst[lane_offset(s.dst, (kh * s.k + kw) * s.src.c + c, oy, ox)] =
                            src[lane_offset(s.src, c, iy, ix)];
                }
    dev.write_act(unit, s.dst.bank, s.dst.addr, dst.data(), dst.size());
}

// The map -> sample n of the float output, in ONNX (C-major) element order.
void read_output(host::Device &dev, int unit, const plan::Dequantize &s, size_t n, host::Array &y) {
    const plan::Map &m = s.map;
    std::vector<uint8_t> img(map_bytes(m));
    dev.read_act(unit, m.bank, m.addr, img.data(), img.size());
    const size_t sample = (size_t)m.c * m.h * m.w;
    size_t i = n * sample;
    for (int c = 0; c < m.c; ++c)
        for (int yy = 0; yy < m.h; ++yy)
            for (int x = 0; x < m.w; ++x) y.data[i++] = dequantize(img[lane_offset(m, c, yy, x)], m);
}

// The weight memory's image: weights.bin, zeros up to COMMAND_OFFSET, the command list.
std::vector<uint8_t> weight_memory(std::vector<uint8_t> weights) {
    weights.resize(plan::COMMAND_OFFSET, 0);
    for (size_t c = 0; c < plan::NUM_PRELOAD + plan::NUM_INVOCATIONS; ++c)
        for (size_t i = 0; i < plan::CMD_BYTES / 4; ++i)
            for (int b = 0; b < 4; ++b) weights.push_back((uint8_t)(plan::COMMANDS[c][i] >> (8 * b)));
    return weights;
}

// Kernel runs of commands [first, first + n) on units [0, k), at the same time; a failure says which
// run it was.
void run(host::Device &dev, int k, size_t first, size_t n, const std::string &what) {
    const size_t offset = plan::COMMAND_OFFSET + first * plan::CMD_BYTES;
    for (int u = 0; u < k; ++u) {
        try {
            dev.start(u, offset, n);
        } catch (const std::runtime_error &e) {
            throw std::runtime_error(what + " (compute unit " + std::to_string(u + 1) + "): " + e.what());
        }
    }
    for (int u = 0; u < k; ++u) {
        try {
            dev.wait(u);
        } catch (const std::runtime_error &e) {
            throw std::runtime_error(what + " (compute unit " + std::to_string(u + 1) + "): " + e.what());
        }
    }
}

size_t compare(const host::Array &got, const host::Array &want) {
    if (got.shape != want.shape) throw std::runtime_error("golden output has a different shape");
    size_t bad = 0;
    for (size_t i = 0; i < got.data.size(); ++i) bad += got.data[i] != want.data[i];
    return bad;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        const Options opt = parse(argc, argv);
        std::vector<uint8_t> weights = read_file(opt.weights);
        if (weights.size() != plan::WEIGHT_BYTES)
            throw std::runtime_error(opt.weights + ": expected " + std::to_string(plan::WEIGHT_BYTES) + " bytes");
        auto dev = host::Device::open(opt.xclbin, plan::ACT_BYTES, weight_memory(weights));
        const int units = dev->units();
        if (plan::NUM_PRELOAD) run(*dev, units, 0, plan::NUM_PRELOAD, "preload");

        std::vector<host::Array> xs;
        size_t batch = 0;
        for (size_t i = 0; i < opt.inputs.size(); ++i) {
            xs.push_back(host::load_npy(opt.inputs[i]));
            const plan::Map &m = plan::QUANTIZE[i].map;
            const host::Array &x = xs.back();
            if (x.shape.size() != 4 || x.shape[1] != (size_t)m.c || x.shape[2] != (size_t)m.h ||
                x.shape[3] != (size_t)m.w)
                throw std::runtime_error(opt.inputs[i] + ": expected shape (N, " + std::to_string(m.c) + ", " +
                                         std::to_string(m.h) + ", " + std::to_string(m.w) + ")");
            if (i > 0 && x.shape[0] != batch) throw std::runtime_error("inputs differ in batch size");
            batch = x.shape[0];
        }
        std::vector<host::Array> ys(plan::DEQUANTIZE.size());
        for (size_t o = 0; o < ys.size(); ++o) {
            ys[o].shape.push_back(batch);
            for (size_t d : plan::DEQUANTIZE[o].dims) ys[o].shape.push_back(d);
            ys[o].data.resize(batch * plan::DEQUANTIZE[o].map.c * plan::DEQUANTIZE[o].map.h *
                              plan::DEQUANTIZE[o].map.w);
        }

        // Samples n0 .. n0 + k - 1 run at the same time, sample n0 + u on unit u.
        double engine_ms = 0;
        for (int rep = 0; rep < opt.repeat; ++rep)
            for (size_t n0 = 0; n0 < batch; n0 += units) {
                const int k = (int)std::min<size_t>(units, batch - n0);
                for (int u = 0; u < k; ++u) {
                    for (size_t i = 0; i < xs.size(); ++i) write_input(*dev, u, xs[i], n0 + u, plan::QUANTIZE[i].map);
                    for (const plan::Im2col &s : plan::IM2COL) im2col(*dev, u, s);
                }
                const auto t0 = std::chrono::steady_clock::now();
                run(*dev, k, plan::NUM_PRELOAD, plan::NUM_INVOCATIONS, "samples " + std::to_string(n0) + ".." +
                    std::to_string(n0 + k - 1));
                engine_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                for (int u = 0; u < k; ++u)
                    for (size_t o = 0; o < ys.size(); ++o) read_output(*dev, u, plan::DEQUANTIZE[o], n0 + u, ys[o]);
            }
        for (size_t o = 0; o < ys.size(); ++o) host::save_npy(opt.outputs[o], ys[o]);
        std::printf("%s: %zu sample(s) x %zu invocation(s) on %d compute unit(s), engine time %.3f ms per sample\n",
                    dev->name(), batch, plan::NUM_INVOCATIONS, units, batch ? engine_ms / (batch * opt.repeat) : 0.0);

        size_t bad = 0;
        for (size_t o = 0; o < opt.goldens.size(); ++o) {
            const size_t b = compare(ys[o], host::load_npy(opt.goldens[o]));
            std::printf("output %s: %zu mismatching element(s) of %zu\n", plan::DEQUANTIZE[o].name, b,
                        ys[o].data.size());
            bad += b;
        }
        return bad ? 1 : 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "host: error: %s\n", e.what());
        return 2;
    }
}
