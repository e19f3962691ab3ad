// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/toy_distributions.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::flow {

namespace {

// The points of the given classes, drawn with the generator's next normals.
torch::Tensor eightGaussiansOf(const torch::Tensor& which, at::Generator& gen) {
    const int64_t n = which.size(0);
    const double stddev = std::pow(0.1, 0.25);  // covariance sqrt(0.1) I
    return (eightGaussianCentres().index_select(0, which) + stddev * torch::randn({n, 2}, gen, torch::kDouble))
        .to(torch::kFloat);
}

LabelledPoints eightGaussians(int64_t n, at::Generator& gen) {
    const auto which = torch::multinomial(torch::ones({8}, torch::kDouble), n, true, gen);
    return {eightGaussiansOf(which, gen), which};
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

[[noreturn]] void unknownDistribution(const std::string& name) {
    throw Error("unknown 2-D distribution '" + name + "' (expected 8gaussians, moons or gaussian)");
}

void requireToyClasses(const std::string& name) {
    if (toyDistributionClasses(name) == 0)
        throw Error("the 2-D distribution '" + name + "' has no classes (only 8gaussians is labelled)");
}

}  // namespace

std::vector<std::string> toyDistributionNames() { return {"8gaussians", "moons", "gaussian"}; }

torch::Tensor sampleToyDistribution(const std::string& name, int64_t n, at::Generator& gen) {
    if (name == "8gaussians") return eightGaussians(n, gen).points;
    if (name == "moons") return moons(n, gen);
    if (name == "gaussian") return torch::randn({n, 2}, gen);
    unknownDistribution(name);
}

int64_t toyDistributionClasses(const std::string& name) {
    if (name == "8gaussians") return 8;
    if (name == "moons" || name == "gaussian") return 0;
    unknownDistribution(name);
}

LabelledPoints sampleLabelledToyDistribution(const std::string& name, int64_t n, at::Generator& gen) {
    requireToyClasses(name);
    return eightGaussians(n, gen);
}

torch::Tensor sampleToyClasses(const std::string& name, const torch::Tensor& labels, at::Generator& gen) {
    requireToyClasses(name);
    const auto which = labels.to(torch::kCPU, torch::kLong).flatten();
    if (which.numel() > 0 && (which.min().item<int64_t>() < 0 || which.max().item<int64_t>() >= 8))
        throw Error("a class of the 8 Gaussians is out of range (expected 0 to 7)");
    return eightGaussiansOf(which, gen);
}

torch::Tensor eightGaussianCentres() {
    const double s = 1.0 / std::sqrt(2.0);
    return torch::tensor({1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0, s, s, -s, s, s, -s, -s, -s}).reshape({8, 2}) * 5.0;
}

}  // namespace ds::flow
