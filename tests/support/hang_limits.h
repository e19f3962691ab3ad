// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: the limit of every wait for an event (a job's or a process's end, a file, a
// state). Waits end when the event comes; the limit only turns a hang into a failure naming the
// wait, before CTest's TIMEOUT (tests/CMakeLists.txt) ends the whole executable. It is generous
// on purpose: the suite must pass beside two processes that keep both cores busy, where work
// takes several times as long as on a quiet machine. No test asserts how long anything took
// (performance is measured by the `bench` commands). Qt only, for core and widget tests.
#pragma once

namespace ds::test {

inline constexpr int kHangMs = 5 * 60 * 1000;

}  // namespace ds::test
