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
    if (const auto* torchcfm = std::get_if<nn::OpenAiUnet>(&net_)) return torchcfm->ptr()->forward(x, t, y);
    if (y.defined())
        throw Error(std::string("the ") + backboneName(backbone()) +
                    " flow network is not class-conditional: it takes no labels");
    if (const auto* unet = std::get_if<FlowUnet>(&net_)) return unet->ptr()->forward(x, t);
    return std::get<nn::Unet>(net_).ptr()->forward(x, t * kLucidrainsTimeScale);
}

int VelocityNetwork::numClasses() const {
    const auto* torchcfm = std::get_if<nn::OpenAiUnet>(&net_);
    return torchcfm && *torchcfm ? (*torchcfm)->config().numClasses : 0;
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
