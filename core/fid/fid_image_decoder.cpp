// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/fid_image_decoder.h"

#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/util/error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ds::fid {

namespace {

// Netpbm (pgm/ppm, which pytorch-fid lists) has no place in the shared format sniffer, which
// serves training folders: recognised here by its "P2", "P3", "P5" or "P6" magic.
bool isNetpbm(const std::vector<uint8_t>& bytes) {
    return bytes.size() > 2 && bytes[0] == 'P' &&
           (bytes[1] == '2' || bytes[1] == '3' || bytes[1] == '5' || bytes[1] == '6');
}

cv::Mat decodeNetpbm(const std::vector<uint8_t>& bytes, const std::string& path) {
    const cv::Mat encoded(1, int(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data()));
    cv::Mat image;
    try {
        image = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw fileError(path, "cannot decode Netpbm: " + e.err);
    }
    if (image.empty()) throw fileError(path, "cannot decode Netpbm (corrupt or unsupported data)");
    return image;
}

cv::Mat toRgbDroppingAlpha(const cv::Mat& eightBit) {
    cv::Mat rgb;
    switch (eightBit.channels()) {
    case 1: cv::cvtColor(eightBit, rgb, cv::COLOR_GRAY2RGB); break;
    case 2: {
        cv::Mat gray;
        cv::extractChannel(eightBit, gray, 0);
        cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
        break;
    }
    case 3: cv::cvtColor(eightBit, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(eightBit, rgb, cv::COLOR_BGRA2RGB); break;
    default: throw Error("unsupported channel count " + std::to_string(eightBit.channels()));
    }
    return rgb;
}

}  // namespace

cv::Mat decodeFidImage(const std::string& path) {
    const auto bytes = data::readFileBytes(path);
    const cv::Mat decoded = isNetpbm(bytes) ? decodeNetpbm(bytes, path) : data::decodeImage(bytes, path);
    try {
        return toRgbDroppingAlpha(data::toEightBit(decoded));
    } catch (const Error& e) {
        throw fileError(path, e.what());
    }
}

cv::Mat resizeSquare(const cv::Mat& rgb, int size) {
    if (rgb.cols == size && rgb.rows == size) return rgb;
    const bool shrinking = rgb.cols > size || rgb.rows > size;
    cv::Mat out;
    cv::resize(rgb, out, cv::Size(size, size), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
}

cv::Mat toNetworkInput(const cv::Mat& rgb, int channels, int size) {
    cv::Mat out = rgb;
    if (channels == 1) cv::cvtColor(rgb, out, cv::COLOR_RGB2GRAY);
    if (size > 0) out = resizeSquare(out, size);
    return out;
}

}  // namespace ds::fid
