// SPDX-License-Identifier: GPL-3.0-or-later
// The Train page's form and the run configuration it stands for.
#include "core/api/train_form.h"

#include "core/jobs/train_jobs.h"

namespace ds::api {

namespace {

// The fields a form shares with a run configuration, listed once for both directions: `copy`
// gets (form field, configuration field) pairs. The family's own fields (its network's shape,
// the path, the preview sampler) are mapped where the family is known.
template <typename Form, typename Config, typename Copy>
void forEachSharedField(Form& f, Config& c, Copy&& copy) {
    copy(f.preset, c.preset);
    copy(f.data, c.data);
    copy(f.steps, c.steps);
    copy(f.batchSize, c.batchSize);
    copy(f.processes, c.worldSize);
    copy(f.lr, c.lr.lr);
    copy(f.lrSchedule, c.lr.kind);
    copy(f.warmupSteps, c.lr.warmupSteps);
    copy(f.emaDecay, c.ema.beta);
    copy(f.sampleEvery, c.sampleEvery);
    copy(f.sampleCount, c.sampleCount);
    copy(f.sampleSteps, c.sampleSteps);
    copy(f.saveEvery, c.saveEvery);
    copy(f.seed, c.seed);
    copy(f.fidEvery, c.fid.every);
    copy(f.fidSamples, c.fid.samples);
    copy(f.fidReference, c.fid.reference);
    copy(f.fidFeatures, c.fid.features);
    copy(f.fidKid, c.fid.kid);
}

TrainForm formOf(const train::TrainConfig& c) {
    TrainForm f;
    f.base = c.toJson();
    f.family = c.family;
    f.timesteps = c.diffusion.timesteps;
    f.flowPath = c.flow.path;
    f.imageSize = c.imageSize();
    f.channels = c.channels();
    f.width = c.isFlow() ? c.flow.network.width() : c.unet.dim;
    f.stages = c.isFlow() ? c.flow.network.stages() : c.unet.dimMults;
    f.sampleSampler = c.sampleSampler;
    f.conditional = c.isConditional();
    f.condDropProb = c.conditioning.dropProb;
    f.classNames = c.conditioning.classNames;
    forEachSharedField(f, c, [](auto& field, const auto& value) { field = value; });
    return f;
}

}  // namespace

train::TrainConfig trainConfigOf(const TrainForm& f) {
    auto c = train::TrainConfig::fromJson(f.base);
    if (c.isFlow()) {
        c.flow.path = f.flowPath;
        c.flow.imageSize = f.imageSize;
        c.flow.network.setChannels(f.channels);
        c.flow.network.setShape(f.width, f.stages);
    } else {
        c.diffusion.imageSize = f.imageSize;
        c.unet.channels = f.channels;
        c.unet.dim = f.width;
        c.unet.dimMults = f.stages;
        c.sampleSampler = f.sampleSampler;
    }
    if (f.conditional && !c.isConditional()) c.makeConditional();
    if (f.conditional) {
        c.conditioning.dropProb = f.condDropProb;
    } else {
        c.conditioning = train::TrainConfig::Conditioning{};
        if (c.isFlow()) c.flow.network.setNumClasses(0);
    }
    const std::string baseData = c.data;
    forEachSharedField(f, c, [](const auto& value, auto& field) { field = value; });
    // Other data has other classes: the run settles them from it when it starts.
    if (c.isConditional() && c.data != baseData) c.setClassNames({});
    if (!c.fid.enabled()) c.fid = train::TrainConfig::FidEvaluation{};
    c.validate();
    return c;
}

TrainForm trainFormForPreset(const std::string& preset) { return formOf(train::TrainConfig::fromPreset(preset)); }

TrainForm trainFormFromConfig(const nlohmann::json& config) { return formOf(train::TrainConfig::fromJson(config)); }

TrainForm resolveTrainForm(const TrainForm& form) { return formOf(trainConfigOf(form)); }

TrainResult startTraining(const TrainForm& form, const std::string& runDir, JobSink& sink, const StopToken& stop,
                          const PauseGate* pause) {
    return startTraining(trainConfigOf(form), runDir, sink, stop, pause);
}

TrainResult startTrainingProcesses(const TrainForm& form, const std::string& runDir, const TrainingProcesses& processes,
                                   JobSink& sink, const StopToken& stop) {
    return startTrainingProcesses(trainConfigOf(form), runDir, processes, sink, stop);
}

}  // namespace ds::api
