// Diffusion Studio - the application's settings store.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/app_settings.h"

#include <QDir>
#include <QFileInfo>

namespace ds::ui {
namespace {
constexpr int kMaxRecent = 10;
}

QSettings appSettings() { return QSettings(QStringLiteral("DiffusionStudio"), QStringLiteral("Diffusion Studio")); }

QString lastFolder(const QString& kind) {
    const QString dir = appSettings().value(QStringLiteral("folders/") + kind).toString();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : QDir::homePath();
}

void rememberFolder(const QString& kind, const QString& pathInside) {
    if (pathInside.isEmpty()) return;
    const QFileInfo info(pathInside);
    const QString dir = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    appSettings().setValue(QStringLiteral("folders/") + kind, dir);
}

QStringList recentFiles(const QString& key) { return appSettings().value(key).toStringList(); }

void addRecentFile(const QString& key, const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = recentFiles(key);
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxRecent) list.removeLast();
    appSettings().setValue(key, list);
}

}  // namespace ds::ui
