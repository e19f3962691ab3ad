// SPDX-License-Identifier: GPL-3.0-or-later
// The network a flow model learns its velocity field with, built from a FlowNetworkConfig:
// g4vrel/CFM's U-Net (raw t in [0, 1]), torchcfm's UNetModel (OpenAI guided-diffusion's; raw t
// too), or lucidrains' denoising-diffusion U-Net as a continuous-time backbone. lucidrains'
// sinusoidal time embedding is built for timesteps 0..1000 (its frequencies span periods up to
// 10,000), so it sees t x 1000: the same embedding a diffusion model's timestep would get.
#pragma once
#include "core/flow/flow_network_config.h"
#include "core/flow/flow_unet.h"
#include "core/nn/openai_unet.h"
#include "core/nn/unet.h"

#include <torch/torch.h>

#include <memory>
#include <variant>

namespace ds::flow {

class VelocityNetwork {
public:
    static constexpr double kLucidrainsTimeScale = 1000.0;

    VelocityNetwork() = default;
    // A freshly initialised network (torch's RNG) of the described backbone. Throws ds::Error for
    // inconsistent options (e.g. a group count that does not divide a level's channels).
    explicit VelocityNetwork(const FlowNetworkConfig& config);
    explicit VelocityNetwork(FlowUnet unet) : net_(std::move(unet)) {}
    explicit VelocityNetwork(nn::Unet lucidrains) : net_(std::move(lucidrains)) {}
    explicit VelocityNetwork(nn::OpenAiUnet torchcfm) : net_(std::move(torchcfm)) {}

    // v(x, t[, y]): x (B, C, H, W), t (B) in [0, 1], y (B) int64 labels of a class-conditional
    // network (a label_emb: torchcfm's UNetModel with num_classes, or our conditional flows on
    // the other two), which needs them (ds::Error otherwise).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y = {}) const;
    int numClasses() const;
    // Classifier-free guidance of a network that learned a null class (row `nullClass` of its
    // class embedding): v = v(x, t, null) + W (v(x, t, y) - v(x, t, null)), both evaluated as one
    // batch of 2B; W = 1 is the conditional network alone (one evaluation of B).
    torch::Tensor guided(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y, int64_t nullClass,
                         double scale) const;
    std::shared_ptr<torch::nn::Module> module() const;
    Backbone backbone() const { return static_cast<Backbone>(net_.index()); }
    // g4vrel/CFM's U-Net, or an empty holder for the other backbones (sample metadata records its
    // GroupNorm group count).
    FlowUnet flowUnet() const;
    void to(const torch::Device& device);
    void train(bool on);
    void setChannelsLast(bool on);  // convolutions on NHWC activations (see nn::UnetImpl)

private:
    // The alternatives in Backbone's order.
    std::variant<FlowUnet, nn::Unet, nn::OpenAiUnet> net_{FlowUnet(nullptr)};
};

}  // namespace ds::flow
