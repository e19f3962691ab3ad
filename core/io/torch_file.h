// SPDX-License-Identifier: GPL-3.0-or-later
// PyTorch files (torch.save / torch.load) without Python: the zip format of PyTorch >= 1.6 and
// the legacy format before it (pytorch-fid's Inception weights), read into a PyValue tree;
// PyValue trees written as zip archives that Python's torch.load opens.
//
// LibTorch's own torch::pickle_load cannot be used: it rejects the OrderedDicts every
// state_dict is made of.
#pragma once
#include "core/io/py_value.h"

#include <torch/torch.h>

#include <string>

namespace ds::io {

// Reads a file written by torch.save. Tensors are loaded on the CPU whatever device they were
// saved from ("cuda:0" included), then moved to `device`; tensors that shared a storage in
// Python still share memory. Throws ds::Error naming the file when it is missing, truncated,
// not a PyTorch file, or holds objects other than containers, scalars and tensors.
PyValuePtr loadTorchFile(const std::string& path, torch::Device device = torch::kCPU);

// The same for a file held in memory; `name` is used in messages.
PyValuePtr loadTorchBytes(std::string bytes, const std::string& name, torch::Device device = torch::kCPU);

// A file holding one tensor (torch.save(tensor, path)), e.g. initial noise.
torch::Tensor loadSingleTensor(const std::string& path, torch::Device device = torch::kCPU);

struct TorchSaveOptions {
    // Write ZIP64 records even when the archive does not need them (tests of that path; large
    // archives get them automatically).
    bool forceZip64 = false;
};

// Writes `value` in PyTorch's zip format (what torch.save writes by default), atomically: into
// a temporary file in the same directory, fsynced, then renamed over `path`. On failure the
// temporary file is removed, `path` is left as it was, and ds::Error is thrown. The archive's
// top folder is the file's stem, as torch.save names it.
void saveTorchFile(const std::string& path, const PyValuePtr& value, const TorchSaveOptions& options = {});

}  // namespace ds::io
