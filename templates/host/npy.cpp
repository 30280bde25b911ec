// {{ banner }}
#include "npy.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace host {

static std::string header_value(const std::string &header, const std::string &key) {
    const size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) throw std::runtime_error("npy header has no " + key);
    size_t v = header.find(':', k) + 1;
    while (v < header.size() && header[v] == ' ') ++v;
    const char close = header[v] == '(' ? ')' : (header[v] == '\'' ? '\'' : ',');
    const size_t end = header.find(close, v + 1);
    return header.substr(v, end - v + 1);
}

Array load_npy(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open");
    char magic[8];
    f.read(magic, 8);
    if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path + ": not a .npy file");
    uint32_t hlen = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        f.read(reinterpret_cast<char *>(b), 2);
        hlen = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        f.read(reinterpret_cast<char *>(b), 4);
        hlen = b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
    }
    std::string header(hlen, ' ');
    f.read(&header[0], hlen);
    if (header_value(header, "descr") != "'<f4'") throw std::runtime_error(path + ": expected float32 ('<f4') data");
    if (header_value(header, "fortran_order").find("False") != 0)
        throw std::runtime_error(path + ": expected C order");
    Array a;
    const std::string shape = header_value(header, "shape");
    size_t count = 1;
    for (size_t i = 1; i < shape.size();) {
        if (shape[i] >= '0' && shape[i] <= '9') {
            size_t n = 0;
            while (shape[i] >= '0' && shape[i] <= '9') n = n * 10 + (shape[i++] - '0');
            a.shape.push_back(n);
            count *= n;
        } else {
            ++i;
        }
    }
    a.data.resize(count);
    f.read(reinterpret_cast<char *>(a.data.data()), count * sizeof(float));
    if (!f) throw std::runtime_error(path + ": truncated data");
    return a;
}

void save_npy(const std::string &path, const Array &a) {
    std::string shape = "(";
    for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
    shape += a.shape.size() == 1 ? ",)" : ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::ofstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot write");
    const unsigned char len[2] = {(unsigned char)(header.size() & 0xff), (unsigned char)(header.size() >> 8)};
    f.write("\x93NUMPY\x01\x00", 8);
    f.write(reinterpret_cast<const char *>(len), 2);
    f << header;
    f.write(reinterpret_cast<const char *>(a.data.data()), a.data.size() * sizeof(float));
    if (!f) throw std::runtime_error(path + ": write failed");
}

}  // namespace host
