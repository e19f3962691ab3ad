// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/frechet_distance.h"

#include "core/util/error.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace ds::fid {

namespace {

// pytorch-fid raises when the imaginary part of sqrtm's diagonal exceeds 1e-3; an eigenvalue
// -v of the product gives an imaginary part of about sqrt(v).
constexpr double kImaginaryTolerance = 1e-3;

torch::Tensor symmetric(const torch::Tensor& m) { return (m + m.t()).mul_(0.5); }

torch::Tensor psdSqrt(const torch::Tensor& s) {
    const auto [values, vectors] = torch::linalg::eigh(symmetric(s), "L");
    return symmetric(vectors.mul(values.clamp_min(0).sqrt_().unsqueeze(0)).matmul(vectors.t()));
}

void checkShapes(const GaussianStats& a, const GaussianStats& b) {
    const auto valid = [](const GaussianStats& s) {
        return s.mu.defined() && s.sigma.defined() && s.mu.dim() == 1 && s.sigma.dim() == 2 &&
               s.sigma.size(0) == s.mu.size(0) && s.sigma.size(1) == s.mu.size(0);
    };
    if (!valid(a) || !valid(b)) throw Error("statistics must be a mean of d values and a d x d covariance");
    if (a.dims() != b.dims())
        throw Error("the two statistics have different dimensions (" + std::to_string(a.dims()) + " and " +
                    std::to_string(b.dims()) + "): were they computed with the same --dims?");
}

}  // namespace

namespace {

// The eigenvalues of S1 S2 through a symmetric matrix with the same spectrum: L^T S2 L when
// S1 = L L^T has a Cholesky factor (positive definite: a folder of more images than dimensions),
// which costs a fraction of an eigendecomposition; else sqrt(S1) S2 sqrt(S1) (singular S1).
torch::Tensor productEigenvalues(const torch::Tensor& sigma1, const torch::Tensor& sigma2) {
    for (const auto& [first, second] : {std::pair{&sigma1, &sigma2}, std::pair{&sigma2, &sigma1}}) {
        const auto [factor, info] = torch::linalg_cholesky_ex(symmetric(*first));
        if (info.item<int64_t>() == 0)
            return torch::linalg::eigvalsh(symmetric(factor.t().matmul(*second).matmul(factor)), "L");
    }
    const auto root = psdSqrt(sigma1);
    return torch::linalg::eigvalsh(symmetric(root.matmul(sigma2).matmul(root)), "L");
}

}  // namespace

double traceOfSqrtProduct(const torch::Tensor& sigma1, const torch::Tensor& sigma2, double* minEigenvalue) {
    const auto eigenvalues = productEigenvalues(sigma1, sigma2);
    if (minEigenvalue) *minEigenvalue = eigenvalues.min().item<double>();
    return eigenvalues.clamp_min(0).sqrt_().sum().item<double>();
}

FrechetResult frechetDistance(const GaussianStats& a, const GaussianStats& b, double eps) {
    checkShapes(a, b);
    c10::InferenceMode inference;
    const auto s1 = a.sigma.to(torch::kCPU, torch::kDouble);
    const auto s2 = b.sigma.to(torch::kCPU, torch::kDouble);
    const auto diff = a.mu.to(torch::kCPU, torch::kDouble) - b.mu.to(torch::kCPU, torch::kDouble);
    if (!torch::isfinite(s1).all().item<bool>() || !torch::isfinite(s2).all().item<bool>() ||
        !torch::isfinite(diff).all().item<bool>())
        throw Error("the statistics hold NaN or infinite values");

    FrechetResult result;
    double minEigenvalue = 0.0;
    double trace = std::numeric_limits<double>::quiet_NaN();
    try {
        trace = traceOfSqrtProduct(s1, s2, &minEigenvalue);
    } catch (const c10::Error&) {
        // LAPACK did not converge: treated like scipy's non-finite sqrtm, by the retry below.
    }
    if (!std::isfinite(trace)) {
        std::ostringstream msg;
        msg << "fid calculation produces singular product; adding " << eps << " to diagonal of cov estimates";
        result.warnings.push_back(msg.str());
        const auto offset = torch::eye(s1.size(0), s1.options()).mul_(eps);
        trace = traceOfSqrtProduct(s1 + offset, s2 + offset, &minEigenvalue);
    }
    if (minEigenvalue < 0 && std::sqrt(-minEigenvalue) > kImaginaryTolerance) {
        std::ostringstream msg;
        msg << "the covariances are not positive semi-definite (imaginary component " << std::sqrt(-minEigenvalue)
            << " in sqrtm(S1 S2))";
        throw Error(msg.str());
    }
    result.distance = diff.dot(diff).item<double>() + s1.trace().item<double>() + s2.trace().item<double>() - 2 * trace;
    return result;
}

}  // namespace ds::fid
