// SPDX-License-Identifier: GPL-3.0-or-later
// launchLocalWorkers and findFreePort (core/api/distributed.h): torchrun's single-node launch.
// Torch-free: fork + execve of this program, then a wait loop that passes a stop request on and,
// when a rank fails, gives the others a grace period before terminating them.
#include "core/api/distributed.h"
#include "core/util/error.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ds::api {

namespace {

struct Worker {
    int rank = 0;
    pid_t pid = -1;
    bool running = false;
    int status = 0;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The environment of one rank: this process's, with the contract's variables replaced. Built
// before fork(): between fork and exec the child may only call async-signal-safe functions.
std::vector<std::string> workerEnvironment(int rank, int nproc, int port) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    vars["RANK"] = vars["LOCAL_RANK"] = std::to_string(rank);
    vars["WORLD_SIZE"] = vars["LOCAL_WORLD_SIZE"] = std::to_string(nproc);
    vars["MASTER_ADDR"] = "127.0.0.1";
    vars["MASTER_PORT"] = std::to_string(port);
    // N processes share the cores (torchrun sets 1; sharing them out is faster on a workstation).
    if (!vars.count("OMP_NUM_THREADS")) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        vars["OMP_NUM_THREADS"] = std::to_string(std::max(1u, cores / unsigned(nproc)));
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

pid_t spawn(const std::string& executable, std::vector<std::string> argv, std::vector<std::string> env,
            const std::string& logFile) {
    auto argp = pointers(argv);
    auto envp = pointers(env);
    int logFd = -1;
    if (!logFile.empty()) {
        logFd = open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (logFd < 0) throw fileError(logFile, std::string("cannot create a worker log: ") + std::strerror(errno));
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw Error(std::string("cannot start a worker process: ") + std::strerror(errno));
    if (pid == 0) {
        // A worker must not outlive its launcher (killed with -9, say): it would train on alone.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(143);
        if (logFd >= 0 && (dup2(logFd, STDOUT_FILENO) < 0 || dup2(logFd, STDERR_FILENO) < 0)) _exit(126);
        execve(executable.c_str(), argp.data(), envp.data());
        const char message[] = "error: cannot run the worker program\n";
        (void)!write(STDERR_FILENO, message, sizeof message - 1);
        _exit(127);
    }
    if (logFd >= 0) close(logFd);
    return pid;
}

std::string logFileOf(const LocalLaunch& launch, int rank) {
    if (launch.logDirectory.empty()) return {};
    return launch.logDirectory + "/rank-" + std::to_string(rank) + ".log";
}

// The last "error: ..." line a worker wrote to its log, without the prefix ("" if none).
std::string lastErrorLine(const std::string& logFile) {
    std::ifstream in(logFile);
    std::string line, last;
    while (std::getline(in, line))
        if (line.rfind("error: ", 0) == 0) last = line.substr(7);
    return last;
}

std::string describeExit(const Worker& w) {
    const std::string who = "rank " + std::to_string(w.rank) + " (pid " + std::to_string(w.pid) + ")";
    if (WIFSIGNALED(w.status)) {
        const int sig = WTERMSIG(w.status);
        return who + " was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    }
    return who + " exited with code " + std::to_string(WEXITSTATUS(w.status));
}

bool succeeded(const Worker& w) { return WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0; }
bool stopped(const Worker& w) { return WIFEXITED(w.status) && WEXITSTATUS(w.status) == 130; }

void signalRunning(std::vector<Worker>& workers, int sig) {
    for (auto& w : workers)
        if (w.running) kill(w.pid, sig);
}

}  // namespace

int findFreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error(std::string("cannot open a socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const int error = errno;
    close(fd);
    if (!ok) throw Error(std::string("cannot find a free TCP port on 127.0.0.1: ") + std::strerror(error));
    return ntohs(addr.sin_port);
}

LaunchOutcome launchLocalWorkers(const LocalLaunch& launch, JobSink& sink, const StopToken& stop) {
    if (launch.nproc < 1) throw Error("--nproc must be at least 1, got " + std::to_string(launch.nproc));
    const std::string executable = launch.executable.empty() ? "/proc/self/exe" : launch.executable;
    const int port = findFreePort();
    std::vector<Worker> workers(size_t(launch.nproc));
    for (int r = 0; r < launch.nproc; ++r) {
        std::vector<std::string> argv{executable};
        argv.insert(argv.end(), launch.args.begin(), launch.args.end());
        const pid_t pid = spawn(executable, argv, workerEnvironment(r, launch.nproc, port), logFileOf(launch, r));
        workers[size_t(r)] = Worker{r, pid, true, 0};
        sink.onLog("rank " + std::to_string(r) + ": pid " + std::to_string(workers[size_t(r)].pid));
    }

    const Worker* firstFailure = nullptr;
    bool stopPassedOn = false, terminated = false;
    double terminateAt = 0, killAt = 0, nextPoll = 0;
    std::string pollError;
    for (int running = launch.nproc; running > 0;) {
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            for (auto& w : workers) {
                if (w.pid != pid) continue;
                w.running = false;
                w.status = status;
                --running;
                if (!firstFailure && !succeeded(w) && !stopped(w)) {
                    firstFailure = &w;
                    terminateAt = now() + launch.graceSeconds;
                }
            }
            continue;
        }
        if (pid < 0 && errno != EINTR) break;  // no children left
        if (stop.stopRequested() && !stopPassedOn) {
            signalRunning(workers, SIGINT);  // each rank saves and stops at the step they agree on
            stopPassedOn = true;
        }
        if (firstFailure && !terminated && now() >= terminateAt) {
            signalRunning(workers, SIGTERM);
            terminated = true;
            killAt = now() + 5.0;
        }
        if (terminated && now() >= killAt) signalRunning(workers, SIGKILL);
        if (launch.poll && now() >= nextPoll && pollError.empty()) {
            try {
                launch.poll();
            } catch (const std::exception& e) {
                // The follower failed: the workers stop cleanly (as on a stop request) first.
                pollError = e.what();
                signalRunning(workers, SIGINT);
            }
            nextPoll = now() + 0.05;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    if (!pollError.empty()) throw Error(pollError);
    LaunchOutcome outcome;
    if (firstFailure) {
        outcome.exitCode = 1;
        outcome.message = describeExit(*firstFailure);
        if (const auto error = lastErrorLine(logFileOf(launch, firstFailure->rank)); !error.empty())
            outcome.message += ": " + error;
        for (const auto& w : workers)
            if (&w != firstFailure && !succeeded(w)) outcome.message += "; " + describeExit(w);
        outcome.message += terminated ? " (the ranks still running " + std::to_string(int(launch.graceSeconds)) +
                                            " s later were terminated)"
                                      : "";
    } else if (std::any_of(workers.begin(), workers.end(), stopped)) {
        outcome.exitCode = 130;
        outcome.message = "stopped";
    }
    return outcome;
}

}  // namespace ds::api
