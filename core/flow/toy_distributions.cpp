// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/toy_distributions.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::flow {

namespace {

torch::Tensor eightGaussians(int64_t n, at::Generator& gen) {
    const double s = 1.0 / std::sqrt(2.0);
    const auto centres =
        torch::tensor({1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0, s, s, -s, s, s, -s, -s, -s}).reshape({8, 2}) * 5.0;
    const auto which = torch::multinomial(torch::ones({8}, torch::kDouble), n, true, gen);
    const double stddev = std::pow(0.1, 0.25);  // covariance sqrt(0.1) I
    return (centres.index_select(0, which) + stddev * torch::randn({n, 2}, gen, torch::kDouble)).to(torch::kFloat);
}

torch::Tensor moons(int64_t n, at::Generator& gen) {
    const int64_t outer = n / 2, inner = n - outer;
    const auto a = torch::rand({outer}, gen, torch::kDouble) * M_PI;
    const auto b = torch::rand({inner}, gen, torch::kDouble) * M_PI;
    const auto upper = torch::stack({torch::cos(a), torch::sin(a)}, 1);
    const auto lower = torch::stack({1 - torch::cos(b), 0.5 - torch::sin(b)}, 1);
    auto points = torch::cat({upper, lower}, 0) + 0.2 * torch::randn({n, 2}, gen, torch::kDouble);
    // Shuffle so that any prefix of the sample covers both moons.
    points = points.index_select(0, torch::randperm(n, gen));
    return (points * 3.0 - 1.0).to(torch::kFloat);
}

}  // namespace

std::vector<std::string> toyDistributionNames() { return {"8gaussians", "moons", "gaussian"}; }

torch::Tensor sampleToyDistribution(const std::string& name, int64_t n, at::Generator& gen) {
    if (name == "8gaussians") return eightGaussians(n, gen);
    if (name == "moons") return moons(n, gen);
    if (name == "gaussian") return torch::randn({n, 2}, gen);
    throw Error("unknown 2-D distribution '" + name + "' (expected 8gaussians, moons or gaussian)");
}

}  // namespace ds::flow
