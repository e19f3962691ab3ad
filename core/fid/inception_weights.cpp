// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/inception_weights.h"

#include "core/io/torch_file.h"
#include "core/util/error.h"

#include <cstdlib>
#include <filesystem>

namespace ds::fid {

namespace {

namespace fs = std::filesystem;

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

bool isFile(const std::string& path) {
    std::error_code ec;
    return !path.empty() && fs::is_regular_file(path, ec);
}

}  // namespace

std::string torchHubCheckpointDir() {
    fs::path hub;
    if (!environment("TORCH_HOME").empty()) hub = fs::path(environment("TORCH_HOME")) / "hub";
    else if (!environment("XDG_CACHE_HOME").empty()) hub = fs::path(environment("XDG_CACHE_HOME")) / "torch" / "hub";
    else hub = fs::path(environment("HOME")) / ".cache" / "torch" / "hub";
    return (hub / "checkpoints").string();
}

std::string locateInceptionWeights(const std::string& explicitPath, const std::string& settingPath) {
    if (!explicitPath.empty()) {
        if (!isFile(explicitPath)) throw fileError(explicitPath, "Inception weight file not found");
        return explicitPath;
    }
    if (isFile(settingPath)) return settingPath;
    const std::string cached = (fs::path(torchHubCheckpointDir()) / kInceptionWeightsName).string();
    if (isFile(cached)) return cached;

    std::string looked = cached;
    if (!settingPath.empty()) looked = settingPath + " (the setting), " + looked;
    throw Error(std::string("FID needs pytorch-fid's Inception weights, ") + kInceptionWeightsName +
                " (about 92 MB), and they were not found (looked in " + looked + "). Download " + kInceptionWeightsUrl +
                " (pytorch-fid's GitHub release) and put it in " + torchHubCheckpointDir() +
                ", or pass --weights FILE");
}

checkpoint::StateDict readInceptionStateDict(const std::string& path) {
    const auto root = io::loadTorchFile(path);
    if (!root->is(io::PyValue::Kind::Dict))
        throw fileError(path, std::string("expected a state_dict (a dict of tensors), found ") + root->kindName());
    auto weights = checkpoint::StateDict::fromPyDict(*root);
    if (weights.empty()) throw fileError(path, "holds no tensors (expected the FID Inception state_dict)");
    return weights;
}

FidInception loadFidInception(const checkpoint::StateDict& weights, const std::string& source, torch::Device device) {
    FidInception net;
    // Files saved before PyTorch 0.4.1 have no num_batches_tracked; it plays no part in evaluation.
    checkpoint::StateDict complete = weights;
    for (const auto& buffer : net->named_buffers(true)) {
        const std::string& name = buffer.key();
        const bool counter = name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
        if (counter && !complete.contains(name)) complete.add(name, torch::zeros({}, torch::kLong));
    }
    try {
        complete.loadInto(*net, "FID Inception weights");
    } catch (const Error& e) {
        throw fileError(source, e.what());
    }
    net->to(device);
    net->prepareForInference();
    return net;
}

FidInception loadFidInception(const std::string& path, torch::Device device) {
    return loadFidInception(readInceptionStateDict(path), path, device);
}

}  // namespace ds::fid
