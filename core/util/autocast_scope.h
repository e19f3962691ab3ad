// Mixed precision for the code in a scope, as Python's `with torch.autocast(device, dtype)`:
// LibTorch's autocast runs convolutions and matrix products in the lower precision and keeps
// precision-sensitive operations in float32. Restores the previous state (and clears autocast's
// weight-cast cache) on exit.
#pragma once
#include <torch/torch.h>

#include <string>

namespace ds {

class AutocastScope {
public:
    // precision: off | bf16 | fp16. Throws ds::Error for fp16 on a CPU (LibTorch 1.13 autocasts
    // CPUs to bfloat16 only) and for an unknown name.
    AutocastScope(const torch::Device& device, const std::string& precision);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

    // The checks of the constructor, without entering a scope (for a run's start).
    static void validate(const torch::Device& device, const std::string& precision);

private:
    bool active_ = false;
    bool cuda_ = false;
    bool wasEnabled_ = false;
    at::ScalarType previousType_ = at::kFloat;
};

}  // namespace ds
