// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: tolerances of lucidrains' GaussianDiffusion quantities (p_mean_variance, DDIM
// steps and trajectories) derived from the one budget they all inherit: the float32 U-Net's
// output, which differs between implementations and kernel families (PyTorch against LibTorch,
// ATen's scalar / AVX2 / AVX-512 kernels, oneDNN's ISA, OpenBLAS' kernels) by the order of its
// sums. Every derived quantity is held to that budget times its amplification, plus the float32
// rounding of its own arithmetic.
//
//   x0 = sqrt(1/ab) x - sqrt(1/ab - 1) eps   (pred_noise): gain sqrt(1/ab - 1), ~1000 at the
//        last timestep of a 50-step cosine schedule (ab = 9.7e-7), where x0 is the difference
//        of two terms ~1000 times x and the output; pred_v: sqrt(1 - ab) <= 1; pred_x0: 1.
//        Clamping to [-1, 1] does not amplify.
//   mean = c1 x0 + c2 x: c1 times x0's tolerance.
//   DDIM (eta 0, x0 clipped, noise re-derived from it), one step from x:
//        x' = sqrt(a') x0 + sqrt(1 - a') (sqrt(1/a) x - x0) / sqrt(1/a - 1): x0's error times
//        |sqrt(a') - sqrt(1 - a') / sqrt(1/a - 1)|, ~sqrt(a'/a) (the output's error x 310 on that
//        schedule's first step of 5). Along a whole run a step's error also passes through the
//        network into the next steps: there each step's gain (how much the next state and x0
//        move per unit of error in x and in the self-conditioning input) is measured by finite
//        differences on the model itself, and the budgets accumulate through those gains.
#pragma once
#include "core/diffusion/gaussian_diffusion.h"
#include "tests/support/network_tolerance.h"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace ds::test {

// A draw of LibTorch's randn against PyTorch's from the same seed: bit-identical on the same ATen
// kernels, but the Box-Muller transform runs vectorised (Sleef log/sin/cos) or scalar by
// ATEN_CPU_CAPABILITY, which moves z = r cos(theta) by a few float32 epsilons of r (measured 3.7
// epsilons of max |z| with ATen's default kernels, 0 otherwise): 16 epsilons of max |z|.
inline double randnTolerance(const torch::Tensor& reference) {
    return 16 * kFloat32Epsilon * reference.abs().max().item<double>();
}

// How much an error in the network's output moves x0 for this objective at alpha-bar ab.
double x0Gain(const std::string& objective, double ab);

// x0's tolerance (model space) for a network output held to outTolerance, with |x| <= maxX and
// |out| <= maxOut: the output's tolerance times its gain, plus the rounding of the two products.
double x0Tolerance(const std::string& objective, double ab, double outTolerance, double maxX, double maxOut);

// p_mean_variance at t from x: x0 from the network's output (its gain for the objective), the
// mean c1 x0 + c2 x (c1 times x0's), the log variance a float32 constant (4 epsilons of it).
struct PmvTolerances {
    double x0, mean, logVariance;
};
PmvTolerances pmvTolerances(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& x, int64_t t,
                            const torch::Tensor& referenceLogVariance);

// p_losses on these inputs, whose value is `loss`: a weighted mean of squares of (output -
// target), so 2 x the output's tolerance (and the target's rounding) x sqrt(max weight x loss)
// (Cauchy-Schwarz), plus 16 epsilons of the loss for the float32 sums of its means.
double lossTolerance(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& xStart, const torch::Tensor& t,
                     const torch::Tensor& noise, double loss);

// Tolerances of a deterministic DDIM run (eta 0) that starts from the reference's x_T, in the
// reference's image space ((x + 1) / 2), per step: `stepX0` and `stepState` for one step taken
// from the reference's own state (and self-conditioning input), `x0` and `states` for the run
// as a whole (states[0] = 0: x_T is given).
struct DdimTolerances {
    std::vector<double> stepX0, stepState;
    std::vector<double> x0, states;
    std::vector<double> gainX, gainSelfCond;  // per step, for the report
};

// One step of upstream's DDIM with eta 0 from x (model space): the clipped x0 and the next state.
struct DdimStep {
    torch::Tensor x0, next;
};
DdimStep ddimStep(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& x, int64_t t, int64_t tNext,
                  const std::optional<torch::Tensor>& selfCond);

// refStates: (steps + 1, B, C, H, W), refX0: (steps, B, C, H, W), both (x + 1) / 2.
DdimTolerances ddimTolerances(diffusion::GaussianDiffusionImpl& m,
                              const std::vector<std::pair<int64_t, int64_t>>& pairs, const torch::Tensor& refStates,
                              const torch::Tensor& refX0);

}  // namespace ds::test
