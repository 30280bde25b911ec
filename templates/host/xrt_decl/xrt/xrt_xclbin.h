// Declarations only (see ../README.md): xrt::xclbin and its kernel, ip (compute unit), arg and mem views.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
namespace xrt {
class xclbin {
public:
    class mem {
    public:
        int32_t get_index() const;
        std::string get_tag() const;
    };
    class arg {
    public:
        std::vector<mem> get_mems() const;
        std::string get_name() const;
    };
    class ip {
    public:
        std::string get_name() const;
        arg get_arg(int32_t index) const;
    };
    class kernel {
    public:
        std::vector<ip> get_cus() const;
        std::vector<arg> get_args() const;
        arg get_arg(int32_t index) const;
        std::string get_name() const;
    };
    explicit xclbin(const std::string &filename);
    kernel get_kernel(const std::string &name) const;
    std::vector<kernel> get_kernels() const;
};
}  // namespace xrt
