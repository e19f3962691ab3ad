// SPDX-License-Identifier: GPL-3.0-or-later
// One process's membership of a data-parallel group: c10d's rendezvous (a TCPStore that rank 0
// hosts on MASTER_ADDR:MASTER_PORT) and process group (Gloo, or NCCL on a CUDA build), with the
// few collectives training needs. Every failure of a collective (a lost rank, a timeout) becomes
// a one-line ds::Error naming this rank and what it was doing.
#pragma once
#include "core/api/distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ds::train {

class ProcessGroup {
public:
    // Joins the group described by env; device decides the "auto" backend. Throws ds::Error when
    // the rendezvous or the backend cannot be set up.
    ProcessGroup(const api::DistEnvironment& env, const api::DistributedOptions& options, const torch::Device& device);

    int rank() const { return env_.rank; }
    int worldSize() const { return env_.worldSize; }
    int localRank() const { return env_.localRank; }
    const std::string& backend() const { return backend_; }
    const api::DistributedOptions& options() const { return options_; }
    // "rank 1 of 2": how errors and logs name this process.
    std::string name() const;

    // Overwrites tensors with rank 0's (in place, same shapes on every rank).
    void broadcastFromRankZero(std::vector<torch::Tensor>& tensors, const std::string& what);
    // In-place sum over the ranks; async: wait() the returned work before reading the tensor.
    c10::intrusive_ptr<c10d::Work> allreduceSumAsync(torch::Tensor& tensor, const std::string& what);
    void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what);
    // Every rank's `local` (1-D, the same length on all ranks) as the rows of a (worldSize, n)
    // tensor, in double precision on the CPU.
    torch::Tensor gatherRows(const torch::Tensor& local, const std::string& what);

private:
    [[noreturn]] void fail(const std::string& what, const std::string& cause) const;
    torch::Device collectiveDevice() const;  // where small CPU-side tensors go for the backend

    api::DistEnvironment env_;
    api::DistributedOptions options_;
    torch::Device device_;
    std::string backend_;
    c10::intrusive_ptr<c10d::Store> store_;
    c10::intrusive_ptr<c10d::ProcessGroup> group_;
};

}  // namespace ds::train
