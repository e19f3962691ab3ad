// SPDX-License-Identifier: GPL-3.0-or-later
// Mixed precision for the code in a scope, as Python's `with torch.autocast(device, dtype)`:
// LibTorch's autocast runs convolutions and matrix products in the lower precision and keeps
// precision-sensitive operations in float32. Restores the previous state (and clears autocast's
// weight-cast cache) on exit.
#pragma once
#include "core/api/model_choices.h"
#include "core/util/error.h"

#include <torch/torch.h>

#include <exception>
#include <string>

namespace ds {

class AutocastScope {
public:
    // Off: no-op. Throws ds::Error for fp16 on a CPU (LibTorch 1.13 autocasts CPUs to bfloat16
    // only).
    AutocastScope(const torch::Device& device, api::MixedPrecision precision);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

    // The checks of the constructor, without entering a scope (for a run's start).
    static void validate(const torch::Device& device, api::MixedPrecision precision);

    // validate(), then a small convolution, linear layer and matrix product forward and
    // backward under autocast to `precision` on `device`, as a training step runs them; throws
    // unsupported() when the device cannot. For a run's start: LibTorch picks oneDNN's bfloat16
    // kernels from the CPU's features (AVX-512) and oneDNN may then refuse to create them (as
    // under ONEDNN_MAX_CPU_ISA=AVX2), which would otherwise end the first step with an obscure
    // dnnl::error. No random draws (the global generator seeds a run's dropout); Off: no-op.
    static void probe(const torch::Device& device, api::MixedPrecision precision);

    // The error for a failure of computing under autocast to `precision` on `device`: names
    // --amp, the CPU (its model) or device and `cause`, and says to use --amp off.
    static Error unsupported(const torch::Device& device, api::MixedPrecision precision, const std::exception& cause);

private:
    bool active_ = false;
    bool cuda_ = false;
    bool wasEnabled_ = false;
    at::ScalarType previousType_ = at::kFloat;
};

}  // namespace ds
