// The classes and guidance of a class-conditional sampling run: the request's choice, resolved
// against what the checkpoint records, and what a sample's PNG metadata says about them.
#include "core/jobs/class_condition.h"

#include "core/util/error.h"

#include <sstream>

namespace ds::jobs {

using api::DiffusionSampler;

std::optional<diffusion::ClassCondition> resolveClassCondition(const api::ClassConditioning& c,
                                                              const checkpoint::DiffusionCheckpoint& ck, int64_t count,
                                                              api::DiffusionSampler sampler) {
    if (!ck.isConditional()) {
        if (c.given())
            throw Error("--class, --classes, --class-name and the guidance options apply to class-conditional "
                        "checkpoints; this model is unconditional");
        return std::nullopt;
    }
    if (!c.className.empty() && !c.classes.empty()) throw Error("give --class-name or --class/--classes, not both");
    const int numClasses = ck.numClasses();
    std::vector<int> classes = c.classes;
    if (!c.className.empty()) {
        std::string known;
        for (size_t i = 0; i < ck.classNames.size(); ++i) {
            if (ck.classNames[i] == c.className) classes = {int(i)};
            known += (i ? ", " : "") + ck.classNames[i];
        }
        if (ck.classNames.empty())
            throw Error("the checkpoint records no class names: give the class number with --class (0.." +
                        std::to_string(numClasses - 1) + ")");
        if (classes.empty()) throw Error("no class named '" + c.className + "' (the classes: " + known + ")");
    }
    for (int k : classes)
        if (k < 0 || k >= numClasses)
            throw Error("class " + std::to_string(k) + " is outside 0.." + std::to_string(numClasses - 1) + " (the model has " +
                        std::to_string(numClasses) + " classes)");
    if (classes.empty())
        for (int k = 0; k < numClasses; ++k) classes.push_back(k);  // every class in turn
    diffusion::ClassCondition condition;
    auto all = torch::empty({count}, torch::kLong);
    for (int64_t i = 0; i < count; ++i) all[i] = int64_t(classes[size_t(i) % classes.size()]);
    condition.classes = all;
    // lucidrains' sample() defaults: cond_scale 6, rescaled_phi 0.7.
    const bool scaleGiven = c.condScale == c.condScale, phiGiven = c.rescaledPhi == c.rescaledPhi;
    condition.guidance.condScale = scaleGiven ? c.condScale : 6.0;
    condition.guidance.rescaledPhi = phiGiven ? c.rescaledPhi : 0.7;
    condition.guidance.removeParallelComponent = c.removeParallelComponent;
    condition.guidance.keepParallelFrac = c.keepParallelFrac;
    condition.cfgPlusPlus = c.cfgPlusPlus;
    if (condition.guidance.condScale < 0) throw Error("--cond-scale must not be negative");
    if (condition.guidance.rescaledPhi < 0 || condition.guidance.rescaledPhi > 1)
        throw Error("--rescaled-phi must be between 0 and 1");
    if (c.keepParallelFrac < 0 || c.keepParallelFrac > 1) throw Error("--keep-parallel-frac must be between 0 and 1");
    if (c.cfgPlusPlus && api::isOdeSolver(sampler))
        throw Error("--cfg-plus-plus changes how DDPM and DDIM renoise; it does not apply to " +
                    std::string(api::samplerName(sampler)));
    return condition;
}

// What a sample's class and guidance were (index -1: the grid, every image's class in order).
std::vector<std::pair<std::string, std::string>> classConditionEntries(const checkpoint::DiffusionCheckpoint& ck,
                                                                  const diffusion::ClassCondition& c, int index) {
    const auto nameOf = [&](int64_t k) {
        return size_t(k) < ck.classNames.size() ? ck.classNames[size_t(k)] : std::to_string(k);
    };
    std::vector<std::pair<std::string, std::string>> e;
    if (index >= 0) {
        const int64_t k = c.classes[index].item<int64_t>();
        e.emplace_back("ds.class", std::to_string(k));
        if (!ck.classNames.empty()) e.emplace_back("ds.class_name", nameOf(k));
    } else {
        std::string list;
        for (int64_t i = 0; i < c.classes.size(0); ++i) list += (i ? "," : "") + std::to_string(c.classes[i].item<int64_t>());
        e.emplace_back("ds.classes", list);
    }
    const auto number = [](double v) {
        std::ostringstream os;
        os << v;
        return os.str();
    };
    e.emplace_back("ds.cond_scale", number(c.guidance.condScale));
    e.emplace_back("ds.rescaled_phi", number(c.guidance.rescaledPhi));
    if (!c.guidance.removeParallelComponent) e.emplace_back("ds.remove_parallel", "0");
    if (c.guidance.keepParallelFrac != 0) e.emplace_back("ds.keep_parallel_frac", number(c.guidance.keepParallelFrac));
    if (c.cfgPlusPlus) e.emplace_back("ds.cfg_plus_plus", "1");
    return e;
}

}  // namespace ds::jobs
