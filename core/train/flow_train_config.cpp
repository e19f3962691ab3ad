// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/flow_train_config.h"

#include "core/flow/ode_solver.h"
#include "core/flow/probability_path.h"
#include "core/train/train_config.h"
#include "core/util/error.h"

namespace ds::train {

flow::FlowNetworkConfig FlowTrainConfig::startingNetwork(flow::Backbone backbone, int channels) {
    flow::FlowNetworkConfig network;
    if (backbone == flow::Backbone::Lucidrains) {
        network = TrainConfig::fromPreset("tiny").unet;
    } else if (backbone == flow::Backbone::TorchCfm) {
        nn::OpenAiUnetConfig c;
        c.modelChannels = 32;
        c.channelMult = {1, 2, 2};
        c.numResBlocks = 1;
        c.attentionDs = {2};
        c.numHeadChannels = 32;
        network = c;
    }
    network.setChannels(channels);
    return network;
}

void FlowTrainConfig::validate() const {
    network.validate();
    flow::ProbabilityPath::make(path, sigma);  // throws for unknown names and bad sigma
    flow::parseOdeMethod(previewSolver);
    if (imageSize < 1 || imageSize % network.downsampleFactor() != 0)
        throw Error("image size " + std::to_string(imageSize) + " is not a positive multiple of " +
                    std::to_string(network.downsampleFactor()) + " (the U-Net halves it at each level)");
}

nlohmann::json FlowTrainConfig::toJson() const {
    nlohmann::json j{{"backbone", network.name()},
                     {"path", path},
                     {"sigma", sigma},
                     {"image_size", imageSize},
                     {"preview_solver", previewSolver}};
    j[network.jsonKey()] = network.optionsJson();
    return j;
}

FlowTrainConfig FlowTrainConfig::fromJson(const nlohmann::json& j) {
    FlowTrainConfig c;
    c.network = flow::FlowNetworkConfig::fromJson(j);
    c.path = j.value("path", c.path);
    c.sigma = j.value("sigma", c.sigma);
    c.imageSize = j.value("image_size", c.imageSize);
    c.previewSolver = j.value("preview_solver", c.previewSolver);
    return c;
}

}  // namespace ds::train
