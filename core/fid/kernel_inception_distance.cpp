// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/kernel_inception_distance.h"

#include "core/fid/numpy_random_state.h"
#include "core/util/error.h"

#include <cmath>

namespace ds::fid {

namespace {

torch::Tensor polynomialKernel(const torch::Tensor& x, const torch::Tensor& y, int degree, double gamma, double coef0) {
    // The products in float32 like torch-fidelity (a 1000 x 2048 x 1000 product per kernel); the
    // kernel and its sums in double, where the unbiased estimate subtracts large sums.
    return x.matmul(y.t()).to(torch::kDouble).mul_(gamma).add_(coef0).pow_(degree);
}

torch::Tensor rows(const torch::Tensor& features, const std::vector<int64_t>& index) {
    return features.index_select(0, torch::tensor(index, torch::kLong));
}

}  // namespace

double polynomialMmd2(const torch::Tensor& x, const torch::Tensor& y, int degree, double gamma, double coef0) {
    const double m = double(x.size(0));
    const auto kxx = polynomialKernel(x, x, degree, gamma, coef0);
    const auto kyy = polynomialKernel(y, y, degree, gamma, coef0);
    const auto kxy = polynomialKernel(x, y, degree, gamma, coef0);
    const double xx = kxx.sum().item<double>() - kxx.diagonal().sum().item<double>();
    const double yy = kyy.sum().item<double>() - kyy.diagonal().sum().item<double>();
    return (xx + yy) / (m * (m - 1)) - 2 * kxy.sum().item<double>() / (m * m);
}

KidResult kernelInceptionDistance(const torch::Tensor& features1, const torch::Tensor& features2,
                                  const KidOptions& options) {
    if (features1.dim() != 2 || features2.dim() != 2 || features1.size(1) != features2.size(1))
        throw Error("KID needs two feature matrices of the same dimension");
    const int64_t n1 = features1.size(0), n2 = features2.size(0);
    if (std::min(n1, n2) < 2) throw Error("KID needs at least two images per side");
    if (options.subsets < 1 || options.subsetSize < 2) throw Error("KID needs at least one subset of two or more");
    c10::InferenceMode inference;

    KidResult result;
    result.subsetSize = std::min({options.subsetSize, n1, n2});
    if (result.subsetSize < options.subsetSize)
        result.warnings.push_back("KID subset size capped at " + std::to_string(result.subsetSize) +
                                  " (fewer images than " + std::to_string(options.subsetSize) + ")");
    const double gamma = options.gamma > 0 ? options.gamma : 1.0 / double(features1.size(1));
    const auto f1 = features1.to(torch::kCPU, torch::kFloat);
    const auto f2 = features2.to(torch::kCPU, torch::kFloat);

    NumpyRandomState rng(options.seed);
    std::vector<double> mmds;
    for (int i = 0; i < options.subsets; ++i) {
        const auto x = rows(f1, rng.choiceWithoutReplacement(n1, result.subsetSize));
        const auto y = rows(f2, rng.choiceWithoutReplacement(n2, result.subsetSize));
        mmds.push_back(polynomialMmd2(x, y, options.degree, gamma, options.coef0));
    }
    double sum = 0;
    for (const double v : mmds) sum += v;
    result.mean = sum / double(mmds.size());
    double squares = 0;
    for (const double v : mmds) squares += (v - result.mean) * (v - result.mean);
    result.std = std::sqrt(squares / double(mmds.size()));
    return result;
}

}  // namespace ds::fid
