// Test support for widget tests: keep the user's real settings out of the tests.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace ds::test {

// Test-mode standard paths and a temporary QSettings location for both formats (native is INI
// on Unix); call once in initTestCase with a QTemporaryDir that outlives the tests.
inline bool isolateSettings(const QTemporaryDir& dir) {
    QStandardPaths::setTestModeEnabled(true);
    if (!dir.isValid()) return false;
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    return true;
}

inline void clearAppSettings() {
    QSettings settings(QStringLiteral("DiffusionStudio"), QStringLiteral("Diffusion Studio"));
    settings.clear();
    settings.sync();
}

}  // namespace ds::test
