// Declarations only (see ../README.md): xrt::kernel, xrt::run.
#pragma once
#include <chrono>
#include <string>
#include "xrt_bo.h"
#include "xrt_device.h"
#include "xrt_uuid.h"
enum ert_cmd_state { ERT_CMD_STATE_NEW = 1, ERT_CMD_STATE_COMPLETED = 4 };
namespace xrt {
class kernel {
public:
    kernel(const device &dev, const uuid &xclbin_id, const std::string &name);
    int group_id(int argno) const;
};
class run {
public:
    explicit run(const kernel &krnl);
    template <typename ArgType>
    void set_arg(int index, ArgType &&arg);
    void start();
    ert_cmd_state wait(const std::chrono::milliseconds &timeout = std::chrono::milliseconds{0}) const;
};
}  // namespace xrt
