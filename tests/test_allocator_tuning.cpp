// The allocator tuning of core/util/allocator_tuning.h: after it, a large block comes from the
// heap (not a fresh mmap) and, freed, stays there for the next one; with the user's own
// MALLOC_* tunables it changes nothing. Each case runs in a child process: mallopt settings
// cannot be undone within one.
#include "core/util/allocator_tuning.h"

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

class TestAllocatorTuning : public QObject {
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
};

QTEST_APPLESS_MAIN(TestAllocatorTuning)
#include "test_allocator_tuning.moc"
