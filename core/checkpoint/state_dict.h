// SPDX-License-Identifier: GPL-3.0-or-later
// A state_dict as read from a checkpoint: name -> tensor, in file order, with helpers to take
// a prefixed sub-dict (e.g. "ema_model.model.") and to load it strictly into a module.
#pragma once
#include "core/io/py_value.h"

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace ds::checkpoint {

class StateDict {
public:
    StateDict() = default;
    // The tensor entries of a dict (other entries, like ema's "initted", are skipped).
    static StateDict fromPyDict(const io::PyValue& dict);
    // A module's parameters then buffers, as torch's state_dict() orders them for our modules.
    static StateDict fromModule(const torch::nn::Module& module, const std::string& prefix = "");

    // Entries whose name starts with prefix, with the prefix removed.
    StateDict withPrefix(const std::string& prefix) const;
    // Drops a leading "_orig_mod." / "module." from every name (torch.compile, DDP wrappers).
    StateDict withoutWrapperPrefixes() const;

    bool contains(const std::string& name) const;
    const torch::Tensor* find(const std::string& name) const;
    const torch::Tensor& at(const std::string& name) const;     // throws ds::Error naming the key
    std::vector<int64_t> shape(const std::string& name) const;  // throws when missing
    bool empty() const { return entries_.empty(); }
    size_t size() const { return entries_.size(); }
    const std::vector<std::pair<std::string, torch::Tensor>>& entries() const { return entries_; }
    void add(std::string name, torch::Tensor tensor);

    // Copies every parameter and buffer of module from this dict. Strict: a missing key, an
    // unexpected key or a shape mismatch throws ds::Error listing the first few problems.
    void loadInto(torch::nn::Module& module, const std::string& what) const;

    // An OrderedDict PyValue for writing (tensors detached, on the CPU).
    io::PyValuePtr toPyDict() const;

private:
    std::vector<std::pair<std::string, torch::Tensor>> entries_;
};

}  // namespace ds::checkpoint
