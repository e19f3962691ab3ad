// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/lr_schedule.h"

#include "core/util/error.h"

#include <algorithm>
#include <cmath>

namespace ds::train {

double LrSchedule::at(int64_t step, int64_t totalSteps) const {
    if (step < warmupSteps) return lr * double(step + 1) / double(warmupSteps);
    if (kind == "constant") return lr;
    const int64_t span = std::max<int64_t>(1, totalSteps - warmupSteps - 1);
    const double progress = std::clamp(double(step - warmupSteps) / double(span), 0.0, 1.0);
    const double floor = lr * finalFactor;
    if (kind == "linear") return lr + (floor - lr) * progress;
    return floor + (lr - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));  // cosine
}

void LrSchedule::validate() const {
    if (kind != "constant" && kind != "linear" && kind != "cosine")
        throw Error("unknown learning-rate schedule '" + kind + "' (expected constant, linear or cosine)");
    if (!(lr > 0.0)) throw Error("the learning rate must be positive");
    if (warmupSteps < 0) throw Error("warm-up steps must not be negative");
    if (finalFactor < 0.0 || finalFactor > 1.0) throw Error("the final learning-rate factor must be in [0, 1]");
}

nlohmann::json LrSchedule::toJson() const {
    return {{"kind", kind}, {"lr", lr}, {"warmup_steps", warmupSteps}, {"final_factor", finalFactor}};
}

LrSchedule LrSchedule::fromJson(const nlohmann::json& j) {
    LrSchedule s;
    s.kind = j.value("kind", s.kind);
    s.lr = j.value("lr", s.lr);
    s.warmupSteps = j.value("warmup_steps", s.warmupSteps);
    s.finalFactor = j.value("final_factor", s.finalFactor);
    return s;
}

}  // namespace ds::train
