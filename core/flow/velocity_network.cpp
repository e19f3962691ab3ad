// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/flow/velocity_network.h"

#include "core/util/error.h"

namespace ds::flow {

namespace {

std::variant<FlowUnet, nn::Unet, nn::OpenAiUnet> makeModule(const FlowNetworkConfig& config) {
    if (const auto* c = config.as<nn::UnetConfig>()) return nn::Unet(*c);
    if (const auto* c = config.as<nn::OpenAiUnetConfig>()) return nn::OpenAiUnet(*c);
    return FlowUnet(*config.as<FlowUnetConfig>());
}

}  // namespace

VelocityNetwork::VelocityNetwork(const FlowNetworkConfig& config) : net_(makeModule(config)) {}

torch::Tensor VelocityNetwork::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) const {
    if (y.defined() != (numClasses() > 0))
        throw Error(std::string("the ") + backboneName(backbone()) + " flow network is " +
                    (y.defined() ? "not class-conditional: it takes no labels"
                                 : "class-conditional: it needs a label per image"));
    if (const auto* torchcfm = std::get_if<nn::OpenAiUnet>(&net_)) return torchcfm->ptr()->forward(x, t, y);
    if (const auto* unet = std::get_if<FlowUnet>(&net_)) return unet->ptr()->forward(x, t, y);
    return std::get<nn::Unet>(net_).ptr()->forward(x, t * kLucidrainsTimeScale, std::nullopt, y);
}

torch::Tensor VelocityNetwork::guided(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y,
                                      int64_t nullClass, double scale) const {
    if (scale == 1.0) return forward(x, t, y);
    if (nullClass < 0 || nullClass >= numClasses())
        throw Error("classifier-free guidance needs a network that learned a null class");
    const auto both = forward(torch::cat({x, x}), torch::cat({t, t}), torch::cat({y, torch::full_like(y, nullClass)}));
    const auto conditional = both.slice(0, 0, x.size(0)), unconditional = both.slice(0, x.size(0));
    return unconditional + scale * (conditional - unconditional);
}

int VelocityNetwork::numClasses() const {
    return std::visit([](const auto& holder) { return holder ? holder->config().numClasses : 0; }, net_);
}

std::shared_ptr<torch::nn::Module> VelocityNetwork::module() const {
    return std::visit([](const auto& holder) -> std::shared_ptr<torch::nn::Module> { return holder.ptr(); }, net_);
}

FlowUnet VelocityNetwork::flowUnet() const {
    const auto* unet = std::get_if<FlowUnet>(&net_);
    return unet ? *unet : FlowUnet(nullptr);
}

void VelocityNetwork::to(const torch::Device& device) { module()->to(device); }
void VelocityNetwork::train(bool on) { module()->train(on); }

void VelocityNetwork::setChannelsLast(bool on) {
    std::visit([on](auto& holder) { holder->setChannelsLast(on); }, net_);
}

}  // namespace ds::flow
