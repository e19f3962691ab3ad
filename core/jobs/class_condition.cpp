// SPDX-License-Identifier: GPL-3.0-or-later
// The classes and guidance of a class-conditional sampling run: the request's choice, resolved
// against what the checkpoint records, and what a sample's PNG metadata says about them.
#include "core/jobs/class_condition.h"

#include "core/util/error.h"

#include <sstream>

namespace ds::jobs {

namespace {

std::string number(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

}  // namespace

std::string ClassSet::nameOf(int64_t k) const {
    return size_t(k) < names.size() ? names[size_t(k)] : std::to_string(k);
}

torch::Tensor resolveClasses(const api::ClassConditioning& c, const ClassSet& set, int64_t count) {
    if (set.count <= 0) {
        if (c.given())
            throw Error(
                "--class, --classes, --class-name and the guidance options apply to class-conditional "
                "checkpoints; this model is unconditional");
        return {};
    }
    if (!c.className.empty() && !c.classes.empty()) throw Error("give --class-name or --class/--classes, not both");
    if (c.rowPerClass) {
        if (!c.className.empty() || !c.classes.empty())
            throw Error("--row-per-class shows every class, one per row: not with --class, --classes or --class-name");
        if (count % set.count != 0)
            throw Error("one row per class needs whole rows: " + std::to_string(count) + " images for " +
                        std::to_string(set.count) + " classes");
        auto rows = torch::arange(count, torch::kLong).div(count / set.count, "floor");
        return rows;
    }
    std::vector<int> classes = c.classes;
    if (!c.className.empty()) {
        if (set.names.empty())
            throw Error("the checkpoint records no class names: give the class number with --class (0.." +
                        std::to_string(set.count - 1) + ")");
        std::string known;
        for (size_t i = 0; i < set.names.size(); ++i) {
            if (set.names[i] == c.className) classes = {int(i)};
            known += (i ? ", " : "") + set.names[i];
        }
        if (classes.empty()) throw Error("no class named '" + c.className + "' (the classes: " + known + ")");
    }
    for (int k : classes)
        if (k < 0 || k >= set.count)
            throw Error("class " + std::to_string(k) + " is outside 0.." + std::to_string(set.count - 1) +
                        " (the model has " + std::to_string(set.count) + " classes)");
    if (classes.empty())
        for (int k = 0; k < set.count; ++k) classes.push_back(k);  // every class in turn
    auto all = torch::empty({count}, torch::kLong);
    auto* out = all.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) out[i] = classes[size_t(i) % classes.size()];
    return all;
}

api::SampleRequest withClassRows(const api::SampleRequest& r, int classCount) {
    if (!r.conditioning.rowPerClass) return r;
    if (classCount <= 0)
        throw fileError(r.checkpoint,
                        "--row-per-class applies to class-conditional checkpoints; this model is "
                        "unconditional");
    api::SampleRequest rows = r;
    const int columns = std::max(1, r.num / classCount);
    rows.num = columns * classCount;
    rows.gridColumns = columns;
    return rows;
}

std::optional<diffusion::ClassCondition> resolveClassCondition(const api::ClassConditioning& c,
                                                               const checkpoint::DiffusionCheckpoint& ck, int64_t count,
                                                               api::DiffusionSampler sampler) {
    auto classes = resolveClasses(c, ClassSet{ck.numClasses(), ck.classNames}, count);
    if (!classes.defined()) return std::nullopt;
    diffusion::ClassCondition condition;
    condition.classes = classes;
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

std::vector<std::pair<std::string, std::string>> classEntries(const torch::Tensor& classes, const ClassSet& set,
                                                              int index) {
    std::vector<std::pair<std::string, std::string>> e;
    if (index >= 0) {
        const int64_t k = classes[index].item<int64_t>();
        e.emplace_back("ds.class", std::to_string(k));
        if (!set.names.empty()) e.emplace_back("ds.class_name", set.nameOf(k));
    } else {
        std::string list;
        for (int64_t i = 0; i < classes.size(0); ++i)
            list += (i ? "," : "") + std::to_string(classes[i].item<int64_t>());
        e.emplace_back("ds.classes", list);
    }
    return e;
}

std::vector<std::pair<std::string, std::string>> classConditionEntries(const checkpoint::DiffusionCheckpoint& ck,
                                                                       const diffusion::ClassCondition& c, int index) {
    auto e = classEntries(c.classes, ClassSet{ck.numClasses(), ck.classNames}, index);
    e.emplace_back("ds.cond_scale", number(c.guidance.condScale));
    e.emplace_back("ds.rescaled_phi", number(c.guidance.rescaledPhi));
    if (!c.guidance.removeParallelComponent) e.emplace_back("ds.remove_parallel", "0");
    if (c.guidance.keepParallelFrac != 0) e.emplace_back("ds.keep_parallel_frac", number(c.guidance.keepParallelFrac));
    if (c.cfgPlusPlus) e.emplace_back("ds.cfg_plus_plus", "1");
    return e;
}

}  // namespace ds::jobs
