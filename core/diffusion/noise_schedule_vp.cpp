// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/diffusion/noise_schedule_vp.h"

#include "core/util/error.h"

namespace ds::diffusion {

namespace {

// numerical_clip_alpha(log_alphas, clipped_lambda=-5.1).
torch::Tensor clipLogAlphas(const torch::Tensor& logAlphas, double clippedLambda = -5.1) {
    auto logSigmas = 0.5 * torch::log(1. - torch::exp(2. * logAlphas));
    auto lambdas = logAlphas - logSigmas;
    const int64_t idx =
        torch::searchsorted(torch::flip(lambdas, {0}), torch::scalar_tensor(clippedLambda, lambdas.options()))
            .item<int64_t>();
    return idx > 0 ? logAlphas.slice(0, 0, logAlphas.size(0) - idx) : logAlphas;
}

}  // namespace

NoiseScheduleVP::NoiseScheduleVP(const torch::Tensor& alphasCumprod, bool clipLambda, const torch::Device& device) {
    if (alphasCumprod.dim() != 1 || alphasCumprod.numel() < 2)
        throw Error("the noise schedule needs at least two alpha-bar values");
    auto logAlphas = 0.5 * torch::log(alphasCumprod.to(torch::kCPU));
    if (clipLambda) logAlphas = clipLogAlphas(logAlphas);
    logAlphaArray_ = logAlphas.reshape({1, -1}).to(device, torch::kFloat32);
    totalN_ = logAlphaArray_.size(1);
    tArray_ = torch::linspace(0., 1., totalN_ + 1).slice(0, 1).reshape({1, -1}).to(device, torch::kFloat32);
}

torch::Tensor NoiseScheduleVP::marginalLogMeanCoeff(const torch::Tensor& t) const {
    return interpolatePiecewiseLinear(t.reshape({-1, 1}), tArray_, logAlphaArray_).reshape({-1});
}

torch::Tensor NoiseScheduleVP::marginalAlpha(const torch::Tensor& t) const {
    return torch::exp(marginalLogMeanCoeff(t));
}

torch::Tensor NoiseScheduleVP::marginalStd(const torch::Tensor& t) const {
    return torch::sqrt(1. - torch::exp(2. * marginalLogMeanCoeff(t)));
}

torch::Tensor NoiseScheduleVP::marginalLambda(const torch::Tensor& t) const {
    auto logMeanCoeff = marginalLogMeanCoeff(t);
    auto logStd = 0.5 * torch::log(1. - torch::exp(2. * logMeanCoeff));
    return logMeanCoeff - logStd;
}

torch::Tensor NoiseScheduleVP::inverseLambda(const torch::Tensor& lambda) const {
    auto logAlpha = -0.5 * torch::logaddexp(torch::zeros({1}, lambda.options()), -2. * lambda);
    auto t = interpolatePiecewiseLinear(logAlpha.reshape({-1, 1}), torch::flip(logAlphaArray_, {1}),
                                        torch::flip(tArray_, {1}));
    return t.reshape({-1});
}

torch::Tensor NoiseScheduleVP::modelInputTime(const torch::Tensor& t) const {
    return (t - 1. / double(totalN_)) * double(totalN_);
}

torch::Tensor interpolatePiecewiseLinear(const torch::Tensor& x, const torch::Tensor& xp, const torch::Tensor& yp) {
    const int64_t n = x.size(0), k = xp.size(1);
    auto allX = torch::cat({x.unsqueeze(2), xp.unsqueeze(0).repeat({n, 1, 1})}, 2);
    auto [sortedAllX, xIndices] = torch::sort(allX, 2);
    auto xIdx = torch::argmin(xIndices, 2);
    auto candStartIdx = xIdx - 1;
    auto constant = [&](int64_t v) { return torch::full_like(xIdx, v); };
    auto startIdx = torch::where(xIdx.eq(0), constant(1), torch::where(xIdx.eq(k), constant(k - 2), candStartIdx));
    auto endIdx = torch::where(startIdx.eq(candStartIdx), startIdx + 2, startIdx + 1);
    auto startX = sortedAllX.gather(2, startIdx.unsqueeze(2)).squeeze(2);
    auto endX = sortedAllX.gather(2, endIdx.unsqueeze(2)).squeeze(2);
    auto startIdx2 = torch::where(xIdx.eq(0), constant(0), torch::where(xIdx.eq(k), constant(k - 2), candStartIdx));
    auto yExpanded = yp.unsqueeze(0).expand({n, -1, -1});
    auto startY = yExpanded.gather(2, startIdx2.unsqueeze(2)).squeeze(2);
    auto endY = yExpanded.gather(2, (startIdx2 + 1).unsqueeze(2)).squeeze(2);
    return startY + (x - startX) * (endY - startY) / (endX - startX);
}

}  // namespace ds::diffusion
