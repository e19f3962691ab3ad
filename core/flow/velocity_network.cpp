#include "core/flow/velocity_network.h"

#include "core/util/error.h"

namespace ds::flow {

VelocityNetwork::VelocityNetwork(FlowUnet seed) : seed_(std::move(seed)) {}
VelocityNetwork::VelocityNetwork(nn::Unet lucidrains) : lucidrains_(std::move(lucidrains)) {}
VelocityNetwork::VelocityNetwork(nn::OpenAiUnet torchcfm) : torchcfm_(std::move(torchcfm)) {}

torch::Tensor VelocityNetwork::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) const {
    if (torchcfm_) return torchcfm_.ptr()->forward(x, t, y);
    if (y.defined()) throw Error("the " + backbone() + " flow network is not class-conditional: it takes no labels");
    if (seed_) return seed_.ptr()->forward(x, t);
    return lucidrains_.ptr()->forward(x, t * kLucidrainsTimeScale);
}

std::shared_ptr<torch::nn::Module> VelocityNetwork::module() const {
    if (seed_) return seed_.ptr();
    if (torchcfm_) return torchcfm_.ptr();
    return lucidrains_.ptr();
}

void VelocityNetwork::to(const torch::Device& device) { module()->to(device); }
void VelocityNetwork::train(bool on) { module()->train(on); }

void VelocityNetwork::setChannelsLast(bool on) {
    if (seed_) seed_->setChannelsLast(on);
    else if (torchcfm_) torchcfm_->setChannelsLast(on);
    else lucidrains_->setChannelsLast(on);
}

}  // namespace ds::flow
