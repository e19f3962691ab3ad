// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/fid_tolerance.h"

#include <cmath>

namespace ds::test {

namespace {

// The largest eigenvalue of a symmetric positive semi-definite matrix (its 2-norm).
double spectralNorm(const torch::Tensor& s) { return torch::linalg::eigvalsh(s, "L").max().item<double>(); }

}  // namespace

double frechetTolerance(const fid::GaussianStats& a, const fid::GaussianStats& b) {
    const auto s1 = a.sigma.to(torch::kDouble), s2 = b.sigma.to(torch::kDouble);
    const double n = double(a.dims());
    const double eigenvalueError = n * kFloat64Epsilon * spectralNorm(s1) * spectralNorm(s2);
    // The eigenvalues of S1 S2, as those of sqrt(S1) S2 sqrt(S1).
    const auto [w, v] = torch::linalg::eigh(s1, "L");
    const auto root = v.matmul(torch::diag(w.clamp_min(0).sqrt())).matmul(v.t());
    const auto lambda = torch::linalg::eigvalsh(root.matmul(s2).matmul(root), "L").clamp_min(0);
    // Each root moves by E / (2 sqrt(lambda)), or by sqrt(E) where lambda <= E.
    const auto perRoot = torch::minimum(torch::full_like(lambda, std::sqrt(eigenvalueError)),
                                        eigenvalueError / (2 * lambda.sqrt().clamp_min(1e-300)));
    const auto diff = a.mu.to(torch::kDouble) - b.mu.to(torch::kDouble);
    const double traces = s1.trace().item<double>() + s2.trace().item<double>() + diff.dot(diff).item<double>();
    return 2 * 2 * perRoot.sum().item<double>() + n * kFloat64Epsilon * traces;
}

double kidTolerance(const torch::Tensor& f1, const torch::Tensor& f2) {
    const auto x = torch::cat({f1, f2}).to(torch::kDouble);
    const double d = double(x.size(1)), gamma = 1 / d;
    // Per pair (i != j): the product's rounding bound and the kernel's slope there.
    const auto offDiagonal = 1 - torch::eye(x.size(0), x.options());
    const auto productError = d / 2 * kFloat32Epsilon * x.abs().matmul(x.abs().t());
    const auto kernelSlope = 3 * gamma * (gamma * x.matmul(x.t()).abs() + 1).pow(2);
    return 4 * ((productError * kernelSlope * offDiagonal).sum() / offDiagonal.sum()).item<double>();
}

}  // namespace ds::test
