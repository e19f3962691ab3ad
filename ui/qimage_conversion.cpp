// Diffusion Studio - core images to and from QImage.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/qimage_conversion.h"

#include <cstring>

namespace ds::ui {

QImage toQImage(const api::Image& image) {
    if (image.empty()) return {};
    QImage::Format format = QImage::Format_RGB888;
    if (image.channels == 1) format = QImage::Format_Grayscale8;
    else if (image.channels == 4) format = QImage::Format_RGBA8888;
    const QImage view(image.pixels.data(), image.width, image.height, static_cast<qsizetype>(image.bytesPerLine()),
                      format);
    return view.copy();
}

api::Image fromQImage(const QImage& source) {
    if (source.isNull()) return {};
    const bool gray = source.format() == QImage::Format_Grayscale8;
    const QImage image = gray ? source : source.convertToFormat(QImage::Format_RGB888);
    api::Image out;
    out.width = image.width();
    out.height = image.height();
    out.channels = gray ? 1 : 3;
    out.pixels.resize(out.bytesPerLine() * static_cast<size_t>(out.height));
    for (int y = 0; y < out.height; ++y)
        std::memcpy(out.pixels.data() + out.bytesPerLine() * static_cast<size_t>(y), image.constScanLine(y),
                    out.bytesPerLine());
    return out;
}

}  // namespace ds::ui
