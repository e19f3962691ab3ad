// Diffusion Studio - core images to and from QImage.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/api/image.h"

#include <QImage>

namespace ds::ui {

// A deep copy (the QImage owns its pixels): Grayscale8, RGB888 or RGBA8888. Null for an empty image.
QImage toQImage(const api::Image& image);

// RGB888 or Grayscale8 pixels of a QImage (other formats are converted to RGB).
api::Image fromQImage(const QImage& image);

}  // namespace ds::ui
