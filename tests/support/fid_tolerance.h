// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: tolerances of FID and KID arithmetic, derived from the rounding of what they
// are computed from.
//
// The Fréchet distance |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr(sqrtm(S1 S2)) is computed in float64
// from the eigenvalues of S1 S2. A backward-stable eigensolver returns each within ~n eps64
// ||S1|| ||S2|| = E; its square root then moves by E / (2 sqrt(lambda)), or by sqrt(E) where
// lambda <= E (the null space of singular covariances: fewer images than dimensions).
// frechetTolerance sums that over the n eigenvalues (computed here), twice (two
// implementations: ours and scipy's sqrtm, or ours on two kernel families), times 2 (the
// distance takes 2 tr), plus n eps64 of the traces the distance is a difference of.
//
// KID takes its kernel's products in float32 (as torch-fidelity does on network features)
// against a float64 reference: each product x.y of d terms is within d eps32 / 2 of sum
// |x_i y_i| (recursive summation's bound), through the kernel (gamma x.y + 1)^3 (slope 3 gamma
// (gamma x.y + 1)^2). An MMD is three means of such entries over pairs i != j, weighing 1, 1
// and 2: it moves by at most 4 x the mean entry bound over the pairs (taken here over all the
// features' pairs), and so do the subsets' mean and spread.
#pragma once
#include "core/fid/gaussian_stats.h"
#include "tests/support/network_tolerance.h"

#include <torch/torch.h>

namespace ds::test {

double frechetTolerance(const fid::GaussianStats& a, const fid::GaussianStats& b);

// f1, f2: the two sides' features (n x d).
double kidTolerance(const torch::Tensor& f1, const torch::Tensor& f2);

}  // namespace ds::test
