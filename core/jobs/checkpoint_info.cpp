// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/checkpoint_info.h"

#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/checkpoint/flow_checkpoint.h"
#include "core/io/torch_file.h"
#include "core/util/sha256.h"

#include <sstream>

namespace ds::api {

// What the file does not record and the sampler needs from the user.
std::string CheckpointInfo::flowNote() const {
    if (details.value("backbone", "") == "torchcfm")
        return "; attention heads and order not recorded (--heads or --head-channels, --attention-order; default: "
               "torchcfm's CIFAR-10 recipe, 64 channels per head, legacy order)";
    return details.value("groups_recorded", false) ? "" : "; GroupNorm groups not recorded (--groups, default 32)";
}

std::vector<std::string> CheckpointInfo::weightNames() const {
    std::vector<std::string> names;
    for (const auto w : weights) names.push_back(weightsName(w));
    return names;
}

std::string CheckpointInfo::toText() const {
    std::ostringstream os;
    os << "file:         " << path << "\n"
       << "kind:         " << kind << "\n"
       << "version:      " << (version.empty() ? "(not recorded)" : version) << "\n"
       << "step:         " << (step >= 0 ? std::to_string(step) : "(not recorded)") << "\n"
       << "architecture: " << architecture << "\n"
       << "parameters:   " << parameterCount << "\n"
       << "weights:      ";
    for (size_t i = 0; i < weights.size(); ++i) os << (i ? ", " : "") << weightsName(weights[i]);
    os << "\n"
       << "image size:   " << (imageSize > 0 ? std::to_string(imageSize) : "(not recorded: pass --image-size)") << "\n";
    if (family == ModelFamily::Flow)
        os << "flow:         velocity field v(x, t), t from 0 (noise) to 1 (data); sample with --solver" << flowNote()
           << "\n";
    else
        os << "diffusion:    " << timesteps << " timesteps, " << betaSchedule << " schedule, objective " << objective
           << "\n";
    if (numClasses > 0) {
        os << "classes:      " << numClasses
           << " (sample with --class, --classes or --class-name; guidance --cond-scale)";
        if (!classNames.empty()) {
            os << ":";
            for (size_t i = 0; i < classNames.size(); ++i) os << (i ? ", " : " ") << i << " " << classNames[i];
        }
        os << "\n";
    }
    for (const auto& note : notes) os << "note:         " << note << "\n";
    os << "sha256:       " << sha256 << "\n";
    return os.str();
}

namespace {

CheckpointInfo describeFlow(const checkpoint::FlowCheckpoint& ck) {
    CheckpointInfo info;
    info.path = ck.path;
    info.family = ModelFamily::Flow;
    using Format = checkpoint::FlowCheckpoint::Format;
    info.kind = ck.format == Format::G4vrelCfm  ? "g4vrel/CFM flow-matching U-Net (its make_checkpoint)"
                : ck.format == Format::TorchCfm ? "torchcfm UNetModel (its image examples' net_model / ema_model)"
                : ck.network.backbone() == flow::Backbone::Lucidrains
                    ? "Diffusion Studio flow matching on the lucidrains Unet"
                    : "Diffusion Studio flow-matching U-Net";
    if (ck.numClasses() > 0)
        info.kind += ck.hasNullClass ? ", class-conditional (a null class: classifier-free guidance)"
                                     : ", class-conditional (no null class: guidance scale 1)";
    info.numClasses = ck.numClasses();
    info.classNames = ck.classNames;
    info.architecture = ck.network.summary();
    info.parameterCount = ck.parameterCount();
    info.step = ck.step;
    if (!ck.online.empty()) info.weights.push_back(Weights::Online);
    if (ck.hasEma()) info.weights.push_back(Weights::Ema);
    info.imageSize = ck.imageSize;
    info.sha256 = sha256File(ck.path);
    info.details = {{"path", ck.path},
                    {"family", familyName(info.family)},
                    {"format", checkpoint::FlowCheckpoint::formatName(ck.format)},
                    {"kind", info.kind},
                    {"step", ck.step},
                    {"epoch", ck.epoch},
                    {"parameters", info.parameterCount},
                    {"weights", info.weightNames()},
                    {"ema_updates", ck.emaUpdates},
                    {"image_size", info.imageSize > 0 ? nlohmann::json(info.imageSize) : nlohmann::json(nullptr)},
                    {"backbone", ck.network.name()},
                    {"groups_recorded", ck.groupsRecorded},
                    {"num_classes", info.numClasses},
                    {"class_names", info.classNames},
                    {"conditioning", ck.hasNullClass       ? "classes (classifier-free guidance)"
                                     : ck.numClasses() > 0 ? "classes (no null class: guidance scale 1)"
                                                           : "none"},
                    {"sha256", info.sha256}};
    info.details.update(ck.networkJson());
    return info;
}

}  // namespace

ModelFamily checkpointFamily(const std::string& path) {
    return checkpoint::isFlowCheckpoint(*io::loadTorchFile(path)) ? ModelFamily::Flow : ModelFamily::Diffusion;
}

CheckpointClasses checkpointClasses(const std::string& path) {
    const auto root = io::loadTorchFile(path);
    if (checkpoint::isFlowCheckpoint(*root)) {
        const auto ck = checkpoint::readFlowCheckpoint(path, *root);
        return {ck.numClasses(), ck.classNames,
                ck.hasNullClass ? CheckpointClasses::Guidance::Scale : CheckpointClasses::Guidance::None};
    }
    const auto ck = checkpoint::readDiffusionCheckpoint(path, *root);
    return {ck.numClasses(), ck.classNames,
            ck.isConditional() ? CheckpointClasses::Guidance::Lucidrains : CheckpointClasses::Guidance::None};
}

CheckpointInfo inspectCheckpoint(const std::string& path) {
    const auto root = io::loadTorchFile(path);
    if (checkpoint::isFlowCheckpoint(*root)) return describeFlow(checkpoint::readFlowCheckpoint(path, *root));
    const auto ck = checkpoint::readDiffusionCheckpoint(path, *root);
    CheckpointInfo info;
    info.path = path;
    if (ck.format == checkpoint::DiffusionCheckpoint::Format::DiffusionStudio)
        info.kind = "Diffusion Studio GaussianDiffusion";
    else if (!ck.scheduleKnown) info.kind = "lucidrains classifier-free guidance Unet (bare state_dict)";
    else if (ck.step < 0 && !ck.hasEma()) info.kind = "lucidrains GaussianDiffusion (bare state_dict)";
    else info.kind = "lucidrains GaussianDiffusion (Trainer checkpoint)";
    if (ck.isConditional()) info.kind += ", class-conditional";
    info.version = ck.version;
    info.architecture = ck.architectureSummary();
    info.numClasses = ck.numClasses();
    info.classNames = ck.classNames;
    if (!ck.scheduleKnown)
        info.notes.push_back(
            "the file holds no schedule: lucidrains' defaults are assumed (1000 steps, cosine, "
            "pred_noise); --objective overrides the objective");
    info.parameterCount = ck.parameterCount();
    info.step = ck.step;
    info.weights.push_back(Weights::Online);
    if (ck.hasEma()) info.weights.push_back(Weights::Ema);
    info.imageSize = ck.imageSizeKnown ? ck.diffusion.imageSize : 0;
    info.timesteps = ck.diffusion.timesteps;
    info.objective = ck.diffusion.objective;
    info.betaSchedule = ck.diffusion.betaSchedule;
    info.sha256 = sha256File(path);
    info.details = {{"path", path},
                    {"family", familyName(info.family)},
                    {"format", checkpoint::DiffusionCheckpoint::formatName(ck.format)},
                    {"kind", info.kind},
                    {"version", ck.version},
                    {"step", ck.step},
                    {"parameters", info.parameterCount},
                    {"weights", info.weightNames()},
                    {"image_size", info.imageSize > 0 ? nlohmann::json(info.imageSize) : nlohmann::json(nullptr)},
                    {"unet", ck.cfgUnet ? ck.cfgUnet->toJson() : ck.unet.toJson()},
                    {"conditioning", ck.isConditional() ? "classes (classifier-free guidance)" : "none"},
                    {"num_classes", info.numClasses},
                    {"class_names", info.classNames},
                    {"schedule_recorded", ck.scheduleKnown},
                    {"diffusion", ck.diffusion.toJson()},
                    {"sha256", info.sha256}};
    return info;
}

}  // namespace ds::api
