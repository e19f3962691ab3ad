// Diffusion Studio - a path entry with a Browse button.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QWidget>

class QLineEdit;
class QToolButton;

namespace ds::ui {

// A line edit for a file or folder path and a "…" button that opens the matching dialog in the
// last folder used for this kind of path (remembered in the settings).
class PathField : public QWidget {
    Q_OBJECT

public:
    // FolderOrFile: the button offers both (e.g. an image folder or a statistics file).
    enum class Mode { OpenFile, OpenFolder, SaveFile, FolderOrFile };

    // folderKind: the settings key of the last folder ("checkpoints", "data"...).
    PathField(Mode mode, const QString& folderKind, const QString& filter = {}, QWidget* parent = nullptr);

    QString path() const;
    void setPath(const QString& path);
    void setPlaceholderText(const QString& text);
    QLineEdit* lineEdit() const { return edit_; }

Q_SIGNALS:
    void pathChanged(const QString& path);

private:
    void browse();
    void chooseFolder(const QString& start);
    void chooseFile(const QString& start);

    Mode mode_;
    QString folderKind_;
    QString filter_;
    QLineEdit* edit_ = nullptr;
    QToolButton* button_ = nullptr;
};

}  // namespace ds::ui
