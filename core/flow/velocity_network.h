// The network a flow model learns its velocity field with: the seed's g4vrel/CFM U-Net (raw t in
// [0, 1]), torchcfm's UNetModel (OpenAI guided-diffusion's; raw t too), or lucidrains'
// denoising-diffusion U-Net as a continuous-time backbone. lucidrains'
// sinusoidal time embedding is built for timesteps 0..1000 (its frequencies span periods up to
// 10,000), so it sees t x 1000: the same embedding a diffusion model's timestep would get.
#pragma once
#include "core/flow/flow_unet.h"
#include "core/nn/openai_unet.h"
#include "core/nn/unet.h"

#include <torch/torch.h>

#include <memory>
#include <string>

namespace ds::flow {

class VelocityNetwork {
public:
    static constexpr double kLucidrainsTimeScale = 1000.0;

    VelocityNetwork() = default;
    explicit VelocityNetwork(FlowUnet seed);
    explicit VelocityNetwork(nn::Unet lucidrains);
    explicit VelocityNetwork(nn::OpenAiUnet torchcfm);

    // v(x, t[, y]): x (B, C, H, W), t (B) in [0, 1], y (B) int64 labels of a class-conditional
    // network (torchcfm's UNetModel with num_classes), which needs them (ds::Error otherwise).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y = {}) const;
    int numClasses() const { return torchcfm_ ? torchcfm_->config().numClasses : 0; }
    std::shared_ptr<torch::nn::Module> module() const;
    std::string backbone() const { return seed_ ? "cfm" : torchcfm_ ? "torchcfm" : "lucidrains"; }
    // The seed's U-Net, or nullptr (for its GroupNorm group count in sample metadata).
    const FlowUnet& seedUnet() const { return seed_; }
    void to(const torch::Device& device);
    void train(bool on);
    void setChannelsLast(bool on);  // convolutions on NHWC activations (see nn::UnetImpl)

private:
    FlowUnet seed_{nullptr};
    nn::Unet lucidrains_{nullptr};
    nn::OpenAiUnet torchcfm_{nullptr};
};

}  // namespace ds::flow
