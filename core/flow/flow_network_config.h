// SPDX-License-Identifier: GPL-3.0-or-later
// One description of a flow model's network: which of the three backbones it is and that
// backbone's options. The training configuration and the checkpoint both hold one; the network
// (flow::VelocityNetwork) is built from it. The backbone's name ("cfm", "lucidrains", "torchcfm")
// is spelled only at the edges: the command line, the JSON files and the Train page's form.
//  - cfm: g4vrel/CFM's U-Net (FlowUnet), the network of the flow-matching scripts this
//    program replaces;
//  - lucidrains: denoising-diffusion-pytorch's Unet with continuous t (see velocity_network.h);
//  - torchcfm: torchcfm's UNetModel (OpenAI guided-diffusion's).
// Torch-free: the Train page's request and the run configuration carry it.
#pragma once
#include "core/flow/flow_unet_config.h"
#include "core/nn/openai_unet_config.h"
#include "core/nn/unet_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

namespace ds::flow {

enum class Backbone { FlowUnet, Lucidrains, TorchCfm };

const char* backboneName(Backbone backbone);      // cfm | lucidrains | torchcfm
Backbone parseBackbone(const std::string& name);  // throws ds::Error naming the three

class FlowNetworkConfig {
public:
    FlowNetworkConfig() = default;  // g4vrel/CFM's U-Net with its defaults
    FlowNetworkConfig(FlowUnetConfig config) : options_(std::move(config)) {}
    FlowNetworkConfig(nn::UnetConfig config) : options_(std::move(config)) {}
    FlowNetworkConfig(nn::OpenAiUnetConfig config) : options_(std::move(config)) {}

    Backbone backbone() const { return static_cast<Backbone>(options_.index()); }
    const char* name() const { return backboneName(backbone()); }
    // The backbone's options, or nullptr when the network is another backbone.
    template <typename Options>
    const Options* as() const {
        return std::get_if<Options>(&options_);
    }
    template <typename Options>
    Options* as() {
        return std::get_if<Options>(&options_);
    }
    template <typename Visitor>
    decltype(auto) visit(Visitor&& visitor) const {
        return std::visit(std::forward<Visitor>(visitor), options_);
    }

    int channels() const;
    void setChannels(int channels);  // input and output: a velocity has the image's channels
    int downsampleFactor() const;    // image sizes must be multiples of it
    // Rows of the class embedding (label_emb: torchcfm's num_classes; what the other two
    // backbones get from us, see their configs); 0: unconditional.
    int numClasses() const;
    void setNumClasses(int classes);
    // The width and stage multipliers every backbone has (dim/dim_mults, ch/ch_mul,
    // model_channels/channel_mult): the form and --dim/--dim-mults set them. New levels of
    // g4vrel/CFM's U-Net get no attention.
    int width() const;
    std::vector<int> stages() const;
    void setShape(int width, const std::vector<int>& stages);
    // The options are consistent and the network predicts a velocity (as many output channels as
    // input, no self-conditioning or learned variance). Throws ds::Error.
    void validate() const;
    std::string summary() const;  // one line, the upstream constructor's arguments

    // The run configuration's flow section spells the options under a key of their own.
    const char* jsonKey() const;  // unet | lucidrains_unet | torchcfm_unet
    nlohmann::json optionsJson() const;
    // From a run configuration's flow section: its "backbone" (default cfm) and the options' key.
    static FlowNetworkConfig fromJson(const nlohmann::json& flowSection);

private:
    std::variant<FlowUnetConfig, nn::UnetConfig, nn::OpenAiUnetConfig> options_;
};

}  // namespace ds::flow
