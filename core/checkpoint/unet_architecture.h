// SPDX-License-Identifier: GPL-3.0-or-later
// Reads a lucidrains Unet's constructor options off its state_dict's tensor shapes, so that
// a model-N.pt opens with no architecture flags.
#pragma once
#include "core/checkpoint/state_dict.h"
#include "core/nn/unet_config.h"

namespace ds::checkpoint {

// `unet` holds the Unet's own keys (no "model." prefix). Throws ds::Error when the keys are
// not those of a denoising_diffusion_pytorch 2.x Unet; a 1.x-era layout (GroupNorm blocks,
// fn.fn. wrappers, no memory key/values) is named as such.
nn::UnetConfig inferUnetConfig(const StateDict& unet);

// True when the keys look like a 1.x-era lucidrains Unet.
bool looksLikeLegacyLucidrainsUnet(const StateDict& unet);

}  // namespace ds::checkpoint
