// SPDX-License-Identifier: GPL-3.0-or-later
// The Train page's form and the run configuration it stands for.
#include "core/api/train_form.h"

#include "core/jobs/train_jobs.h"

namespace ds::api {

namespace {

TrainForm formOf(const train::TrainConfig& c) {
    TrainForm f;
    f.base = c.toJson();
    f.family = c.family;
    f.timesteps = c.diffusion.timesteps;
    f.preset = c.preset;
    f.data = c.data;
    f.flowPath = c.flow.path;
    f.imageSize = c.imageSize();
    f.channels = c.channels();
    f.width = c.isFlow() ? c.flow.network.width() : c.unet.dim;
    f.stages = c.isFlow() ? c.flow.network.stages() : c.unet.dimMults;
    f.steps = c.steps;
    f.batchSize = c.batchSize;
    f.processes = c.worldSize;
    f.lr = c.lr.lr;
    f.lrSchedule = c.lr.kind;
    f.warmupSteps = c.lr.warmupSteps;
    f.emaDecay = c.ema.beta;
    f.sampleEvery = c.sampleEvery;
    f.sampleCount = c.sampleCount;
    f.sampleSampler = c.sampleSampler;
    f.sampleSteps = c.sampleSteps;
    f.saveEvery = c.saveEvery;
    f.seed = c.seed;
    f.fidEvery = c.fid.every;
    f.fidSamples = c.fid.samples;
    f.fidReference = c.fid.reference;
    f.fidFeatures = c.fid.features;
    return f;
}

}  // namespace

train::TrainConfig trainConfigOf(const TrainForm& f) {
    auto c = train::TrainConfig::fromJson(f.base);
    c.preset = f.preset;
    c.data = f.data;
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
    c.steps = f.steps;
    c.batchSize = f.batchSize;
    c.worldSize = f.processes;
    c.lr.lr = f.lr;
    c.lr.kind = f.lrSchedule;
    c.lr.warmupSteps = f.warmupSteps;
    c.ema.beta = f.emaDecay;
    c.sampleEvery = f.sampleEvery;
    c.sampleCount = f.sampleCount;
    c.sampleSteps = f.sampleSteps;
    c.saveEvery = f.saveEvery;
    c.seed = f.seed;
    c.fid.every = f.fidEvery;
    c.fid.samples = f.fidSamples;
    c.fid.reference = f.fidReference;
    c.fid.features = f.fidFeatures;
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
