// SPDX-License-Identifier: GPL-3.0-or-later
// readDistEnvironment: torchrun's environment contract (see core/api/distributed.h). Torch-free.
#include "core/api/distributed.h"
#include "core/util/error.h"

#include <cstdlib>
#include <optional>
#include <string>

namespace ds::api {

namespace {

std::optional<std::string> variable(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
}

int integerVariable(const char* name, const std::string& text, int min, int max) {
    size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || value < min || value > max)
        throw Error(std::string(name) + "=" + text + " is not a whole number in " + std::to_string(min) + ".." +
                    std::to_string(max));
    return value;
}

}  // namespace

DistEnvironment readDistEnvironment() {
    DistEnvironment env;
    const auto rank = variable("RANK");
    const auto worldSize = variable("WORLD_SIZE");
    if (!rank && !worldSize) return env;
    if (!rank || !worldSize)
        throw Error(std::string(rank ? "WORLD_SIZE" : "RANK") + " is not set, but " + (rank ? "RANK" : "WORLD_SIZE") +
                    " is: a launcher sets both (with MASTER_ADDR and MASTER_PORT)");
    constexpr int kMaxProcesses = 1 << 20;
    env.present = true;
    env.worldSize = integerVariable("WORLD_SIZE", *worldSize, 1, kMaxProcesses);
    env.rank = integerVariable("RANK", *rank, 0, env.worldSize - 1);
    const auto addr = variable("MASTER_ADDR");
    const auto port = variable("MASTER_PORT");
    if (!addr || !port) throw Error("RANK and WORLD_SIZE are set, but MASTER_ADDR or MASTER_PORT is not");
    env.masterAddr = *addr;
    env.masterPort = integerVariable("MASTER_PORT", *port, 1, 65535);
    // Single-node defaults when a launcher leaves them out (SLURM wrappers often do).
    const auto localRank = variable("LOCAL_RANK");
    env.localRank = localRank ? integerVariable("LOCAL_RANK", *localRank, 0, kMaxProcesses) : env.rank;
    const auto localWorldSize = variable("LOCAL_WORLD_SIZE");
    env.localWorldSize =
        localWorldSize ? integerVariable("LOCAL_WORLD_SIZE", *localWorldSize, 1, kMaxProcesses) : env.worldSize;
    return env;
}

}  // namespace ds::api
