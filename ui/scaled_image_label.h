// Diffusion Studio - showing a small image large in a label.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QImage>

class QLabel;

namespace ds::ui {

// Fits `image` into the label's size (at least 64 px), keeping its aspect ratio and its pixels
// sharp: samples are tiny (28 to 128 px) and smoothing would blur what the user came to see.
// A null image clears the label.
void showScaledImage(QLabel* label, const QImage& image);

}  // namespace ds::ui
