// Test support: runs the built diffusion-studio-cli and collects its exit code and output.
#pragma once
#include <QString>
#include <QStringList>

namespace ds::test {

struct CliResult {
    int exitCode = -1;  // -1: crashed or timed out
    QString out;
    QString err;
};

QString cliPath();
CliResult runCli(const QStringList& args, int timeoutMs = 120000);

}  // namespace ds::test
