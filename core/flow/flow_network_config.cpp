// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/flow_network_config.h"

#include "core/util/error.h"

#include <cmath>

namespace ds::flow {

namespace {

// std::visit with one lambda per alternative.
template <typename... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

const char* backboneName(Backbone backbone) {
    switch (backbone) {
    case Backbone::FlowUnet: return "cfm";
    case Backbone::Lucidrains: return "lucidrains";
    case Backbone::TorchCfm: return "torchcfm";
    }
    return "?";
}

Backbone parseBackbone(const std::string& name) {
    for (auto b : {Backbone::FlowUnet, Backbone::Lucidrains, Backbone::TorchCfm})
        if (name == backboneName(b)) return b;
    throw Error("unknown flow backbone '" + name + "' (expected cfm, lucidrains or torchcfm)");
}

int FlowNetworkConfig::channels() const {
    return visit(Overloaded{[](const FlowUnetConfig& c) { return c.channels; },
                            [](const nn::UnetConfig& c) { return c.channels; },
                            [](const nn::OpenAiUnetConfig& c) { return c.inChannels; }});
}

void FlowNetworkConfig::setChannels(int channels) {
    std::visit(
        Overloaded{[&](FlowUnetConfig& c) { c.channels = channels; }, [&](nn::UnetConfig& c) { c.channels = channels; },
                   [&](nn::OpenAiUnetConfig& c) { c.inChannels = c.outChannels = channels; }},
        options_);
}

int FlowNetworkConfig::downsampleFactor() const {
    return visit([](const auto& c) { return c.downsampleFactor(); });
}

int FlowNetworkConfig::numClasses() const {
    return visit([](const auto& c) { return c.numClasses; });
}

void FlowNetworkConfig::setNumClasses(int classes) {
    std::visit([classes](auto& c) { c.numClasses = classes; }, options_);
}

int FlowNetworkConfig::width() const {
    return visit(Overloaded{[](const FlowUnetConfig& c) { return c.ch; }, [](const nn::UnetConfig& c) { return c.dim; },
                            [](const nn::OpenAiUnetConfig& c) { return c.modelChannels; }});
}

std::vector<int> FlowNetworkConfig::stages() const {
    return visit(Overloaded{[](const FlowUnetConfig& c) { return c.chMul; },
                            [](const nn::UnetConfig& c) { return c.dimMults; },
                            [](const nn::OpenAiUnetConfig& c) {
                                // whole numbers but for torchcfm's 512 px recipe (0.5)
                                std::vector<int> stages;
                                for (double m : c.channelMult) stages.push_back(static_cast<int>(std::lround(m)));
                                return stages;
                            }});
}

void FlowNetworkConfig::setShape(int width, const std::vector<int>& stages) {
    std::visit(Overloaded{[&](FlowUnetConfig& c) {
                              c.ch = width;
                              c.chMul = stages;
                              c.attChannels.resize(stages.size(), 0);  // one attention flag per level
                          },
                          [&](nn::UnetConfig& c) {
                              c.dim = width;
                              c.dimMults = stages;
                          },
                          [&](nn::OpenAiUnetConfig& c) {
                              c.modelChannels = width;
                              c.channelMult.assign(stages.begin(), stages.end());
                          }},
               options_);
}

void FlowNetworkConfig::validate() const {
    visit(Overloaded{[](const FlowUnetConfig& c) { c.validate(); },
                     [](const nn::UnetConfig& c) {
                         c.resolved();  // throws when inconsistent
                         if (c.selfCondition || c.learnedVariance)
                             throw Error(
                                 "the lucidrains backbone of a flow predicts a velocity: no self-conditioning or "
                                 "learned variance");
                     },
                     [](const nn::OpenAiUnetConfig& c) {
                         c.validate();
                         if (c.outChannels != c.inChannels)
                             throw Error(
                                 "the torchcfm backbone of a flow predicts a velocity: out_channels must equal "
                                 "in_channels");
                     }});
}

std::string FlowNetworkConfig::summary() const {
    return visit([](const auto& c) { return c.summary(); });
}

const char* FlowNetworkConfig::jsonKey() const {
    switch (backbone()) {
    case Backbone::FlowUnet: return "unet";
    case Backbone::Lucidrains: return "lucidrains_unet";
    case Backbone::TorchCfm: return "torchcfm_unet";
    }
    return "?";
}

nlohmann::json FlowNetworkConfig::optionsJson() const {
    return visit([](const auto& c) { return c.toJson(); });
}

FlowNetworkConfig FlowNetworkConfig::fromJson(const nlohmann::json& flowSection) {
    switch (parseBackbone(flowSection.value("backbone", std::string("cfm")))) {
    case Backbone::FlowUnet: return FlowUnetConfig::fromJson(flowSection.at("unet"));
    case Backbone::Lucidrains: return nn::UnetConfig::fromJson(flowSection.at("lucidrains_unet"));
    case Backbone::TorchCfm: return nn::OpenAiUnetConfig::fromJson(flowSection.at("torchcfm_unet"));
    }
    return {};
}

}  // namespace ds::flow
