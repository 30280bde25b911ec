// {{ banner }}
// Minimal .npy reader / writer for float32 C-order arrays.
#ifndef HLSGEN_NPY_H
#define HLSGEN_NPY_H

#include <cstddef>
#include <string>
#include <vector>

namespace host {

struct Array {
    std::vector<size_t> shape;
    std::vector<float> data;
};

Array load_npy(const std::string &path);           // throws std::runtime_error
void save_npy(const std::string &path, const Array &a);

}  // namespace host

#endif
