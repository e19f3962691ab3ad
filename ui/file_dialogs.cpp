// Diffusion Studio - file dialogs that start in, and remember, the last folder of their kind.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/file_dialogs.h"

#include "ui/app_settings.h"

#include <QDir>
#include <QFileDialog>

namespace ds::ui {

QString askSavePath(QWidget* parent, const QString& title, const QString& kind, const QString& fileName,
                    const QString& filter) {
    const QString path = QFileDialog::getSaveFileName(parent, title, QDir(lastFolder(kind)).filePath(fileName), filter);
    if (!path.isEmpty()) rememberFolder(kind, path);
    return path;
}

QString askFolder(QWidget* parent, const QString& title, const QString& kind) {
    const QString dir = QFileDialog::getExistingDirectory(parent, title, lastFolder(kind));
    if (!dir.isEmpty()) rememberFolder(kind, dir);
    return dir;
}

}  // namespace ds::ui
