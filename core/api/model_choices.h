// SPDX-License-Identifier: GPL-3.0-or-later
// The closed choices about a model that requests and reports name: its family, which of a
// checkpoint's weights to use, and a training run's mixed precision. Inside the program they are
// these enums; the names (the command line's, config.json's, PNG metadata's) are spelled only in
// the tables below.
#pragma once
#include "core/api/names.h"

#include <optional>
#include <string>

namespace ds::api {

// Diffusion (DDPM/DDIM and the fast samplers) or flow matching (ODE solvers).
enum class ModelFamily { Diffusion, Flow };
// A checkpoint's exponential moving average of the weights, or the weights the optimiser trained.
enum class Weights { Ema, Online };
// Training's autocast: none, bfloat16 (CPUs and GPUs), or float16 with loss scaling (CUDA).
enum class MixedPrecision { Off, Bf16, Fp16 };

namespace names {
inline constexpr Table<ModelFamily, 2> kModelFamilies{
    {{ModelFamily::Diffusion, "diffusion"}, {ModelFamily::Flow, "flow"}}};
inline constexpr Table<Weights, 2> kWeights{{{Weights::Ema, "ema"}, {Weights::Online, "online"}}};
inline constexpr Table<MixedPrecision, 3> kMixedPrecisions{
    {{MixedPrecision::Off, "off"}, {MixedPrecision::Bf16, "bf16"}, {MixedPrecision::Fp16, "fp16"}}};
}  // namespace names

inline const char* familyName(ModelFamily f) { return names::nameOf(names::kModelFamilies, f); }
inline const char* weightsName(Weights w) { return names::nameOf(names::kWeights, w); }
inline const char* precisionName(MixedPrecision p) { return names::nameOf(names::kMixedPrecisions, p); }

inline std::optional<ModelFamily> parseFamily(const std::string& name) {
    return names::parse(names::kModelFamilies, name);
}
inline std::optional<Weights> parseWeights(const std::string& name) { return names::parse(names::kWeights, name); }
inline std::optional<MixedPrecision> parsePrecision(const std::string& name) {
    return names::parse(names::kMixedPrecisions, name);
}

}  // namespace ds::api
