// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/image_conversion.h"

#include "core/util/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ds::data {
namespace {

// The last channel is alpha: colour * a + white * (1 - a), rounded, per colour channel.
cv::Mat compositeOverWhite(const cv::Mat& withAlpha) {
    const int colourChannels = withAlpha.channels() - 1;
    cv::Mat out(withAlpha.size(), CV_8UC(colourChannels));
    for (int y = 0; y < withAlpha.rows; ++y) {
        const uint8_t* in = withAlpha.ptr<uint8_t>(y);
        uint8_t* o = out.ptr<uint8_t>(y);
        for (int x = 0; x < withAlpha.cols; ++x, in += colourChannels + 1, o += colourChannels) {
            const int alpha = in[colourChannels];
            for (int c = 0; c < colourChannels; ++c) o[c] = uint8_t((in[c] * alpha + 255 * (255 - alpha) + 127) / 255);
        }
    }
    return out;
}

// Gray or BGR without alpha.
cv::Mat dropAlphaByCompositing(const cv::Mat& eightBit) {
    switch (eightBit.channels()) {
    case 1:
    case 3: return eightBit;
    case 2:
    case 4: return compositeOverWhite(eightBit);
    default: throw Error("unsupported channel count " + std::to_string(eightBit.channels()));
    }
}

}  // namespace

cv::Mat toEightBit(const cv::Mat& decoded) {
    cv::Mat out;
    switch (decoded.depth()) {
    case CV_8U: return decoded;
    case CV_16U: decoded.convertTo(out, CV_8U, 255.0 / 65535.0); return out;
    case CV_32F:
    case CV_64F: decoded.convertTo(out, CV_8U, 255.0); return out;
    default: throw Error("unsupported pixel depth (OpenCV depth " + std::to_string(decoded.depth()) + ")");
    }
}

cv::Mat toModelChannels(const cv::Mat& eightBit, int channels) {
    if (eightBit.depth() != CV_8U) throw Error("toModelChannels expects an 8-bit image");
    const cv::Mat opaque = dropAlphaByCompositing(eightBit);
    cv::Mat out;
    if (opaque.channels() == 1) {
        if (channels == 1) return opaque;
        cv::cvtColor(opaque, out, cv::COLOR_GRAY2RGB);
    } else {
        cv::cvtColor(opaque, out, channels == 1 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGR2RGB);
    }
    return out;
}

cv::Mat resizeShorterSideAndCenterCrop(const cv::Mat& image, int size) {
    const int shorter = std::min(image.cols, image.rows);
    if (shorter <= 0) throw Error("empty image");
    cv::Mat scaled = image;
    if (shorter != size) {
        // The longer side keeps the aspect ratio, rounded; never below `size` so the crop fits.
        const double scale = double(size) / shorter;
        const auto scaledSide = [&](int side) {
            return side == shorter ? size : std::max(size, int(std::lround(side * scale)));
        };
        const int interpolation = shorter > size ? cv::INTER_AREA : cv::INTER_CUBIC;
        cv::resize(image, scaled, cv::Size(scaledSide(image.cols), scaledSide(image.rows)), 0, 0, interpolation);
    }
    const cv::Rect centre((scaled.cols - size) / 2, (scaled.rows - size) / 2, size, size);
    return scaled(centre).clone();
}

api::Image toApiImage(const cv::Mat& image) {
    if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
        throw Error("toApiImage expects an 8-bit gray or RGB image");
    api::Image out;
    out.width = image.cols;
    out.height = image.rows;
    out.channels = image.channels();
    out.pixels.resize(out.bytesPerLine() * size_t(out.height));
    for (int y = 0; y < image.rows; ++y)
        std::memcpy(out.pixels.data() + out.bytesPerLine() * size_t(y), image.ptr<uint8_t>(y), out.bytesPerLine());
    return out;
}

api::Image prepareImage(const cv::Mat& decoded, const ImageTransform& transform) {
    const cv::Mat channels = toModelChannels(toEightBit(decoded), transform.channels);
    return toApiImage(resizeShorterSideAndCenterCrop(channels, transform.size));
}

}  // namespace ds::data
