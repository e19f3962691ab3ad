// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/trajectory_metrics.h"

#include "core/util/error.h"

namespace ds::flow {

double straightness(const std::vector<torch::Tensor>& states) {
    if (states.size() < 2) throw Error("straightness needs at least two points per path");
    const auto path = torch::stack(states, 0).to(torch::kDouble);  // (K, N, D)
    const auto length = (path.slice(0, 1) - path.slice(0, 0, -1)).norm(2, -1).sum(0);
    const auto chord = (path[-1] - path[0]).norm(2, -1);
    // Particles that barely move have no meaningful ratio.
    const auto moving = chord > 1e-6;
    if (moving.sum().item<int64_t>() == 0) return 1.0;
    return (length.masked_select(moving) / chord.masked_select(moving)).mean().item<double>();
}

double energyDistance(const torch::Tensor& x, const torch::Tensor& y) {
    const auto a = x.to(torch::kDouble), b = y.to(torch::kDouble);
    return 2 * torch::cdist(a, b).mean().item<double>() - torch::cdist(a, a).mean().item<double>() -
           torch::cdist(b, b).mean().item<double>();
}

}  // namespace ds::flow
