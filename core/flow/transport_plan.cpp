// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/transport_plan.h"

#include "core/util/error.h"

#include <lemon/list_graph.h>
#include <lemon/network_simplex.h>

#include <cmath>

namespace ds::flow {

torch::Tensor squaredDistances(const torch::Tensor& x0, const torch::Tensor& x1) {
    const auto a = x0.reshape({x0.size(0), -1}).to(torch::kCPU, torch::kDouble);
    const auto b = x1.reshape({x1.size(0), -1}).to(torch::kCPU, torch::kDouble);
    // |a|^2 + |b|^2 - 2 a.b can go slightly negative by rounding; distances cannot.
    return (a.pow(2).sum(1, true) + b.pow(2).sum(1).unsqueeze(0) - 2 * a.matmul(b.t())).clamp_min(0);
}

torch::Tensor exactTransportPlan(const torch::Tensor& costIn) {
    TORCH_CHECK(costIn.dim() == 2, "the cost must be a matrix");
    const auto cost = costIn.to(torch::kCPU, torch::kDouble).contiguous();
    const int64_t n = cost.size(0), m = cost.size(1);
    // Uniform marginals as integers: every source supplies m units, every sink takes n, so the
    // optimal flow is integral and flow / (n m) is the plan.
    lemon::ListDigraph graph;
    std::vector<lemon::ListDigraph::Node> sources, sinks;
    for (int64_t i = 0; i < n; ++i) sources.push_back(graph.addNode());
    for (int64_t j = 0; j < m; ++j) sinks.push_back(graph.addNode());
    lemon::ListDigraph::NodeMap<int64_t> supply(graph);
    for (auto s : sources) supply[s] = m;
    for (auto s : sinks) supply[s] = -n;
    lemon::ListDigraph::ArcMap<double> arcCost(graph);
    std::vector<lemon::ListDigraph::Arc> arcs;
    arcs.reserve(n * m);
    const auto c = cost.accessor<double, 2>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) {
            arcs.push_back(graph.addArc(sources[i], sinks[j]));
            arcCost[arcs.back()] = c[i][j];
        }
    lemon::NetworkSimplex<lemon::ListDigraph, int64_t, double> simplex(graph);
    simplex.costMap(arcCost).supplyMap(supply);
    if (simplex.run() != decltype(simplex)::OPTIMAL) throw Error("the exact transport problem has no optimal solution");
    auto plan = torch::empty({n, m}, torch::kDouble);
    auto p = plan.accessor<double, 2>();
    const double total = static_cast<double>(n) * static_cast<double>(m);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) p[i][j] = static_cast<double>(simplex.flow(arcs[i * m + j])) / total;
    return plan;
}

torch::Tensor entropicTransportPlan(const torch::Tensor& costIn, double reg) {
    if (!(reg > 0)) throw Error("the entropic regularisation must be positive");
    const auto cost = costIn.to(torch::kCPU, torch::kDouble);
    const int64_t n = cost.size(0), m = cost.size(1);
    const double logA = -std::log(static_cast<double>(n)), logB = -std::log(static_cast<double>(m));
    // Dual potentials in cost units, so that they carry over from one regularisation to the next:
    // P = exp((F + G - C) / eps).
    auto f = torch::zeros({n, 1}, torch::kDouble), g = torch::zeros({1, m}, torch::kDouble);
    auto rowError = [&](double eps) {
        return (torch::exp((f + g - cost) / eps).sum(1) - std::exp(logA)).abs().sum().item<double>();
    };
    // Epsilon scaling: small regularisations converge slowly from cold potentials, so start
    // where the plan is nearly uniform and divide by 4 down to `reg` (the limit is the same plan).
    std::vector<double> schedule{reg};
    for (double eps = reg * 4; eps < cost.max().item<double>(); eps *= 4) schedule.insert(schedule.begin(), eps);
    for (double eps : schedule) {
        for (int iteration = 0; iteration < 1000; ++iteration) {
            f = eps * logA - eps * torch::logsumexp((g - cost) / eps, 1, true);
            g = eps * logB - eps * torch::logsumexp((f - cost) / eps, 0, true);
            // g makes the columns exact; the rows' error is the stopping criterion.
            if (iteration % 10 == 9 && rowError(eps) < 1e-9) break;
        }
    }
    return torch::exp((f + g - cost) / reg);
}

Coupling samplePairIndices(const torch::Tensor& plan, int64_t n, at::Generator& gen) {
    auto p = plan.flatten().to(torch::kDouble);
    const double total = p.sum().item<double>();
    // torchcfm falls back to the uniform plan when a plan is numerically empty.
    p = std::isfinite(total) && total > 1e-8 ? p / total : torch::full_like(p, 1.0 / p.numel());
    const auto choices = torch::multinomial(p, n, /*replacement=*/true, gen);
    const int64_t m = plan.size(1);
    return {torch::div(choices, m, "floor"), choices.remainder(m)};
}

std::pair<torch::Tensor, torch::Tensor> samplePairsFromPlan(const torch::Tensor& plan, const torch::Tensor& x0,
                                                            const torch::Tensor& x1, at::Generator& gen) {
    const auto rows = samplePairIndices(plan, x0.size(0), gen);
    return {Coupling::pick(x0, rows.rows0), Coupling::pick(x1, rows.rows1)};
}

}  // namespace ds::flow
