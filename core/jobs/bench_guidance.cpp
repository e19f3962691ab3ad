// SPDX-License-Identifier: GPL-3.0-or-later
// `bench guidance`: seconds per image of a class-conditional checkpoint's sampling without and
// with classifier-free guidance (core/api/benchmarks.h).
#include "core/api/benchmarks.h"
#include "core/api/checkpoint_info.h"
#include "core/api/sampling.h"
#include "core/util/error.h"

#include <algorithm>

namespace ds::api {

namespace {

// The request of one timed run: every class in turn, from the same seed, nothing written.
SampleRequest guidanceRequest(const GuidanceBenchOptions& o, ModelFamily family, double scale) {
    SampleRequest r;
    r.checkpoint = o.checkpoint;
    r.imageSize = o.imageSize;
    r.steps = o.steps;
    r.num = o.batch;
    r.batchSize = o.batch;
    r.seed = 0;
    r.device = o.device;
    r.conditioning.condScale = scale;
    if (family == ModelFamily::Flow) {
        r.solver = o.sampler.empty() ? "euler" : o.sampler;
    } else {
        const std::string name = o.sampler.empty() ? "ddim" : o.sampler;
        const auto sampler = names::parse(names::kSamplers, name);
        if (!sampler)
            throw Error("unknown --sampler '" + name + "' for a diffusion model (" + names::choices(names::kSamplers) +
                        ")");
        r.sampler = *sampler;
        r.conditioning.rescaledPhi = 0.0;  // the rescaling's cost is a few reductions; off in both runs
    }
    return r;
}

struct Timing {
    double seconds = 1e300;
    int64_t nfe = 0;
};

Timing bestOf(const SampleRequest& r, int repeats) {
    JobSink quiet;
    StopToken stop;
    runSampling(r, quiet, stop);  // warm-up: first calls allocate and pick kernels
    Timing best;
    for (int i = 0; i < repeats; ++i) {
        const auto result = runSampling(r, quiet, stop);
        // DDPM and DDIM count steps, not evaluations: one call of the network per step.
        if (result.seconds < best.seconds) best = {result.seconds, result.nfe > 0 ? result.nfe : int64_t(result.steps)};
    }
    return best;
}

}  // namespace

nlohmann::json benchGuidance(const GuidanceBenchOptions& o) {
    if (o.checkpoint.empty()) throw Error("bench guidance needs --checkpoint (a class-conditional model)");
    if (o.batch < 1 || o.steps < 1 || o.repeats < 1) throw Error("--batch, --steps and --repeats must be positive");
    if (o.scale == 1.0) throw Error("--scale 1 is the conditional model alone: give the guided run's W (e.g. 4)");
    const auto classes = checkpointClasses(o.checkpoint);
    if (classes.count <= 0) throw fileError(o.checkpoint, "is not a class-conditional model");
    if (classes.guidance == CheckpointClasses::Guidance::None)
        throw fileError(o.checkpoint, "learned no null class: it cannot be guided (W = 1 only)");
    const ModelFamily family = checkpointFamily(o.checkpoint);
    const auto conditional = bestOf(guidanceRequest(o, family, 1.0), o.repeats);
    const auto guided = bestOf(guidanceRequest(o, family, o.scale), o.repeats);
    const double perImage = conditional.seconds / o.batch, guidedPerImage = guided.seconds / o.batch;
    return {{"benchmark", "guidance"},
            {"checkpoint", o.checkpoint},
            {"family", familyName(family)},
            {"sampler", family == ModelFamily::Flow ? (o.sampler.empty() ? "euler" : o.sampler)
                                                    : (o.sampler.empty() ? "ddim" : o.sampler)},
            {"steps", o.steps},
            {"batch", o.batch},
            {"classes", classes.count},
            {"device", o.device},
            {"repeats", o.repeats},
            {"conditional",
             {{"cond_scale", 1.0},
              {"seconds", conditional.seconds},
              {"seconds_per_image", perImage},
              {"network_calls", conditional.nfe},
              {"images_per_evaluation", o.batch}}},
            {"guided",
             {{"cond_scale", o.scale},
              {"seconds", guided.seconds},
              {"seconds_per_image", guidedPerImage},
              {"network_calls", guided.nfe},
              {"images_per_evaluation", 2 * o.batch}}},
            {"guided_over_conditional", guidedPerImage / perImage}};
}

}  // namespace ds::api
