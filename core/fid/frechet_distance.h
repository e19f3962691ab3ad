// SPDX-License-Identifier: GPL-3.0-or-later
// The Fréchet distance between two Gaussians, as pytorch-fid computes it:
//   |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr(sqrtm(S1 S2)).
// scipy's sqrtm of the non-symmetric product costs seconds at 2048 dims; the trace needs only the
// eigenvalues: S1 S2 has those of the symmetric positive semi-definite sqrt(S1) S2 sqrt(S1),
// so tr(sqrtm(S1 S2)) = sum sqrt(lambda_i) needs only symmetric eigenvalues, stably, even when the
// covariances are singular (fewer images than dimensions). When S1 = L L^T has a Cholesky factor,
// L^T S2 L has the same eigenvalues and is cheaper to form than sqrt(S1).
//
// pytorch-fid's safeguards are kept: when the product is not finite it retries with eps added
// to both diagonals (and says so), and a clearly negative eigenvalue (scipy's "imaginary
// component" above 1e-3) is an error rather than a silently wrong number.
#pragma once
#include "core/fid/gaussian_stats.h"

#include <string>
#include <vector>

namespace ds::fid {

struct FrechetResult {
    double distance = 0.0;
    std::vector<std::string> warnings;
};

// Throws ds::Error when the dimensions differ or the statistics are not valid covariances.
FrechetResult frechetDistance(const GaussianStats& a, const GaussianStats& b, double eps = 1e-6);

// tr(sqrtm(S1 S2)) for symmetric positive semi-definite S1, S2 (double). Its smallest eigenvalue
// (negative values are round-off, or a sign of invalid input) goes to *minEigenvalue.
double traceOfSqrtProduct(const torch::Tensor& sigma1, const torch::Tensor& sigma2, double* minEigenvalue);

}  // namespace ds::fid
