// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_matching_loss.h"

namespace ds::flow {

FlowLossTerms flowMatchingLoss(const VelocityModel& model, const ProbabilityPath& path, const torch::Tensor& x0,
                               const torch::Tensor& x1, const torch::Tensor& t, const torch::Tensor& eps) {
    const auto point = path.at(x0, x1, t, eps);
    FlowLossTerms terms;
    terms.xt = point.xt;
    terms.target = point.ut;
    terms.prediction = model(point.xt, t);
    terms.loss = torch::mse_loss(terms.prediction, point.ut);
    return terms;
}

torch::Tensor flowMatchingLoss(const VelocityModel& model, const ProbabilityPath& path, const torch::Tensor& x1,
                               at::Generator& gen) {
    const auto noise = torch::randn(x1.sizes(), gen, x1.options().device(torch::kCPU)).to(x1.device());
    const auto [x0, data] = path.couple(noise, x1, gen);
    const auto t = torch::rand({x1.size(0)}, gen, x1.options().device(torch::kCPU)).to(x1.device());
    const auto eps = torch::randn(x1.sizes(), gen, x1.options().device(torch::kCPU)).to(x1.device());
    return flowMatchingLoss(model, path, x0, data, t, eps).loss;
}

}  // namespace ds::flow
