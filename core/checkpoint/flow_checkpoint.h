// SPDX-License-Identifier: GPL-3.0-or-later
// Opening flow-matching checkpoints of g4vrel/CFM (`make_checkpoint`:
// {epoch, step, model_state_dict, optim_state_dict, ema_model_state_dict, scaler_state_dict},
// the EMA from torch.optim.swa_utils.AveragedModel: `n_averaged` plus `module.`-prefixed keys;
// a torch.compile'd model adds `_orig_mod.`) and ours (the same layout plus `config`, our run
// configuration with the U-Net's options under flow.unet, and `ema_state`).
// The U-Net's options are read from the tensor shapes; GroupNorm's group count cannot be, so
// it comes from our `config` or the caller (--groups, default 32 as in g4vrel/CFM). Our flows with
// the lucidrains backbone (config flow.backbone) record its Unet options in the config.
// torchcfm's image examples save {net_model, ema_model, step[, optim, sched]} (train_cifar10.py;
// "module." keys from DDP) of OpenAI's UNetModel: everything but its attention heads and
// attention order is read from the shapes; those two come from the caller (FlowBuildOptions).
#pragma once
#include "core/api/model_choices.h"
#include "core/checkpoint/state_dict.h"
#include "core/flow/velocity_network.h"
#include "core/io/py_value.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ds::checkpoint {

struct FlowCheckpoint {
    // Who wrote the file: g4vrel/CFM's make_checkpoint, torchcfm's image examples, or our trainer.
    enum class Format { G4vrelCfm, TorchCfm, DiffusionStudio };
    // `info`'s "format": "cfm-seed" (the name files reported before; g4vrel/CFM's), "torchcfm",
    // "diffusion-studio".
    static const char* formatName(Format f);

    std::string path;
    Format format = Format::G4vrelCfm;
    int64_t step = -1;  // -1 when absent
    int64_t epoch = -1;
    StateDict online;         // U-Net keys without wrapper prefixes
    StateDict ema;            // the same keys (empty when absent)
    int64_t emaUpdates = -1;  // AveragedModel's n_averaged (-1 when absent)
    // cfm: inferred from the shapes, groups recorded (ours) or 32; lucidrains: as recorded;
    // torchcfm: inferred, heads and attention order as recorded (ours) or at their defaults.
    flow::FlowNetworkConfig network;
    bool groupsRecorded = false;  // our files record the group count; g4vrel/CFM's do not
    int imageSize = 0;            // the training image size (ours), 0 when not recorded (g4vrel/CFM's)
    nlohmann::json runConfig;     // our `config` entry (null for g4vrel/CFM's files)

    bool hasEma() const { return !ema.empty(); }
    // Class-conditional: torchcfm's UNetModel with num_classes (label_emb), or our conditional
    // flows, whose label_emb has one row more, the null class (last); 0: unconditional.
    int numClasses() const { return network.numClasses() - (hasNullClass ? 1 : 0); }
    // Our conditional runs learn a null class (label dropout), so they can be guided;
    // torchcfm's examples train every sample with its label: no null class, no guidance.
    bool hasNullClass = false;
    int64_t nullClass() const { return hasNullClass ? numClasses() : -1; }
    std::vector<std::string> classNames;  // recorded by our runs (empty: numbered classes)
    int64_t parameterCount() const;
    nlohmann::json networkJson() const;  // {key: the network's options} for `info`
};

// True for a checkpoint whose model is g4vrel/CFM's flow U-Net (either layout), torchcfm's
// UNetModel, or one of our flows.
bool isFlowCheckpoint(const io::PyValue& root);

// Reads and identifies a flow checkpoint. Throws ds::Error "path: problem".
FlowCheckpoint readFlowCheckpoint(const std::string& path);
FlowCheckpoint readFlowCheckpoint(const std::string& path, const io::PyValue& root);

struct FlowBuildOptions {
    api::Weights weights = api::Weights::Ema;
    int groups = 0;  // g4vrel/CFM's U-Net: 0: the checkpoint's recorded value, else 32
    // torchcfm's UNetModel, whose files do not record them (0 / "": torchcfm's CIFAR-10 recipe,
    // 64 channels per head, the legacy attention order).
    int heads = 0;               // a head count (UNetModel's num_heads)
    int headChannels = 0;        // channels per head (num_head_channels; wins over heads)
    std::string attentionOrder;  // legacy | new (use_new_attention_order)
    torch::Device device = torch::kCPU;
};

// The network with the chosen weights, in eval mode, on the chosen device. Throws ds::Error
// "path: problem" (e.g. "--groups 12 does not divide the 16 channels of level 0 ...").
flow::VelocityNetwork buildVelocityNetwork(const FlowCheckpoint& ckpt, const FlowBuildOptions& options);

}  // namespace ds::checkpoint
