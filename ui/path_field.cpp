// Diffusion Studio - a path entry with a Browse button.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/path_field.h"

#include "ui/app_settings.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>

namespace ds::ui {

PathField::PathField(Mode mode, const QString& folderKind, const QString& filter, QWidget* parent)
    : QWidget(parent), mode_(mode), folderKind_(folderKind), filter_(filter) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    edit_ = new QLineEdit(this);
    edit_->setClearButtonEnabled(true);
    button_ = new QToolButton(this);
    button_->setText(QStringLiteral("…"));
    button_->setToolTip(tr("Browse"));
    layout->addWidget(edit_, 1);
    layout->addWidget(button_);
    connect(button_, &QToolButton::clicked, this, &PathField::browse);
    connect(edit_, &QLineEdit::textChanged, this, &PathField::pathChanged);
}

QString PathField::path() const { return edit_->text().trimmed(); }
void PathField::setPath(const QString& path) { edit_->setText(path); }
void PathField::setPlaceholderText(const QString& text) { edit_->setPlaceholderText(text); }

void PathField::browse() {
    const QString start = path().isEmpty() ? lastFolder(folderKind_) : path();
    switch (mode_) {
    case Mode::OpenFile: chooseFile(start); break;
    case Mode::SaveFile: {
        const QString chosen = QFileDialog::getSaveFileName(this, tr("Save as"), start, filter_);
        if (chosen.isEmpty()) return;
        rememberFolder(folderKind_, chosen);
        setPath(chosen);
        break;
    }
    case Mode::OpenFolder: chooseFolder(start); break;
    case Mode::FolderOrFile: {
        QMenu menu(this);
        menu.addAction(tr("Folder…"), this, [this, start] { chooseFolder(start); });
        menu.addAction(tr("File…"), this, [this, start] { chooseFile(start); });
        menu.exec(button_->mapToGlobal(QPoint(0, button_->height())));
        break;
    }
    }
}

void PathField::chooseFolder(const QString& start) {
    const QString chosen = QFileDialog::getExistingDirectory(this, tr("Choose a folder"), start);
    if (chosen.isEmpty()) return;
    rememberFolder(folderKind_, chosen);
    setPath(chosen);
}

void PathField::chooseFile(const QString& start) {
    const QString chosen = QFileDialog::getOpenFileName(this, tr("Open"), start, filter_);
    if (chosen.isEmpty()) return;
    rememberFolder(folderKind_, chosen);
    setPath(chosen);
}

}  // namespace ds::ui
