// SPDX-License-Identifier: GPL-3.0-or-later
// An LMDB of encoded images (an LSUN database) as training data, read in place: no export.
// Entries are indexed in key order; each load() decodes one value straight from the memory map
// and converts it as every source does (image_conversion.h).
#pragma once
#include "core/data/image_source.h"
#include "core/data/load_failures.h"
#include "core/lmdb/lmdb_environment.h"
#include "core/lmdb/lmdb_key_list.h"
#include "core/util/stop_token.h"

#include <memory>
#include <string>

namespace ds::data {

class LmdbSource : public ImageSource {
public:
    // Opens `directory` read-only and lists its keys (one pass over the B-tree's leaves; the
    // values themselves are not read, so opening LSUN bedroom's 3 million entries takes seconds,
    // not the hours of decoding them). Empty values are left out and reported. Throws ds::Error
    // naming the directory when it is not an LMDB or holds no non-empty entry; ds::Cancelled
    // when `stop` is requested.
    LmdbSource(const std::string& directory, ImageTransform transform, const StopToken* stop = nullptr,
               size_t reportedNames = 5);

    size_t size() const override;
    // An entry that does not decode is recorded in report() and replaced by the next readable
    // one in key order (LoadFailures), so a corrupt entry never stops a run.
    api::Image load(size_t index) const override;
    ImageTransform transform() const override;
    std::string describe() const override;

    ScanReport report() const;
    std::string key(size_t index) const;

private:
    api::Image loadEntry(size_t index) const;

    std::string directory_;
    ImageTransform transform_;
    std::unique_ptr<lmdb::LmdbEnvironment> env_;
    lmdb::LmdbKeyList keys_;
    std::unique_ptr<LoadFailures> failures_;
};

}  // namespace ds::data
