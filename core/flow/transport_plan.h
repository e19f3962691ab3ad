// SPDX-License-Identifier: GPL-3.0-or-later
// Minibatch optimal transport between two batches with uniform weights, for OT-CFM and SB-CFM
// (torchcfm's OTPlanSampler): the squared Euclidean cost, the exact plan (LEMON's network
// simplex, an exact min-cost-flow solver, in place of POT's ot.emd), the entropic plan
// (Sinkhorn, in place of POT's ot.sinkhorn), and pairs drawn from a plan.
#pragma once
#include "core/flow/probability_path.h"

#include <torch/torch.h>

#include <utility>

namespace ds::flow {

// (N, M) squared distances between the rows of x0 (N, ...) and x1 (M, ...), in double.
torch::Tensor squaredDistances(const torch::Tensor& x0, const torch::Tensor& x1);

// The optimal plan for `cost` (N, M) between uniform marginals: an (N, M) double tensor whose
// rows sum to 1/N and columns to 1/M. For N = M it is a permutation matrix divided by N.
torch::Tensor exactTransportPlan(const torch::Tensor& cost);

// The entropic plan argmin <P, cost> - reg H(P) with uniform marginals (what POT's ot.sinkhorn
// converges to), by Sinkhorn iterations in the log domain with epsilon scaling: no underflow for
// small reg, and few iterations; each stage stops when the marginals are met to 1e-9, or after
// 1000 iterations (POT's numItermax: for reg far below the cost gaps Sinkhorn converges slowly).
torch::Tensor entropicTransportPlan(const torch::Tensor& cost, double reg);

// n pairs of rows (i, j) drawn with replacement with probability plan[i, j] / sum(plan).
Coupling samplePairIndices(const torch::Tensor& plan, int64_t n, at::Generator& gen);
// N pairs (x0[i], x1[j]) so drawn (N: x0's rows).
std::pair<torch::Tensor, torch::Tensor> samplePairsFromPlan(const torch::Tensor& plan, const torch::Tensor& x0,
                                                            const torch::Tensor& x1, at::Generator& gen);

}  // namespace ds::flow
