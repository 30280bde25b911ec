// Declarations only (see ../README.md): xrt::kernel, xrt::run.
#pragma once
#include <chrono>
#include <string>
#include "xrt_bo.h"
#include "xrt_device.h"
#include "xrt_uuid.h"
// ert.h: the command states a run reports.
enum ert_cmd_state {
    ERT_CMD_STATE_NEW = 1, ERT_CMD_STATE_QUEUED = 2, ERT_CMD_STATE_RUNNING = 3, ERT_CMD_STATE_COMPLETED = 4,
    ERT_CMD_STATE_ERROR = 5, ERT_CMD_STATE_ABORT = 6, ERT_CMD_STATE_SUBMITTED = 7, ERT_CMD_STATE_TIMEOUT = 8,
    ERT_CMD_STATE_NORESPONSE = 9
};
namespace xrt {
class kernel {
public:
    kernel(const device &dev, const uuid &xclbin_id, const std::string &name);
};
class run {
public:
    explicit run(const kernel &krnl);
    template <typename ArgType>
    void set_arg(int index, ArgType &&arg);
    void start();
    ert_cmd_state abort();
    ert_cmd_state wait(const std::chrono::milliseconds &timeout = std::chrono::milliseconds{0}) const;
};
}  // namespace xrt
