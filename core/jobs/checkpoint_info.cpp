#include "core/api/checkpoint_info.h"

#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/util/sha256.h"

#include <sstream>

namespace ds::api {

std::string CheckpointInfo::toText() const {
    std::ostringstream os;
    os << "file:         " << path << "\n"
       << "kind:         " << kind << "\n"
       << "version:      " << (version.empty() ? "(not recorded)" : version) << "\n"
       << "step:         " << (step >= 0 ? std::to_string(step) : "(not recorded)") << "\n"
       << "architecture: " << architecture << "\n"
       << "parameters:   " << parameterCount << "\n"
       << "weights:      ";
    for (size_t i = 0; i < weights.size(); ++i) os << (i ? ", " : "") << weights[i];
    os << "\n"
       << "image size:   " << (imageSize > 0 ? std::to_string(imageSize) : "(not recorded: pass --image-size)") << "\n"
       << "diffusion:    " << timesteps << " timesteps, " << betaSchedule << " schedule, objective " << objective << "\n"
       << "sha256:       " << sha256 << "\n";
    return os.str();
}

CheckpointInfo inspectCheckpoint(const std::string& path) {
    const auto ck = checkpoint::readDiffusionCheckpoint(path);
    CheckpointInfo info;
    info.path = path;
    info.kind = ck.format == "lucidrains" ? "lucidrains GaussianDiffusion (Trainer checkpoint)"
                                          : "Diffusion Studio GaussianDiffusion";
    info.version = ck.version;
    info.architecture = ck.unet.summary();
    info.parameterCount = ck.parameterCount();
    info.step = ck.step;
    info.weights.push_back("online");
    if (ck.hasEma()) info.weights.push_back("ema");
    info.imageSize = ck.imageSizeKnown ? ck.diffusion.imageSize : 0;
    info.timesteps = ck.diffusion.timesteps;
    info.objective = ck.diffusion.objective;
    info.betaSchedule = ck.diffusion.betaSchedule;
    info.sha256 = sha256File(path);
    info.details = {{"path", path},
                    {"format", ck.format},
                    {"kind", info.kind},
                    {"version", ck.version},
                    {"step", ck.step},
                    {"parameters", info.parameterCount},
                    {"weights", info.weights},
                    {"image_size", info.imageSize > 0 ? nlohmann::json(info.imageSize) : nlohmann::json(nullptr)},
                    {"unet", ck.unet.toJson()},
                    {"diffusion", ck.diffusion.toJson()},
                    {"sha256", info.sha256}};
    return info;
}

}  // namespace ds::api
