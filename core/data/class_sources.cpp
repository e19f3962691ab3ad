// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/class_sources.h"

#include "core/lmdb/lmdb_environment.h"
#include "core/util/error.h"

#include <algorithm>
#include <filesystem>

namespace ds::data {

ClassSources::ClassSources(std::vector<std::shared_ptr<const ImageSource>> sources, std::vector<std::string> names)
    : sources_(std::move(sources)), names_(std::move(names)) {
    if (sources_.size() < 2) throw Error("class-conditional training over several sources needs at least two");
    if (names_.size() != sources_.size()) throw Error("one class name per source is needed");
    const auto transform = sources_.front()->transform();
    for (size_t i = 0; i < sources_.size(); ++i) {
        if (sources_[i]->size() == 0) throw Error(names_[i] + ": " + sources_[i]->describe() + " holds no image");
        const auto t = sources_[i]->transform();
        if (t.size != transform.size || t.channels != transform.channels)
            throw Error("the sources of a class-conditional run must deliver one image shape");
        starts_.push_back(total_);
        total_ += sources_[i]->size();
    }
}

std::pair<size_t, size_t> ClassSources::locate(size_t index) const {
    if (index >= total_)
        throw Error("image index " + std::to_string(index) + " out of range (" + std::to_string(total_) + " images)");
    const size_t source = size_t(std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin()) - 1;
    return {source, index - starts_[source]};
}

api::Image ClassSources::load(size_t index) const {
    const auto [source, local] = locate(index);
    return sources_[source]->load(local);
}

int64_t ClassSources::label(size_t index) const { return int64_t(locate(index).first); }

std::string ClassSources::describe() const {
    std::string s = std::to_string(sources_.size()) + " classes, " + std::to_string(total_) + " images:";
    for (size_t i = 0; i < sources_.size(); ++i)
        s += std::string(i ? ";" : "") + " " + std::to_string(i) + " " + names_[i] + " (" + sources_[i]->describe() +
             ")";
    return s;
}

std::string lmdbClassName(const std::string& path) {
    std::filesystem::path p(path);
    if (p.filename().empty()) p = p.parent_path();  // a trailing slash
    std::string name = p.filename().string();
    for (const std::string suffix : {"_train_lmdb", "_val_lmdb", "_lmdb"})
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return name.substr(0, name.size() - suffix.size());
    return name;
}

std::vector<std::string> splitClassLmdbs(const std::string& data) {
    std::error_code ec;
    if (data.find(',') == std::string::npos || std::filesystem::exists(data, ec)) return {};
    std::vector<std::string> parts;
    size_t begin = 0;
    while (begin <= data.size()) {
        const size_t end = std::min(data.find(',', begin), data.size());
        if (end > begin) parts.push_back(data.substr(begin, end - begin));
        begin = end + 1;
    }
    for (const auto& part : parts)
        if (!lmdb::isLmdbDirectory(part))
            throw fileError(part,
                            "is not an LMDB folder (holding data.mdb): several --data paths, separated by "
                            "commas, name one LSUN LMDB per class");
    return parts;
}

}  // namespace ds::data
