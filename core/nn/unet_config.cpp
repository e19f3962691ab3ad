// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/nn/unet_config.h"

#include "core/util/error.h"

#include <sstream>

namespace ds::nn {

namespace {

template <typename T>
std::vector<T> expandPerStage(const std::vector<T>& v, int stages, const char* name) {
    if (v.size() == 1) return std::vector<T>(static_cast<size_t>(stages), v[0]);
    if (static_cast<int>(v.size()) != stages)
        throw Error(std::string("Unet option ") + name + " has " + std::to_string(v.size()) + " values for " +
                    std::to_string(stages) + " stages");
    return v;
}

template <typename T>
std::string joinTuple(const std::vector<T>& v) {
    std::ostringstream os;
    os << "(";
    for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
    os << ")";
    return os.str();
}

}  // namespace

UnetConfig UnetConfig::resolved() const {
    if (dim <= 0) throw Error("Unet dim must be positive");
    if (dimMults.empty()) throw Error("Unet dim_mults must not be empty");
    if (channels <= 0) throw Error("Unet channels must be positive");
    if (numClasses < 0) throw Error("num_classes must not be negative");
    UnetConfig r = *this;
    const int n = numStages();
    if (r.fullAttn.empty()) {
        r.fullAttn.assign(static_cast<size_t>(n), false);
        r.fullAttn.back() = true;
    }
    r.fullAttn = expandPerStage(r.fullAttn, n, "full_attn");
    r.attnHeads = expandPerStage(r.attnHeads, n, "attn_heads");
    r.attnDimHead = expandPerStage(r.attnDimHead, n, "attn_dim_head");
    return r;
}

std::string UnetConfig::summary() const {
    const UnetConfig r = resolved();
    std::ostringstream os;
    os << "Unet(dim=" << r.dim << ", init_dim=" << r.effectiveInitDim() << ", dim_mults=" << joinTuple(r.dimMults)
       << ", channels=" << r.channels << ", out_dim=" << r.effectiveOutDim()
       << ", attn_heads=" << joinTuple(r.attnHeads) << ", attn_dim_head=" << joinTuple(r.attnDimHead)
       << ", full_attn=" << joinTuple(std::vector<int>(r.fullAttn.begin(), r.fullAttn.end()));
    if (r.selfCondition) os << ", self_condition=True";
    if (r.learnedSinusoidalCond)
        os << ", learned_sinusoidal_cond=True, learned_sinusoidal_dim=" << r.learnedSinusoidalDim;
    if (r.randomFourierFeatures) os << ", random_fourier_features=True";
    if (r.numClasses > 0) os << ", num_classes=" << r.numClasses;
    os << ")";
    return os.str();
}

nlohmann::json UnetConfig::toJson() const {
    nlohmann::json j{{"dim", dim},
                     {"init_dim", initDim > 0 ? nlohmann::json(initDim) : nlohmann::json(nullptr)},
                     {"out_dim", outDim > 0 ? nlohmann::json(outDim) : nlohmann::json(nullptr)},
                     {"dim_mults", dimMults},
                     {"channels", channels},
                     {"self_condition", selfCondition},
                     {"learned_variance", learnedVariance},
                     {"learned_sinusoidal_cond", learnedSinusoidalCond},
                     {"random_fourier_features", randomFourierFeatures},
                     {"learned_sinusoidal_dim", learnedSinusoidalDim},
                     {"sinusoidal_pos_emb_theta", sinusoidalPosEmbTheta},
                     {"dropout", dropout},
                     {"attn_dim_head", attnDimHead},
                     {"attn_heads", attnHeads},
                     {"full_attn", fullAttn}};
    if (numClasses > 0) j["num_classes"] = numClasses;  // unconditional configs keep their old form
    return j;
}

UnetConfig UnetConfig::fromJson(const nlohmann::json& j) {
    UnetConfig c;
    auto intOr = [&](const char* key, int fallback) {
        return j.contains(key) && j[key].is_number() ? j[key].get<int>() : fallback;
    };
    auto intList = [&](const char* key, std::vector<int> fallback) {
        if (!j.contains(key) || j[key].is_null()) return fallback;
        if (j[key].is_number()) return std::vector<int>{j[key].get<int>()};
        return j[key].get<std::vector<int>>();
    };
    c.dim = intOr("dim", c.dim);
    c.initDim = intOr("init_dim", 0);
    c.outDim = intOr("out_dim", 0);
    c.dimMults = intList("dim_mults", c.dimMults);
    c.channels = intOr("channels", c.channels);
    c.selfCondition = j.value("self_condition", false);
    c.learnedVariance = j.value("learned_variance", false);
    c.learnedSinusoidalCond = j.value("learned_sinusoidal_cond", false);
    c.randomFourierFeatures = j.value("random_fourier_features", false);
    c.learnedSinusoidalDim = intOr("learned_sinusoidal_dim", c.learnedSinusoidalDim);
    c.sinusoidalPosEmbTheta = j.value("sinusoidal_pos_emb_theta", c.sinusoidalPosEmbTheta);
    c.dropout = j.value("dropout", 0.0);
    c.attnDimHead = intList("attn_dim_head", c.attnDimHead);
    c.attnHeads = intList("attn_heads", c.attnHeads);
    if (j.contains("full_attn") && !j["full_attn"].is_null()) {
        if (j["full_attn"].is_boolean()) c.fullAttn = {j["full_attn"].get<bool>()};
        else c.fullAttn = j["full_attn"].get<std::vector<bool>>();
    }
    c.numClasses = intOr("num_classes", 0);
    return c;
}

}  // namespace ds::nn
