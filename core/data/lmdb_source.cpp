// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/lmdb_source.h"

#include "core/data/image_conversion.h"
#include "core/data/image_decode.h"
#include "core/lmdb/lmdb_transaction.h"
#include "core/util/error.h"

namespace ds::data {

LmdbSource::LmdbSource(const std::string& directory, ImageTransform transform, const StopToken* stop,
                       size_t reportedNames)
    : directory_(directory), transform_(transform) {
    validateTransform(transform_);
    env_ = std::make_unique<lmdb::LmdbEnvironment>(directory_, lmdb::ReadPattern::Random);
    ScanReport scan;
    keys_ = lmdb::LmdbKeyList::read(*env_, stop, [&](std::string_view key, size_t valueSize) {
        if (valueSize > 0) return true;
        ++scan.skipped;
        if (scan.firstSkipped.size() < reportedNames) scan.firstSkipped.push_back(std::string(key) + ": empty value");
        return false;
    });
    scan.images = keys_.size();
    if (keys_.empty())
        throw fileError(directory_,
                        scan.skipped ? "no images: every entry of the LMDB is empty" : "empty LMDB (no entries)");
    failures_ = std::make_unique<LoadFailures>(std::move(scan), keys_.size(), reportedNames);
}

size_t LmdbSource::size() const { return keys_.size(); }

std::string LmdbSource::key(size_t index) const {
    if (index >= keys_.size())
        throw Error("image index " + std::to_string(index) + " out of range (" + std::to_string(keys_.size()) +
                    " images)");
    return std::string(keys_[index]);
}

api::Image LmdbSource::loadEntry(size_t index) const {
    const std::string name = directory_ + ": key " + std::string(keys_[index]);
    const lmdb::LmdbReadTransaction txn(*env_);
    const auto value = txn.get(keys_[index]);
    if (!value) throw Error(name + ": entry disappeared");
    const cv::Mat decoded = decodeImage(reinterpret_cast<const uint8_t*>(value->data()), value->size(), name);
    try {
        return prepareImage(decoded, transform_);
    } catch (const Error& e) {
        throw Error(name + ": " + e.what());
    } catch (const cv::Exception& e) {
        throw Error(name + ": " + e.err);
    }
}

api::Image LmdbSource::load(size_t index) const {
    key(index);  // range check
    return failures_->loadWithFallback(
        index, [this](size_t i) { return loadEntry(i); }, directory_);
}

ImageTransform LmdbSource::transform() const { return transform_; }

std::string LmdbSource::describe() const {
    const ScanReport now = report();
    return "LMDB " + directory_ + " (" + std::to_string(now.images) + " images, " + std::to_string(now.skipped) +
           " skipped; " + describeTransform(transform_) + ")";
}

ScanReport LmdbSource::report() const { return failures_->report(); }

}  // namespace ds::data
