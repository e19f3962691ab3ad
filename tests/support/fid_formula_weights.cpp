// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/fid_formula_weights.h"

#include "core/io/torch_file.h"
#include "core/util/error.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace ds::test {

namespace {

uint32_t lowbias32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

std::vector<int64_t> parseShape(const std::string& text) {
    std::vector<int64_t> shape;
    if (text == "scalar") return shape;
    std::stringstream in(text);
    std::string dim;
    while (std::getline(in, dim, 'x')) shape.push_back(std::stoll(dim));
    return shape;
}

// value(u) for each kind of tensor, u uniform in [0, 1).
double formulaValue(const std::string& kind, double u, double fanIn) {
    if (kind == "weight") return (2 * u - 1) * std::sqrt(6.0 / fanIn);
    if (kind == "bias") return 0.01 * (2 * u - 1);
    if (kind == "bn_weight" || kind == "bn_var") return 0.75 + 0.5 * u;
    if (kind == "bn_bias" || kind == "bn_mean") return 0.05 * (2 * u - 1);
    throw Error("keys.tsv: unknown kind '" + kind + "'");
}

torch::Tensor formulaTensor(uint32_t index, const std::vector<int64_t>& shape, const std::string& kind) {
    if (kind == "count") return torch::zeros(shape, torch::kLong);
    auto t = torch::empty(shape, torch::kFloat);
    double fanIn = 1;
    for (size_t d = 1; d < shape.size(); ++d) fanIn *= double(shape[d]);
    float* out = t.data_ptr<float>();
    const uint32_t offset = (index + 1u) * 0x9E3779B9u;  // mod 2^32 by unsigned arithmetic
    for (int64_t j = 0; j < t.numel(); ++j) {
        const double u = lowbias32(uint32_t(j) + offset) / 4294967296.0;
        out[j] = float(formulaValue(kind, u, fanIn));
    }
    return t;
}

}  // namespace

checkpoint::StateDict formulaInceptionWeights(const std::string& keysTsv) {
    std::ifstream in(keysTsv);
    if (!in) throw fileError(keysTsv, "cannot open");
    checkpoint::StateDict weights;
    std::string line;
    while (std::getline(in, line)) {
        std::stringstream fields(line);
        std::string index, name, shape, kind;
        std::getline(fields, index, '\t');
        std::getline(fields, name, '\t');
        std::getline(fields, shape, '\t');
        std::getline(fields, kind, '\t');
        weights.add(name, formulaTensor(uint32_t(std::stoul(index)), parseShape(shape), kind));
    }
    return weights;
}

void writeFormulaInceptionWeights(const std::string& keysTsv, const std::string& path) {
    io::saveTorchFile(path, formulaInceptionWeights(keysTsv).toPyDict());
}

}  // namespace ds::test
