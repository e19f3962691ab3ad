// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/image_folder_source.h"

#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/data/image_format.h"
#include "core/data/parallel_for.h"
#include "core/util/error.h"

#include <algorithm>
#include <filesystem>
#include <new>

namespace ds::data {
namespace fs = std::filesystem;
namespace {

void checkIsFolder(const std::string& root) {
    std::error_code ec;
    const fs::file_status status = fs::status(root, ec);
    if (!fs::exists(status)) throw fileError(root, "no such folder");
    if (!fs::is_directory(status)) throw fileError(root, "not a folder");
}

// Every regular file below `root`, sorted by path (byte order) for a deterministic index.
std::vector<std::string> listFiles(const std::string& root, const StopToken* stop) {
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    while (!ec && it != fs::recursive_directory_iterator()) {
        std::error_code typeError;
        if (it->is_regular_file(typeError)) files.push_back(it->path().string());
        throwIfStopped(stop);
        it.increment(ec);
    }
    if (ec) throw fileError(root, "cannot list the folder: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

// Throws ds::Error "path: problem" unless the file passes the check.
void checkFile(const std::string& path, const ImageFolderOptions& options, int channels) {
    if (options.check == FolderCheck::Signature) {
        const std::vector<uint8_t> head = readFileHead(path, kSniffBytes);
        if (head.empty()) throw fileError(path, "empty file");
        if (sniffImageFormat(head.data(), head.size()) == ImageFormat::Unknown)
            throw fileError(path, "not an image (unrecognised content)");
        return;
    }
    const cv::Mat decoded = decodeImage(readFileBytes(path), path);
    // The conversions that can refuse an image (odd depth or channel count); resizing cannot.
    try {
        toModelChannels(toEightBit(decoded), channels);
    } catch (const Error& e) {
        throw fileError(path, e.what());
    } catch (const cv::Exception& e) {
        throw fileError(path, e.err);
    }
}

// The problem with each file, "" where it is fine; checked in parallel.
std::vector<std::string> checkFiles(const std::vector<std::string>& files, const ImageFolderOptions& options,
                                    int channels, const StopToken* stop) {
    std::vector<std::string> problems(files.size());
    parallelFor(
        files.size(), chooseThreadCount(options.threads, 1, 8),
        [&](size_t i) {
            try {
                checkFile(files[i], options, channels);
            } catch (const Error& e) {
                problems[i] = e.what();
            } catch (const std::bad_alloc&) {
                problems[i] = files[i] + ": out of memory while decoding";
            }
        },
        stop);
    return problems;
}

std::string noImagesMessage(const ScanReport& report) {
    if (report.skipped == 0) return "no files found (an empty folder is no dataset)";
    std::string message = "no readable images: " + std::to_string(report.skipped) + " file(s) skipped";
    if (!report.firstSkipped.empty()) message += ", first: " + report.firstSkipped.front();
    return message;
}

}  // namespace

ImageFolderSource::ImageFolderSource(const std::string& root, ImageTransform transform, ImageFolderOptions options,
                                     const StopToken* stop)
    : root_(root), transform_(transform), options_(options) {
    validateTransform(transform_);
    checkIsFolder(root_);
    const std::vector<std::string> files = listFiles(root_, stop);
    const std::vector<std::string> problems = checkFiles(files, options_, transform_.channels, stop);
    ScanReport scan;
    for (size_t i = 0; i < files.size(); ++i) {
        if (problems[i].empty()) {
            paths_.push_back(files[i]);
        } else {
            ++scan.skipped;
            if (scan.firstSkipped.size() < options_.reportedNames) scan.firstSkipped.push_back(problems[i]);
        }
    }
    scan.images = paths_.size();
    if (paths_.empty()) throw fileError(root_, noImagesMessage(scan));
    if (options_.classSubfolders) assignLabels();
    failures_ = std::make_unique<LoadFailures>(std::move(scan), paths_.size(), options_.reportedNames);
}

size_t ImageFolderSource::size() const { return paths_.size(); }

std::vector<std::string> classSubfolderNames(const std::string& root) {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] != '.' && it->is_directory(ec)) names.push_back(name);
    }
    if (ec) throw fileError(root, "cannot be read: " + ec.message());
    std::sort(names.begin(), names.end());
    if (names.size() < 2)
        throw fileError(root, "has " + std::to_string(names.size()) +
                                  " class sub-folders; class-conditional training takes one sub-folder per class "
                                  "(at least two), as torchvision's ImageFolder");
    return names;
}

void ImageFolderSource::assignLabels() {
    classNames_ = classSubfolderNames(root_);
    const std::filesystem::path root(root_);
    std::vector<size_t> counts(classNames_.size(), 0);
    for (const auto& file : paths_) {
        const auto relative = std::filesystem::path(file).lexically_relative(root);
        const std::string first = relative.begin() == relative.end() ? std::string() : relative.begin()->string();
        const auto at = std::lower_bound(classNames_.begin(), classNames_.end(), first);
        if (std::distance(relative.begin(), relative.end()) < 2 || at == classNames_.end() || *at != first)
            throw fileError(file, "lies outside the class sub-folders of " + root_ +
                                      " (class-conditional training labels each image by its sub-folder)");
        labels_.push_back(int32_t(at - classNames_.begin()));
        ++counts[size_t(at - classNames_.begin())];
    }
    for (size_t c = 0; c < counts.size(); ++c)
        if (counts[c] == 0) throw fileError(root_ + "/" + classNames_[c], "holds no readable image: an empty class");
}

int64_t ImageFolderSource::label(size_t index) const {
    if (labels_.empty()) return ImageSource::label(index);
    path(index);  // range check
    return labels_[index];
}

const std::string& ImageFolderSource::path(size_t index) const {
    if (index >= paths_.size())
        throw Error("image index " + std::to_string(index) + " out of range (" + std::to_string(paths_.size()) +
                    " images)");
    return paths_[index];
}

api::Image ImageFolderSource::loadFile(size_t index) const {
    const std::string& file = paths_[index];
    const cv::Mat decoded = decodeImage(readFileBytes(file), file);
    try {
        return prepareImage(decoded, transform_);
    } catch (const Error& e) {
        throw fileError(file, e.what());
    } catch (const cv::Exception& e) {
        throw fileError(file, e.err);
    }
}

api::Image ImageFolderSource::load(size_t index) const {
    path(index);  // range check
    return failures_->loadWithFallback(
        index, [this](size_t i) { return loadFile(i); }, root_);
}

ImageTransform ImageFolderSource::transform() const { return transform_; }

std::string ImageFolderSource::describe() const {
    const ScanReport now = report();
    return "image folder " + root_ + " (" + std::to_string(now.images) + " images, " + std::to_string(now.skipped) +
           " skipped; " + describeTransform(transform_) + ")";
}

ScanReport ImageFolderSource::report() const { return failures_->report(); }

}  // namespace ds::data
