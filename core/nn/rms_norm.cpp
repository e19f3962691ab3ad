#include "core/nn/rms_norm.h"

#include <cmath>

namespace ds::nn {

RMSNormImpl::RMSNormImpl(int64_t dim) : scale_(std::sqrt(static_cast<double>(dim))) {
    g = register_parameter("g", torch::ones({1, dim, 1, 1}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
    // F.normalize divides by max(||x||_2, 1e-12); the scale is folded into g once.
    auto norm = x.norm(2, /*dim=*/{1}, /*keepdim=*/true).clamp_min(1e-12);
    return x / norm * (g * scale_);
}

}  // namespace ds::nn
