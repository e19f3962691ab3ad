// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/features/feature_classifier.h"

#include "core/util/error.h"

namespace ds::features {

int ClassifierConfig::finalSide() const {
    int side = inputSize;
    for (size_t i = 0; i < widths.size(); ++i) side /= 2;  // MaxPool2d(2) floors
    return side;
}

void ClassifierConfig::validate() const {
    if (inputSize < 2 || inputSize > 1024)
        throw Error("classifier input size " + std::to_string(inputSize) + " out of range");
    if (inputChannels != 1 && inputChannels != 3) throw Error("classifier input channels must be 1 or 3");
    if (widths.empty() || widths.size() > 8) throw Error("the classifier needs 1 to 8 convolution blocks");
    for (const int w : widths)
        if (w < 1 || w > 4096) throw Error("classifier block width " + std::to_string(w) + " out of range");
    if (finalSide() < 1)
        throw Error(std::to_string(widths.size()) + " pooling blocks leave nothing of a " + std::to_string(inputSize) +
                    "-pixel input");
    if (featureDim < 2 || featureDim > 65536)
        throw Error("classifier feature dimension " + std::to_string(featureDim) + " out of range");
    if (classes < 2) throw Error("a classifier needs at least two classes");
    if (!(dropout >= 0.0 && dropout < 1.0)) throw Error("classifier dropout must be in [0, 1)");
    if (!(inputStd > 0.0)) throw Error("classifier input std must be positive");
}

nlohmann::json ClassifierConfig::toJson() const {
    return {{"input_size", inputSize}, {"input_channels", inputChannels},
            {"widths", widths},        {"feature_dim", featureDim},
            {"classes", classes},      {"dropout", dropout},
            {"input_mean", inputMean}, {"input_std", inputStd}};
}

ClassifierConfig ClassifierConfig::fromJson(const nlohmann::json& j) {
    ClassifierConfig c;
    try {
        c.inputSize = j.at("input_size").get<int>();
        c.inputChannels = j.at("input_channels").get<int>();
        c.widths = j.at("widths").get<std::vector<int>>();
        c.featureDim = j.at("feature_dim").get<int>();
        c.classes = j.at("classes").get<int>();
        c.dropout = j.at("dropout").get<double>();
        c.inputMean = j.at("input_mean").get<double>();
        c.inputStd = j.at("input_std").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("bad classifier architecture: ") + e.what());
    }
    c.validate();
    return c;
}

std::string ClassifierConfig::describe() const {
    std::string text = "input: " + std::to_string(inputChannels) + "x" + std::to_string(inputSize) + "x" +
                       std::to_string(inputSize) + " " + (inputChannels == 1 ? "gray" : "RGB") +
                       ", pixel/255, normalised inside as (x - " + c10::str(inputMean) + ") / " + c10::str(inputStd) +
                       "\n";
    int in = inputChannels;
    int side = inputSize;
    for (size_t i = 0; i < widths.size(); ++i) {
        const int first = int(i) * 4;
        side /= 2;
        text += "blocks." + std::to_string(first) + "-" + std::to_string(first + 3) + ": Conv2d(" + std::to_string(in) +
                ", " + std::to_string(widths[i]) + ", 3x3, padding 1, no bias), MaxPool2d(2), BatchNorm2d(" +
                std::to_string(widths[i]) + "), ReLU -> " + std::to_string(widths[i]) + "x" + std::to_string(side) +
                "x" + std::to_string(side) + "\n";
        in = widths[i];
    }
    const int flat = in * side * side;
    text += "embed: Flatten, Linear(" + std::to_string(flat) + ", " + std::to_string(featureDim) + "), ReLU -> the " +
            std::to_string(featureDim) + "-d features\n";
    text += "head: Dropout(" + c10::str(dropout) + "), Linear(" + std::to_string(featureDim) + ", " +
            std::to_string(classes) + ") -> class logits\n";
    return text;
}

FeatureClassifierImpl::FeatureClassifierImpl(ClassifierConfig config) : config_(std::move(config)) {
    config_.validate();
    namespace nn = torch::nn;
    blocks = nn::Sequential();
    int in = config_.inputChannels;
    for (const int width : config_.widths) {
        blocks->push_back(nn::Conv2d(nn::Conv2dOptions(in, width, 3).padding(1).bias(false)));
        blocks->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
        blocks->push_back(nn::BatchNorm2d(width));
        blocks->push_back(nn::ReLU());
        in = width;
    }
    const int side = config_.finalSide();
    embed = nn::Sequential(nn::Flatten(), nn::Linear(in * side * side, config_.featureDim), nn::ReLU());
    head = nn::Sequential(nn::Dropout(config_.dropout), nn::Linear(config_.featureDim, config_.classes));
    register_module("blocks", blocks);
    register_module("embed", embed);
    register_module("head", head);
}

torch::Tensor FeatureClassifierImpl::features(const torch::Tensor& images) {
    const auto x = (images - config_.inputMean) / config_.inputStd;
    return embed->forward(blocks->forward(x));
}

torch::Tensor FeatureClassifierImpl::logits(const torch::Tensor& features) { return head->forward(features); }

int64_t FeatureClassifierImpl::parameterCount() const {
    int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

}  // namespace ds::features
