// Declarations only (see ../README.md): xrt::uuid.
#pragma once
namespace xrt {
class uuid {
public:
    uuid();
    uuid(const uuid &);
};
}  // namespace xrt
