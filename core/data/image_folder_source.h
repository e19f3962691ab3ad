// SPDX-License-Identifier: GPL-3.0-or-later
// A folder tree of image files (a user's own dataset, or an exported LSUN scene) as training data.
#pragma once
#include "core/data/image_source.h"
#include "core/data/load_failures.h"
#include "core/util/stop_token.h"

#include <memory>
#include <string>
#include <vector>

namespace ds::data {

// How thoroughly the files are checked when the folder is opened.
enum class FolderCheck {
    // Every file is read and decoded (on a thread pool), so a corrupt image is found and
    // reported before training starts. The default.
    Decode,
    // Only the first bytes (the format signature) are checked: fast for huge folders. A file
    // that then fails to decode is handled at load time (see ImageFolderSource::load).
    Signature,
};

struct ImageFolderOptions {
    FolderCheck check = FolderCheck::Decode;
    int threads = 0;           // scanning threads; 0: the hardware threads, at most 8
    size_t reportedNames = 5;  // how many skipped files ScanReport::firstSkipped names
    // Labels from the root's sub-folders, as torchvision's ImageFolder: the classes are their
    // names in sorted order, an image's label is the folder it lies in (at any depth below it).
    bool classSubfolders = false;
};

// The class sub-folders of `root` in label order (sorted names; hidden ones skipped): what an
// ImageFolderSource with classSubfolders labels by, known without scanning the images. Throws
// ds::Error naming `root` when it has fewer than two.
std::vector<std::string> classSubfolderNames(const std::string& root);

class ImageFolderSource : public ImageSource {
public:
    // Scans `root` recursively (regular files; symbolic links to files followed, to folders not,
    // so a link cannot make a cycle). Formats are recognised by content (JPEG, PNG, WebP, BMP,
    // TIFF), never by name. Images are indexed in sorted path order, so indices are the same on
    // every run and every machine holding the same files. Throws ds::Error before any training
    // when `root` is missing, or holds no readable image; ds::Cancelled when `stop` is requested.
    ImageFolderSource(const std::string& root, ImageTransform transform, ImageFolderOptions options = {},
                      const StopToken* stop = nullptr);

    size_t size() const override;
    // The decoded file converted to the transform (see image_conversion.h: alpha over white,
    // 16-bit scaled, shorter side resized, INTER_AREA down / INTER_CUBIC up, centre crop). A file
    // that fails now (changed since the scan, or never decoded under FolderCheck::Signature) is
    // recorded in report() and replaced by the next readable image in index order, so that one
    // bad file never stops a long run. Throws ds::Error only when no readable image is left.
    api::Image load(size_t index) const override;
    ImageTransform transform() const override;
    std::string describe() const override;
    std::vector<std::string> classNames() const override { return classNames_; }
    int64_t label(size_t index) const override;

    // A snapshot: the scan's findings plus files that failed later in load().
    ScanReport report() const;
    const std::string& root() const { return root_; }
    const std::string& path(size_t index) const;

private:
    api::Image loadFile(size_t index) const;
    void assignLabels();

    std::string root_;
    ImageTransform transform_;
    ImageFolderOptions options_;
    std::vector<std::string> paths_;
    std::vector<std::string> classNames_;     // classSubfolders: the sub-folders' names
    std::vector<int32_t> labels_;             // classSubfolders: each path's class
    std::unique_ptr<LoadFailures> failures_;  // the scan's report, then load()'s failures
};

}  // namespace ds::data
