// SPDX-License-Identifier: GPL-3.0-or-later
// Precision/recall and density/coverage of two borrowed feature matrices (core/api/prdc.h).
#include "core/api/prdc.h"
#include "core/fid/prdc.h"
#include "core/util/error.h"
#include "core/util/progress_meter.h"

#include <optional>

namespace ds::api {

namespace {

torch::Tensor borrowed(const FeatureMatrixView& view, const char* name) {
    if (!view.data || view.rows < 1 || view.dims < 1) throw Error(std::string("no ") + name + " features");
    return torch::from_blob(const_cast<float*>(view.data), {view.rows, view.dims}, torch::kFloat);
}

}  // namespace

PrdcResult computePrdc(const FeatureMatrixView& generated, const FeatureMatrixView& real, const PrdcOptions& options,
                       JobSink& sink, const StopToken& stop) {
    std::optional<ProgressMeter> meter;  // started by the first call, (0, total), before any work
    const auto progress = [&](int64_t done, int64_t total) {
        if (!meter) meter.emplace(total, "distances");
        sink.onProgress(meter->at(done));
    };
    return fid::precisionRecallDensityCoverage(borrowed(generated, "generated"), borrowed(real, "real"), options,
                                               progress, &stop);
}

}  // namespace ds::api
