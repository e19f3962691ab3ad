#include "core/train/flow_train_config.h"

#include "core/flow/ode_solver.h"
#include "core/flow/probability_path.h"
#include "core/util/error.h"

namespace ds::train {

namespace {

bool isLucidrains(const std::string& backbone) { return backbone == "lucidrains"; }
bool isTorchCfm(const std::string& backbone) { return backbone == "torchcfm"; }

}  // namespace

int FlowTrainConfig::channels() const {
    return isLucidrains(backbone) ? lucidrains.channels : isTorchCfm(backbone) ? torchcfm.inChannels : unet.channels;
}

void FlowTrainConfig::setChannels(int channels) {
    if (isLucidrains(backbone)) {
        lucidrains.channels = channels;
    } else if (isTorchCfm(backbone)) {
        torchcfm.inChannels = channels;
        torchcfm.outChannels = channels;
    } else {
        unet.channels = channels;
    }
}

int FlowTrainConfig::downsampleFactor() const {
    return isLucidrains(backbone)  ? lucidrains.downsampleFactor()
           : isTorchCfm(backbone) ? torchcfm.downsampleFactor()
                                  : unet.downsampleFactor();
}

nn::OpenAiUnetConfig FlowTrainConfig::smallTorchCfmUnet(int channels) {
    nn::OpenAiUnetConfig c;
    c.inChannels = c.outChannels = channels;
    c.modelChannels = 32;
    c.channelMult = {1, 2, 2};
    c.numResBlocks = 1;
    c.attentionDs = {2};
    c.numHeadChannels = 32;
    return c;
}

void FlowTrainConfig::validate() const {
    if (backbone != "cfm" && !isLucidrains(backbone) && !isTorchCfm(backbone))
        throw Error("unknown flow backbone '" + backbone + "' (expected cfm, lucidrains or torchcfm)");
    if (isTorchCfm(backbone)) {
        torchcfm.validate();
        if (torchcfm.outChannels != torchcfm.inChannels)
            throw Error("the torchcfm backbone of a flow predicts a velocity: out_channels must equal in_channels");
    } else if (isLucidrains(backbone)) {
        lucidrains.resolved();  // throws when inconsistent
        if (lucidrains.selfCondition || lucidrains.learnedVariance)
            throw Error("the lucidrains backbone of a flow predicts a velocity: no self-conditioning or learned variance");
    } else {
        unet.validate();
    }
    flow::ProbabilityPath::make(path, sigma);  // throws for unknown names and bad sigma
    flow::parseOdeMethod(previewSolver);
    if (imageSize < 1 || imageSize % downsampleFactor() != 0)
        throw Error("image size " + std::to_string(imageSize) + " is not a positive multiple of " +
                    std::to_string(downsampleFactor()) + " (the U-Net halves it at each level)");
}

nlohmann::json FlowTrainConfig::toJson() const {
    nlohmann::json j{{"backbone", backbone}, {"path", path}, {"sigma", sigma}, {"image_size", imageSize},
                     {"preview_solver", previewSolver}};
    if (isLucidrains(backbone)) j["lucidrains_unet"] = lucidrains.toJson();
    else if (isTorchCfm(backbone)) j["torchcfm_unet"] = torchcfm.toJson();
    else j["unet"] = unet.toJson();
    return j;
}

FlowTrainConfig FlowTrainConfig::fromJson(const nlohmann::json& j) {
    FlowTrainConfig c;
    c.backbone = j.value("backbone", c.backbone);
    if (isLucidrains(c.backbone)) c.lucidrains = nn::UnetConfig::fromJson(j.at("lucidrains_unet"));
    else if (isTorchCfm(c.backbone)) c.torchcfm = nn::OpenAiUnetConfig::fromJson(j.at("torchcfm_unet"));
    else c.unet = flow::FlowUnetConfig::fromJson(j.at("unet"));
    c.path = j.value("path", c.path);
    c.sigma = j.value("sigma", c.sigma);
    c.imageSize = j.value("image_size", c.imageSize);
    c.previewSolver = j.value("preview_solver", c.previewSolver);
    return c;
}

}  // namespace ds::train
