// Diffusion Studio - showing a small image large in a label.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/scaled_image_label.h"

#include <QLabel>
#include <QPixmap>

namespace ds::ui {

void showScaledImage(QLabel* label, const QImage& image) {
    if (image.isNull()) {
        label->setPixmap(QPixmap());
        return;
    }
    const QSize box = label->size().boundedTo(QSize(4096, 4096)).expandedTo(QSize(64, 64));
    label->setPixmap(QPixmap::fromImage(image.scaled(box, Qt::KeepAspectRatio, Qt::FastTransformation)));
}

}  // namespace ds::ui
