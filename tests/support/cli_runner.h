// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: runs the built diffusion-studio-cli and collects its exit code and output.
#pragma once
#include "tests/support/hang_limits.h"

#include <QString>
#include <QStringList>

namespace ds::test {

struct CliResult {
    int exitCode = -1;  // -1: crashed or timed out
    QString out;
    QString err;
};

QString cliPath();
// Waits for the program to end; one that runs past timeoutMs is killed (exit code -1).
CliResult runCli(const QStringList& args, int timeoutMs = kHangMs);

// `train` of the tiny diffusion model (a 2-stage U-Net of width 8 on 16x16 Fashion-MNIST,
// T = 100) for `steps` steps into runDir, one LibTorch thread, on the CPU; `settings` adds the
// test's own (batch size, intervals, seed, schedule).
QStringList tinyTrainCommand(const QString& runDir, int steps, const QStringList& settings);

}  // namespace ds::test
