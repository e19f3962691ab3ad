// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel training over several processes (PyTorch's c10d: Gloo on CPUs, NCCL on CUDA
// GPUs). Torch-free: the CLI reads the environment contract of torchrun / SLURM wrappers here
// and launches local workers; the trainer builds the process group from it.
#pragma once
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <functional>
#include <string>
#include <vector>

namespace ds::api {

// torchrun's environment contract. A process is a rank of a group when RANK and WORLD_SIZE are set.
struct DistEnvironment {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    int localWorldSize = 1;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    bool present = false;  // RANK / WORLD_SIZE were set (an external or our own launcher)
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT. Throws
// ds::Error naming the variable when one is malformed, or when only some of the required ones
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) are set.
DistEnvironment readDistEnvironment();

// How the group talks; not part of a run's configuration (any choice trains the same model).
struct DistributedOptions {
    std::string backend = "auto";  // auto (NCCL on CUDA, else Gloo) | gloo | nccl
    double timeoutSeconds = 1800;  // a collective waiting longer for a rank fails (torch's default)
    double bucketMiB = 25;         // gradients are all-reduced in buckets of about this size (DDP's)
};

struct DistributedRun {
    DistEnvironment env;
    DistributedOptions options;
};

// `--nproc N`: runs N copies of this program on this machine with the contract above
// (MASTER_ADDR 127.0.0.1, a free MASTER_PORT, OMP_NUM_THREADS = cores / N unless set).
struct LocalLaunch {
    std::vector<std::string> args;  // the workers' arguments (without the program name)
    int nproc = 2;
    std::string executable;      // "": this program (/proc/self/exe)
    double graceSeconds = 30;    // after a rank fails, how long the others get to stop by themselves
    std::string logDirectory;    // "": the workers share this process's stdout and stderr;
                                 // else rank R writes both to logDirectory/rank-R.log
    std::function<void()> poll;  // called about every 50 ms while the workers run (following them)
};

struct LaunchOutcome {
    int exitCode = 0;     // 0: every rank succeeded; 130: stopped; else the failure's
    std::string message;  // "" on success, else what went wrong, naming the rank (and, with a
                          // log directory, the last error line the failing rank wrote)
};

// Starts the workers (logging "rank R: pid P" for each) and waits for them. A stop request is passed on to them
// (SIGINT). When a rank fails, the others get graceSeconds to notice on their own (they stop with an error naming the
// lost peer), then are terminated; the outcome names the first rank that failed.
LaunchOutcome launchLocalWorkers(const LocalLaunch& launch, JobSink& sink, const StopToken& stop);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
int findFreePort();

}  // namespace ds::api
