// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/autocast_scope.h"

#include "core/util/error.h"

#include <ATen/autocast_mode.h>

#include <fstream>

namespace ds {
namespace {

// The first line of an exception's message (c10's without their backtrace).
std::string causeOf(const std::exception& e) {
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    std::string text = c10 ? c10->what_without_backtrace() : e.what();
    return text.substr(0, text.find('\n'));
}

// The CPU's model name from /proc/cpuinfo, or "" where there is none.
std::string cpuModel() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) break;
        const auto start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
    }
    return {};
}

}  // namespace

void AutocastScope::validate(const torch::Device& device, api::MixedPrecision precision) {
    if (precision == api::MixedPrecision::Fp16 && !device.is_cuda())
        throw Error("--amp fp16 needs a CUDA device: LibTorch autocasts CPUs to bf16 only (use --amp bf16)");
}

Error AutocastScope::unsupported(const torch::Device& device, api::MixedPrecision precision,
                                 const std::exception& cause) {
    const std::string type = precision == api::MixedPrecision::Bf16 ? "bfloat16" : "float16";
    std::string what;
    if (device.is_cpu()) {
        const std::string model = cpuModel();
        what =
            "this CPU's oneDNN cannot run " + type + " (" + (model.empty() ? "" : model + ": ") + causeOf(cause) + ")";
    } else {
        what = device.str() + " cannot run " + type + " autocast (" + causeOf(cause) + ")";
    }
    return Error(std::string("--amp ") + api::precisionName(precision) + ": " + what + "; use --amp off");
}

void AutocastScope::probe(const torch::Device& device, api::MixedPrecision precision) {
    validate(device, precision);
    if (precision == api::MixedPrecision::Off) return;
    try {
        const auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
        const auto input = torch::linspace(-1, 1, 2 * 3 * 8 * 8, options).reshape({2, 3, 8, 8});
        const auto weight = torch::linspace(-0.5, 0.5, 8 * 3 * 3 * 3, options).reshape({8, 3, 3, 3}).requires_grad_();
        const auto bias = torch::zeros({8}, options).requires_grad_();
        const auto dense = torch::linspace(-0.2, 0.2, 8 * 8, options).reshape({8, 8}).requires_grad_();
        // Both memory layouts: --channels-last convolves in NHWC.
        for (const auto format : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
            torch::Tensor loss;
            {
                AutocastScope autocast(device, precision);
                auto h = torch::conv2d(input.contiguous(format), weight.contiguous(format), bias, 1, 1);
                h = torch::silu(h).flatten(2).transpose(1, 2);                  // (2, 64, 8) tokens
                h = torch::linear(h, dense);                                    // a projection
                h = torch::matmul(h, h.transpose(1, 2)).softmax(-1).matmul(h);  // attention's products
                loss = h.to(torch::kFloat).square().mean();
            }
            loss.backward();
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw unsupported(device, precision, e);
    }
}

AutocastScope::AutocastScope(const torch::Device& device, api::MixedPrecision precision) {
    validate(device, precision);
    if (precision == api::MixedPrecision::Off) return;
    active_ = true;
    cuda_ = device.is_cuda();
    const auto type = precision == api::MixedPrecision::Bf16 ? at::kBFloat16 : at::kHalf;
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
