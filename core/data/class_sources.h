// SPDX-License-Identifier: GPL-3.0-or-later
// Several image sources as the classes of one labelled source: LSUN's categories, each an LMDB
// of its own (bedroom_train_lmdb, church_outdoor_train_lmdb, ...), trained on together by a
// class-conditional run. Image indices run over the first source, then the second, ...; an
// image's label is the number of the source it comes from.
#pragma once
#include "core/data/image_source.h"

#include <memory>
#include <string>
#include <vector>

namespace ds::data {

class ClassSources : public ImageSource {
public:
    // `names` in label order, one per source; the sources must share one transform. Throws
    // ds::Error for fewer than two sources, or an empty one.
    ClassSources(std::vector<std::shared_ptr<const ImageSource>> sources, std::vector<std::string> names);

    size_t size() const override { return total_; }
    api::Image load(size_t index) const override;
    ImageTransform transform() const override { return sources_.front()->transform(); }
    std::string describe() const override;
    std::vector<std::string> classNames() const override { return names_; }
    int64_t label(size_t index) const override;

private:
    // The source holding `index` and the index within it.
    std::pair<size_t, size_t> locate(size_t index) const;

    std::vector<std::shared_ptr<const ImageSource>> sources_;
    std::vector<std::string> names_;
    std::vector<size_t> starts_;  // the first index of each source
    size_t total_ = 0;
};

// A class name for an LMDB folder, as LSUN names its files: "church_outdoor_train_lmdb" ->
// "church_outdoor" (the _train_lmdb, _val_lmdb or _lmdb suffix dropped), else the folder's name.
std::string lmdbClassName(const std::string& path);

// `data` naming several LMDB folders separated by commas (what `train --data A,B` gives for a
// class-conditional run over LSUN categories): the folders; empty when `data` is one path.
std::vector<std::string> splitClassLmdbs(const std::string& data);

}  // namespace ds::data
