// Diffusion Studio - the interface languages.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QPair>
#include <QString>

namespace ds::ui {

// The languages the app ships: code and native name ("en" English, "zh_CN" 简体中文).
QList<QPair<QString, QString>> availableLanguages();

// The saved language, else the system's when shipped, else English.
QString preferredLanguage();

// Installs the translators (the app's and Qt's own dialogs) for `code`, replacing earlier
// ones. English needs none. Returns false when the translation is missing.
bool installLanguage(const QString& code);

}  // namespace ds::ui
