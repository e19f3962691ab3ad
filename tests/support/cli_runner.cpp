// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/cli_runner.h"

#include <QProcess>

namespace ds::test {

QString cliPath() { return QStringLiteral(DS_CLI_PATH); }

QStringList tinyTrainCommand(const QString& runDir, int steps, const QStringList& settings) {
    return QStringList{"--threads", "1",           "train",       "--run-dir", runDir,
                       "--dim",     "8",           "--dim-mults", "1,2",       "--image-size",
                       "16",        "--timesteps", "100",         "--steps",   QString::number(steps),
                       "--device",  "cpu"} +
           settings;
}

CliResult runCli(const QStringList& args, int timeoutMs) {
    QProcess p;
    p.start(cliPath(), args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace ds::test
