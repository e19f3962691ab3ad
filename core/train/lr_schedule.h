// SPDX-License-Identifier: GPL-3.0-or-later
// Learning-rate schedules: constant, warm-up then linear decay (g4vrel/CFM's flow training),
// and warm-up then cosine decay. `step` is the 0-based optimizer step about to be taken.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ds::train {

struct LrSchedule {
    std::string kind = "constant";  // constant | linear | cosine
    double lr = 1e-4;
    int64_t warmupSteps = 0;   // linear warm-up from lr / warmupSteps (all kinds)
    double finalFactor = 0.0;  // lr x finalFactor at the last step (linear, cosine)

    double at(int64_t step, int64_t totalSteps) const;
    void validate() const;  // throws ds::Error

    nlohmann::json toJson() const;
    static LrSchedule fromJson(const nlohmann::json& j);
};

}  // namespace ds::train
