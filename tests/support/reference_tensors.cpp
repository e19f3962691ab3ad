// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/reference_tensors.h"

#include "core/util/error.h"

#include <cstdio>
#include <limits>

namespace ds::test {

std::map<std::string, torch::Tensor> loadReferenceTensors(const std::string& path) {
    const auto root = io::loadTorchFile(path);
    std::map<std::string, torch::Tensor> out;
    for (const auto& [k, v] : root->asDict())
        if (v->is(io::PyValue::Kind::Tensor)) out[k->asString()] = v->asTensor();
    return out;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

double maxAbs(const torch::Tensor& a) { return a.to(torch::kDouble).abs().max().item<double>(); }

std::string fixturePath(const std::string& relative) { return std::string(DS_TEST_FIXTURES) + "/" + relative; }

}  // namespace ds::test
