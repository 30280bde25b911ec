// Declarations only (see ../README.md): xrt::device.
#pragma once
#include <string>
#include "xrt_uuid.h"
#include "xrt_xclbin.h"
namespace xrt {
class device {
public:
    explicit device(unsigned int index);
    uuid load_xclbin(const std::string &xclbin_fnm);
    uuid load_xclbin(const xclbin &xclbin);
};
}  // namespace xrt
