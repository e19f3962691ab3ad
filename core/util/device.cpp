// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/device.h"

#include "core/util/error.h"

namespace ds {

torch::Device parseDevice(const std::string& spec) {
    if (spec.empty() || spec == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    if (spec == "cpu") return torch::kCPU;
    if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
        if (!torch::cuda::is_available())
            throw Error("device '" + spec + "' requested, but this LibTorch build has no usable CUDA device");
        int index = 0;
        if (spec.size() > 5) {
            try {
                index = std::stoi(spec.substr(5));
            } catch (const std::exception&) {
                throw Error("bad device '" + spec + "' (expected cuda:N)");
            }
        }
        if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
            throw Error("device '" + spec + "' does not exist (" + std::to_string(torch::cuda::device_count()) +
                        " CUDA devices)");
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw Error("unknown device '" + spec + "' (expected auto, cpu, cuda or cuda:N)");
}

}  // namespace ds
