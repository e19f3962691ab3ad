#include "core/util/autocast_scope.h"

#include "core/util/error.h"

#include <ATen/autocast_mode.h>

namespace ds {

void AutocastScope::validate(const torch::Device& device, const std::string& precision) {
    if (precision != "off" && precision != "bf16" && precision != "fp16")
        throw Error("unknown mixed precision '" + precision + "' (expected off, bf16 or fp16)");
    if (precision == "fp16" && !device.is_cuda())
        throw Error("--amp fp16 needs a CUDA device: LibTorch autocasts CPUs to bf16 only (use --amp bf16)");
}

AutocastScope::AutocastScope(const torch::Device& device, const std::string& precision) {
    validate(device, precision);
    if (precision == "off") return;
    active_ = true;
    cuda_ = device.is_cuda();
    const auto type = precision == "bf16" ? at::kBFloat16 : at::kHalf;
    if (cuda_) {
        wasEnabled_ = at::autocast::is_enabled();
        previousType_ = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(type);
        at::autocast::set_enabled(true);
    } else {
        wasEnabled_ = at::autocast::is_cpu_enabled();
        previousType_ = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(type);
        at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!active_) return;
    // As torch.autocast's __exit__: the cache of cast weights lives until the outermost scope ends.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cuda_) {
        at::autocast::set_enabled(wasEnabled_);
        at::autocast::set_autocast_gpu_dtype(previousType_);
    } else {
        at::autocast::set_cpu_enabled(wasEnabled_);
        at::autocast::set_autocast_cpu_dtype(previousType_);
    }
}

}  // namespace ds
