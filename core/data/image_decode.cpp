// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/image_decode.h"

#include "core/data/image_format.h"
#include "core/util/error.h"

#include <opencv2/imgcodecs.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

namespace ds::data {
namespace {

std::ifstream openForReading(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    return in;
}

}  // namespace

std::vector<uint8_t> readFileBytes(const std::string& path) {
    std::ifstream in = openForReading(path);
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw fileError(path, "cannot determine the size");
    in.seekg(0, std::ios::beg);
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw fileError(path, "read error");
    return bytes;
}

std::vector<uint8_t> readFileHead(const std::string& path, size_t count) {
    std::ifstream in = openForReading(path);
    std::vector<uint8_t> bytes(count);
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(count));
    bytes.resize(static_cast<size_t>(in.gcount()));
    return bytes;
}

cv::Mat decodeImage(const std::vector<uint8_t>& bytes, const std::string& name) {
    return decodeImage(bytes.data(), bytes.size(), name);
}

cv::Mat decodeImage(const uint8_t* data, size_t size, const std::string& name) {
    if (size == 0) throw fileError(name, "empty file");
    const ImageFormat format = sniffImageFormat(data, size);
    const std::string problem = containerProblem(format, data, size);
    if (!problem.empty()) throw fileError(name, problem);
    if (size > size_t(std::numeric_limits<int>::max())) throw fileError(name, "file too large to decode");
    cv::Mat image;
    try {
        // imdecode does not modify its input; the const_cast only satisfies cv::Mat's constructor.
        const cv::Mat encoded(1, int(size), CV_8U, const_cast<uint8_t*>(data));
        image = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw fileError(name, std::string("cannot decode ") + imageFormatName(format) + ": " + e.err);
    }
    if (image.empty())
        throw fileError(name,
                        std::string("cannot decode ") + imageFormatName(format) + " (corrupt or unsupported data)");
    return image;
}

}  // namespace ds::data
