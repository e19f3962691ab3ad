// SPDX-License-Identifier: GPL-3.0-or-later
// NoiseScheduleVP('discrete', alphas_cumprod=...) of the DPM-Solver and UniPC reference code: a
// discrete-time model trained on steps n = 0..N-1 seen as continuous time t_n = (n + 1) / N,
// log(alpha_t) interpolated piecewise-linearly between those knots. Every quantity is computed
// with the same float32 tensor operations as the reference, so the solvers built on it follow
// the reference's arithmetic (and its rounding) step for step.
#pragma once
#include <torch/torch.h>

namespace ds::diffusion {

class NoiseScheduleVP {
public:
    // alphasCumprod: the model's alpha-bar buffer (N). clipLambda: DPM-Solver's
    // numerical_clip_alpha, which drops the last knots where the half-logSNR is below -5.1
    // (cosine schedules); UniPC's copy of the class keeps every knot.
    NoiseScheduleVP(const torch::Tensor& alphasCumprod, bool clipLambda, const torch::Device& device = torch::kCPU);

    int64_t totalN() const { return totalN_; }  // knots kept (after clipping)
    double T() const { return 1.0; }
    double tEnd() const { return 1.0 / double(totalN_); }  // t_0 = 1 / N, the last time solved to
    torch::Device device() const { return tArray_.device(); }

    // Of t (any shape; flattened as the reference does): log(alpha_t), alpha_t, sigma_t, lambda_t.
    torch::Tensor marginalLogMeanCoeff(const torch::Tensor& t) const;
    torch::Tensor marginalAlpha(const torch::Tensor& t) const;
    torch::Tensor marginalStd(const torch::Tensor& t) const;
    torch::Tensor marginalLambda(const torch::Tensor& t) const;
    torch::Tensor inverseLambda(const torch::Tensor& lambda) const;

    // The model's input time for continuous t: (t - 1/N) * N, the discrete step 0..N-1 (the
    // reference multiplies by 1000, which assumes N = 1000).
    torch::Tensor modelInputTime(const torch::Tensor& t) const;

private:
    int64_t totalN_ = 0;
    torch::Tensor tArray_;         // (1, N) float32
    torch::Tensor logAlphaArray_;  // (1, N) float32
};

// The reference's interpolate_fn: y = f(x) piecewise linear through the keypoints (xp, yp),
// extended linearly beyond them. x: (N, C); xp, yp: (C, K).
torch::Tensor interpolatePiecewiseLinear(const torch::Tensor& x, const torch::Tensor& xp, const torch::Tensor& yp);

}  // namespace ds::diffusion
