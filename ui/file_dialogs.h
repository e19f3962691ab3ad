// Diffusion Studio - file dialogs that start in, and remember, the last folder of their kind.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QWidget;

namespace ds::ui {

// A file name to save to, starting in the last folder of `kind` with `fileName`; "" when cancelled.
QString askSavePath(QWidget* parent, const QString& title, const QString& kind, const QString& fileName,
                    const QString& filter);

// A folder, starting in the last folder of `kind`; "" when cancelled.
QString askFolder(QWidget* parent, const QString& title, const QString& kind);

}  // namespace ds::ui
