// SPDX-License-Identifier: GPL-3.0-or-later
// The samplers of diffusion models and the options of the training-free ODE solvers among them
// (DPM-Solver, DPM-Solver++: LuChengTHU/dpm-solver; UniPC: wl-zhao/UniPC), as the command line,
// the app and the training previews choose them. Torch-free; the names are the CLI's.
#pragma once
#include "core/api/names.h"

#include <string>

namespace ds::api {

enum class DiffusionSampler { Ddpm, Ddim, DpmSolver, DpmSolverPlusPlus, UniPC };
// How a DPM-Solver run spends its evaluations (UniPC is multistep only).
enum class SolverMethod { Multistep, Singlestep, SinglestepFixed, Adaptive };
// The spacing of the time grid (the references' skip_type).
enum class StepSpacing { TimeUniform, LogSnr, TimeQuadratic };
enum class UniPCVariant { Bh1, Bh2 };
// What is done to each data prediction x0 before the solver uses it: nothing (the references'
// default), lucidrains' clamp to [-1, 1], or Imagen's dynamic thresholding (the references').
enum class X0Correction { None, Clip, Dynamic };

struct SolverOptions {
    int order = 2;  // 1, 2 or 3 (adaptive: 2 or 3)
    SolverMethod method = SolverMethod::Multistep;
    StepSpacing spacing = StepSpacing::TimeUniform;
    bool lowerOrderFinal = true;  // lower orders on the last steps (DPM-Solver: only when steps < 10)
    bool denoiseToZero = false;   // one more evaluation: x0 predicted at t = 1/N is the sample
    bool taylor = false;          // DPM-Solver's 'taylor' solver type instead of 'dpmsolver' (orders 2, 3)
    UniPCVariant unipcVariant = UniPCVariant::Bh2;
    bool unipcPredictX0 = true;  // UniPC's algorithm_type: data_prediction (true) or noise_prediction
    double atol = 0.0078;        // the adaptive method's tolerances (DPM-Solver's defaults)
    double rtol = 0.05;
    X0Correction x0Correction = X0Correction::None;
    double thresholdingMaxVal = 1.0;  // dynamic thresholding (Imagen, the references' defaults)
    double dynamicThresholdingRatio = 0.995;
};

// The CLI's names (core/api/names.h): the only place where these strings are spelled.
namespace names {
inline constexpr Table<DiffusionSampler, 5> kSamplers{{{DiffusionSampler::Ddpm, "ddpm"},
                                                       {DiffusionSampler::Ddim, "ddim"},
                                                       {DiffusionSampler::DpmSolver, "dpm-solver"},
                                                       {DiffusionSampler::DpmSolverPlusPlus, "dpm-solver++"},
                                                       {DiffusionSampler::UniPC, "unipc"}}};
inline constexpr Table<SolverMethod, 4> kMethods{{{SolverMethod::Multistep, "multistep"},
                                                  {SolverMethod::Singlestep, "singlestep"},
                                                  {SolverMethod::SinglestepFixed, "singlestep-fixed"},
                                                  {SolverMethod::Adaptive, "adaptive"}}};
inline constexpr Table<StepSpacing, 3> kSpacings{{{StepSpacing::TimeUniform, "time-uniform"},
                                                  {StepSpacing::LogSnr, "logsnr"},
                                                  {StepSpacing::TimeQuadratic, "time-quadratic"}}};
inline constexpr Table<UniPCVariant, 2> kUniPCVariants{{{UniPCVariant::Bh1, "bh1"}, {UniPCVariant::Bh2, "bh2"}}};
inline constexpr Table<X0Correction, 3> kX0Corrections{
    {{X0Correction::None, "none"}, {X0Correction::Clip, "clip"}, {X0Correction::Dynamic, "dynamic"}}};

}  // namespace names

inline const char* samplerName(DiffusionSampler s) { return names::nameOf(names::kSamplers, s); }
inline const char* methodName(SolverMethod m) { return names::nameOf(names::kMethods, m); }
inline const char* spacingName(StepSpacing s) { return names::nameOf(names::kSpacings, s); }
inline const char* unipcVariantName(UniPCVariant v) { return names::nameOf(names::kUniPCVariants, v); }
inline const char* x0CorrectionName(X0Correction c) { return names::nameOf(names::kX0Corrections, c); }

// The solvers that integrate the probability-flow ODE (all but DDPM and DDIM).
inline bool isOdeSolver(DiffusionSampler s) {
    return s == DiffusionSampler::DpmSolver || s == DiffusionSampler::DpmSolverPlusPlus || s == DiffusionSampler::UniPC;
}

// A short label for legends and logs: "DDIM", "DPM-Solver++ 2M", "DPM-Solver 3S",
// "DPM-Solver++ adaptive-3", "UniPC-3 bh2".
inline std::string samplerLabel(DiffusionSampler sampler, const SolverOptions& o) {
    const std::string order = std::to_string(o.order);
    switch (sampler) {
    case DiffusionSampler::Ddpm: return "DDPM";
    case DiffusionSampler::Ddim: return "DDIM";
    case DiffusionSampler::UniPC:
        return "UniPC-" + order + " " + unipcVariantName(o.unipcVariant) + (o.unipcPredictX0 ? "" : " (noise)");
    case DiffusionSampler::DpmSolver:
    case DiffusionSampler::DpmSolverPlusPlus: break;
    }
    const std::string name = sampler == DiffusionSampler::DpmSolver ? "DPM-Solver" : "DPM-Solver++";
    switch (o.method) {
    case SolverMethod::Multistep: return name + " " + order + "M";
    case SolverMethod::Singlestep: return name + " " + order + "S";
    case SolverMethod::SinglestepFixed: return name + " " + order + "S fixed";
    case SolverMethod::Adaptive: return name + " adaptive-" + order;
    }
    return name;
}

}  // namespace ds::api
