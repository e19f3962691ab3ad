// SPDX-License-Identifier: GPL-3.0-or-later
// Test support: running Python's PyTorch (Debian's python3-torch) on files we wrote, the proof
// that the original project's code opens them. Tests skip these checks where it is missing.
#pragma once

#include "tests/support/hang_limits.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace ds::test {

// Whether /usr/bin/python3 can import torch (asked once per test process).
inline bool pythonTorchAvailable() {
    static const bool available = [] {
        QProcess probe;
        probe.start("/usr/bin/python3", {"-c", "import torch"});
        return probe.waitForFinished(kHangMs) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0;
    }();
    return available;
}

struct PythonRun {
    bool finished = false;  // within the time allowed
    int exitCode = -1;
    QByteArray output;  // stdout and stderr together
};

// Runs `script` (python3 -c) with `args` as sys.argv[1:].
inline PythonRun runPython(const QString& script, const QStringList& args, int timeoutMs = kHangMs) {
    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start("/usr/bin/python3", QStringList{"-c", script} + args);
    PythonRun run;
    run.finished = python.waitForFinished(timeoutMs);
    run.exitCode = python.exitCode();
    run.output = python.readAll();
    return run;
}

}  // namespace ds::test
