// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/process_group.h"

#include "core/util/error.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DS_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <sstream>

namespace ds::train {

namespace {

// The useful line of a c10d/Gloo exception (c10::Error carries a C++ backtrace after it).
std::string causeOf(const std::exception& e) {
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    std::string text = c10 ? c10->what_without_backtrace() : e.what();
    return text.substr(0, text.find('\n'));
}

std::chrono::milliseconds millis(double seconds) { return std::chrono::milliseconds(int64_t(seconds * 1000.0)); }

bool isLoopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

// Gloo's network device: GLOO_SOCKET_IFNAME (comma-separated interfaces) as in PyTorch; the
// loopback for a group on this machine; otherwise the address this host's name resolves to.
std::vector<std::shared_ptr<::gloo::transport::Device>> glooDevices(const std::string& masterAddr) {
    std::vector<std::shared_ptr<::gloo::transport::Device>> devices;
    if (const char* names = std::getenv("GLOO_SOCKET_IFNAME"); names && *names) {
        std::stringstream list(names);
        for (std::string name; std::getline(list, name, ',');)
            if (!name.empty()) devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    } else if (isLoopback(masterAddr)) {
        devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
        devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    return devices;
}

std::string resolveBackend(const std::string& requested, const torch::Device& device) {
    if (requested == "auto") return device.is_cuda() ? "nccl" : "gloo";
    if (requested == "gloo" || requested == "nccl") return requested;
    throw Error("unknown --dist-backend '" + requested + "' (expected auto, gloo or nccl)");
}

}  // namespace

ProcessGroup::ProcessGroup(const api::DistEnvironment& env, const api::DistributedOptions& options,
                           const torch::Device& device)
    : env_(env), options_(options), device_(device), backend_(resolveBackend(options.backend, device)) {
    if (options_.timeoutSeconds <= 0) throw Error("the collective timeout must be positive");
    const auto timeout = millis(options_.timeoutSeconds);
    try {
        c10d::TCPStoreOptions storeOptions;
        storeOptions.port = uint16_t(env_.masterPort);
        storeOptions.isServer = env_.rank == 0;
        storeOptions.numWorkers = size_t(env_.worldSize);
        storeOptions.timeout = timeout;
        auto tcp = c10::make_intrusive<c10d::TCPStore>(env_.masterAddr, storeOptions);
        store_ = c10::make_intrusive<c10d::PrefixStore>("diffusion-studio", tcp);
    } catch (const std::exception& e) {
        throw Error(name() + ": no rendezvous at MASTER_ADDR:MASTER_PORT = " + env_.masterAddr + ":" +
                    std::to_string(env_.masterPort) + " (rank 0 hosts it) within " +
                    std::to_string(int(options_.timeoutSeconds)) + " s: " + causeOf(e));
    }
    try {
        if (backend_ == "gloo") {
            auto glooOptions = c10d::ProcessGroupGloo::Options::create(timeout);
            glooOptions->devices = glooDevices(env_.masterAddr);
            group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, env_.rank, env_.worldSize, glooOptions);
        } else {
#ifdef DS_WITH_NCCL
            if (!device_.is_cuda()) throw Error("the NCCL backend needs a CUDA device (--device cuda)");
            auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
            ncclOptions->timeout = timeout;
            group_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store_, env_.rank, env_.worldSize, ncclOptions);
#else
            throw Error(
                "this build has no NCCL (Debian's LibTorch is CPU-only): use --dist-backend gloo, or build "
                "against a CUDA LibTorch with -DDS_WITH_NCCL=ON (see docs/install.md)");
#endif
        }
    } catch (const Error& e) {
        throw Error(name() + ": " + e.what());
    } catch (const std::exception& e) {
        throw Error(name() + ": cannot set up the " + backend_ + " process group: " + causeOf(e));
    }
}

std::string ProcessGroup::name() const {
    return "rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.worldSize);
}

void ProcessGroup::fail(const std::string& what, const std::string& cause) const {
    throw Error(name() + ": " + what + " failed: " + cause +
                " (another rank stopped or died, or did not answer within " +
                std::to_string(int(options_.timeoutSeconds)) + " s)");
}

torch::Device ProcessGroup::collectiveDevice() const {
    // NCCL reduces only CUDA tensors; Gloo takes CPU ones.
    return backend_ == "nccl" ? device_ : torch::Device(torch::kCPU);
}

void ProcessGroup::broadcastFromRankZero(std::vector<torch::Tensor>& tensors, const std::string& what) {
    if (tensors.empty()) return;
    try {
        // One flat buffer: one collective instead of one per tensor. Double holds float32,
        // bfloat16, half and the integers of buffers exactly.
        std::vector<torch::Tensor> parts;
        for (const auto& t : tensors) parts.push_back(t.detach().reshape({-1}).to(collectiveDevice(), torch::kDouble));
        std::vector<torch::Tensor> flat{torch::cat(parts)};
        group_->broadcast(flat, c10d::BroadcastOptions{})->wait();
        int64_t offset = 0;
        torch::NoGradGuard noGrad;
        for (auto& t : tensors) {
            const int64_t n = t.numel();
            t.copy_(flat[0].narrow(0, offset, n).view(t.sizes()));
            offset += n;
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        fail(what, causeOf(e));
    }
}

c10::intrusive_ptr<c10d::Work> ProcessGroup::allreduceSumAsync(torch::Tensor& tensor, const std::string& what) {
    try {
        std::vector<torch::Tensor> list{tensor};
        return group_->allreduce(list, c10d::AllreduceOptions{});
    } catch (const std::exception& e) {
        fail(what, causeOf(e));
    }
}

void ProcessGroup::wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
    try {
        work->wait();
    } catch (const std::exception& e) {
        fail(what, causeOf(e));
    }
}

torch::Tensor ProcessGroup::gatherRows(const torch::Tensor& local, const std::string& what) {
    // An all-gather as a sum: each rank fills its own row of zeros.
    auto rows = torch::zeros({env_.worldSize, local.numel()}, torch::TensorOptions().dtype(torch::kDouble));
    rows[env_.rank].copy_(local.detach().reshape({-1}).to(torch::kCPU, torch::kDouble));
    auto onDevice = rows.to(collectiveDevice());
    wait(allreduceSumAsync(onDevice, what), what);
    return onDevice.cpu();
}

}  // namespace ds::train
