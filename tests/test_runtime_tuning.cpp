// SPDX-License-Identifier: GPL-3.0-or-later
// The process-wide tuning every entry point applies before tensor work. The allocator
// (core/util/allocator_tuning.h): after it, a large block comes from the heap (not a fresh
// mmap) and, freed, stays there for the next one; with the user's own MALLOC_* tunables it
// changes nothing. BLAS threads (core/util/blas_threads.h): OpenBLAS ends up on one thread,
// unless the user chose its count. Each case runs in a child process: neither setting can be
// undone within one.
#include "core/util/allocator_tuning.h"
#include "core/util/blas_threads.h"
#include "core/util/thread_config.h"

#include <QtTest>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>

namespace {

constexpr size_t kLarge = 64u << 20;  // an activation of a large batch

// Runs `check` in a forked child; true when it returned true.
bool inChild(const std::function<bool()>& check) {
    const pid_t pid = fork();
    if (pid == 0) _exit(check() ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A large block the compiler may not elide (it may drop an unused malloc/free pair).
void* touchedLargeBlock() {
    void* block = std::malloc(kLarge);
    static_cast<volatile char*>(block)[0] = 1;
    return block;
}

// Whether a large block is served by its own mmap (counted in hblks while it lives).
bool largeBlockIsMapped() {
    const size_t before = mallinfo2().hblks;
    void* block = touchedLargeBlock();
    const bool mapped = mallinfo2().hblks > before;
    std::free(block);
    return mapped;
}

}  // namespace

class TestRuntimeTuning : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void largeBlocksStayInTheHeap() {
        QVERIFY(inChild([] { return largeBlockIsMapped(); }));  // glibc's default: a fresh mapping
        QVERIFY(inChild([] {
            if (!ds::keepTensorMemoryInHeap() || largeBlockIsMapped()) return false;
            // Freed, the block stays with the process: the heap does not shrink below it.
            std::free(touchedLargeBlock());
            return mallinfo2().fordblks >= kLarge;
        }));
    }

    void usersOwnTunablesWin() {
        QVERIFY(inChild([] {
            setenv("MALLOC_MMAP_THRESHOLD_", "131072", 1);
            return !ds::keepTensorMemoryInHeap() && largeBlockIsMapped();
        }));
    }

    void openBlasRunsOnTheCallingThread() {
        // The test links LibTorch, hence the system BLAS; install-deps.sh makes it OpenBLAS.
        if (ds::openBlasThreads() == 0) QSKIP("the system BLAS is not OpenBLAS (install libopenblas0-pthread)");
        if (std::getenv("OPENBLAS_NUM_THREADS") || std::getenv("GOTO_NUM_THREADS"))
            QSKIP("OPENBLAS_NUM_THREADS or GOTO_NUM_THREADS is set: the user's choice is kept");
        QVERIFY(inChild([] {
            // configureThreads is what the two entry points call; LibTorch keeps its own count.
            return ds::configureThreads(2) == 2 && ds::openBlasThreads() == 1;
        }));
    }

    void usersBlasThreadCountWins() {
        if (ds::openBlasThreads() == 0) QSKIP("the system BLAS is not OpenBLAS (install libopenblas0-pthread)");
        QVERIFY(inChild([] {
            const int before = ds::openBlasThreads();
            setenv("OPENBLAS_NUM_THREADS", "3", 1);
            return !ds::keepBlasOnCallingThread() && ds::openBlasThreads() == before;
        }));
    }
};

QTEST_APPLESS_MAIN(TestRuntimeTuning)
#include "test_runtime_tuning.moc"
