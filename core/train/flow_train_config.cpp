#include "core/train/flow_train_config.h"

#include "core/flow/ode_solver.h"
#include "core/flow/probability_path.h"
#include "core/util/error.h"

namespace ds::train {

void FlowTrainConfig::validate() const {
    unet.validate();
    flow::ProbabilityPath::make(path, sigma);  // throws for unknown names and bad sigma
    flow::parseOdeMethod(previewSolver);
    if (imageSize < 1 || imageSize % unet.downsampleFactor() != 0)
        throw Error("image size " + std::to_string(imageSize) + " is not a positive multiple of " +
                    std::to_string(unet.downsampleFactor()) + " (ch_mul has " + std::to_string(unet.numLevels()) + " levels)");
}

nlohmann::json FlowTrainConfig::toJson() const {
    return {{"unet", unet.toJson()}, {"path", path}, {"sigma", sigma}, {"image_size", imageSize},
            {"preview_solver", previewSolver}};
}

FlowTrainConfig FlowTrainConfig::fromJson(const nlohmann::json& j) {
    FlowTrainConfig c;
    c.unet = flow::FlowUnetConfig::fromJson(j.at("unet"));
    c.path = j.value("path", c.path);
    c.sigma = j.value("sigma", c.sigma);
    c.imageSize = j.value("image_size", c.imageSize);
    c.previewSolver = j.value("preview_solver", c.previewSolver);
    return c;
}

}  // namespace ds::train
