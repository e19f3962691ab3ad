// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/probability_path.h"

#include "core/flow/exact_ot_cfm_path.h"
#include "core/flow/independent_cfm_path.h"
#include "core/flow/lipman_ot_path.h"
#include "core/flow/schrodinger_bridge_cfm_path.h"
#include "core/flow/target_cfm_path.h"
#include "core/flow/variance_preserving_cfm_path.h"
#include "core/util/error.h"

namespace ds::flow {

Coupling ProbabilityPath::pairing(const torch::Tensor& /*x0*/, const torch::Tensor& /*x1*/,
                                  at::Generator& /*gen*/) const {
    return {};
}

std::pair<torch::Tensor, torch::Tensor> ProbabilityPath::couple(const torch::Tensor& x0, const torch::Tensor& x1,
                                                                at::Generator& gen) const {
    const auto rows = pairing(x0, x1, gen);
    return {Coupling::pick(x0, rows.rows0), Coupling::pick(x1, rows.rows1)};
}

torch::Tensor ProbabilityPath::expand(const torch::Tensor& t, const torch::Tensor& x) {
    std::vector<int64_t> shape(x.dim(), 1);
    shape[0] = t.size(0);
    return t.to(x.dtype()).reshape(shape);
}

std::vector<std::string> ProbabilityPath::names() { return {"ot", "icfm", "otcfm", "sbcfm", "vp", "target"}; }

std::unique_ptr<ProbabilityPath> ProbabilityPath::make(const std::string& name, double sigma) {
    if (sigma < 0) throw Error("the path's sigma must not be negative");
    if (name == "ot") return std::make_unique<LipmanOtPath>(sigma);
    if (name == "icfm") return std::make_unique<IndependentCfmPath>(sigma);
    if (name == "otcfm") return std::make_unique<ExactOtCfmPath>(sigma);
    if (name == "sbcfm") return std::make_unique<SchrodingerBridgeCfmPath>(sigma);
    if (name == "vp") return std::make_unique<VariancePreservingCfmPath>(sigma);
    if (name == "target") return std::make_unique<TargetCfmPath>(sigma);
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown probability path '" + name + "' (expected " + known + ")");
}

}  // namespace ds::flow
