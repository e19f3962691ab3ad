// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: the float32 rounding budget of a network's output, which every tolerance on a
// quantity computed from a network (diffusion's x0 and samplers, flow trajectories, losses)
// derives from, and the machine epsilons every budget is counted in. Qt-free, for the support
// library and the tests alike.
#pragma once

namespace ds::test {

// float32's machine epsilon, 2^-23: the spacing of floats at 1, twice the largest relative
// rounding error of one operation. Tolerances are budgets of these.
constexpr double kFloat32Epsilon = 1.1920928955078125e-07;

// float64's machine epsilon, 2^-52: the budget unit of double-precision arithmetic (schedules,
// ODE solvers on known solutions, transport plans, the Fréchet distance).
constexpr double kFloat64Epsilon = 2.220446049250313e-16;

// The U-Net's float32 output against another implementation or kernel family, relative to the
// output's magnitude: 1e-5 = 84 float32 epsilons, for outputs that are sums of a few hundred
// products per layer through ~20 layers (the rounding of one order against another: ~sqrt(K)
// epsilons per layer, adding up in quadrature). Measured at most 3.6e-6 (30 epsilons: the
// classifier-free-guidance Unet on ATen's scalar kernels; 2.7e-6 for torchcfm's class-conditional
// UNetModel, 1.6e-6 for the others) over the kernel families this project's machine can force
// (docs/testing.md, "Numerical tolerances").
constexpr double kUnetRelativeTolerance = 1e-5;

// Epsilons of each term that a derived quantity's own float32 arithmetic may add: the float32
// rounding of the coefficient read from a buffer, of the product, of the sum, and of the input
// (x rebuilt from a stored (x + 1) / 2).
constexpr double kArithmeticUlps = 4;

// The network's tolerance for an output of this magnitude (max |out|).
inline double unetTolerance(double maxOut) { return kUnetRelativeTolerance * maxOut; }

}  // namespace ds::test
