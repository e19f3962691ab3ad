// Diffusion Studio - the application's settings store.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSettings>
#include <QString>
#include <QStringList>

namespace ds::ui {

// QSettings of organization "DiffusionStudio", application "Diffusion Studio".
QSettings appSettings();

// The last folder used for a kind of file ("checkpoints", "runs", "exports"...), or the home folder.
QString lastFolder(const QString& kind);
void rememberFolder(const QString& kind, const QString& pathInside);

// Most-recent-first lists ("recent/checkpoints", "recent/runs"), at most 10, without duplicates.
QStringList recentFiles(const QString& key);
void addRecentFile(const QString& key, const QString& path);

}  // namespace ds::ui
