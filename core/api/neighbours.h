// SPDX-License-Identifier: GPL-3.0-or-later
// Nearest neighbours: each generated image beside the training images closest to it, in a
// feature network's space (pytorch-fid's Inception pool features or a feature classifier's, as
// `fid` computes them, from the same cache) or in pixel space. Sorted by the distance to the
// nearest one, so the images most likely memorised come first. The job behind
// `diffusion-studio-cli neighbours` and the FID page's "Nearest neighbours". Torch-free interface.
#pragma once
#include "core/api/fid.h"
#include "core/api/image.h"
#include "core/api/job_sink.h"
#include "core/api/names.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::api {

enum class NeighbourSpace { Features, Pixels };

struct NeighboursRequest {
    // path1: the generated images (a folder or a built-in set); path2: the training images (a
    // folder or a built-in set such as fashion-mnist-train). The feature network and the
    // extraction options as for `fid` (features, dims, batchSize, numWorkers, device, weights,
    // weightsSetting, useCache, cacheDir, fashionMnistDir; resize: each image to S x S first).
    // kid and prdc are ignored.
    FidRequest sets;
    NeighbourSpace space = NeighbourSpace::Features;
    int k = 3;           // training images per generated one
    int sheetRows = 32;  // generated images on the sheet, the closest first (0: all of them)
    int thumbnail = 0;   // a sheet cell's side in pixels (0: from the images' size, 64 to 128)
    int sheetWidth = 0;  // > 0: rows side by side, as many as fit this width (read left to right); 0: one column
};

struct NeighbourMatch {
    int64_t index = 0;  // in the training set's order (a folder's sorted file list)
    std::string name;   // the file, or "fashion-mnist-train #index"
    double distance = 0.0;
};

struct NeighbourRow {
    int64_t index = 0;  // in the generated set's order
    std::string name;
    std::vector<NeighbourMatch> neighbours;  // the k nearest, closest first
};

struct NeighboursResult {
    std::vector<NeighbourRow> rows;  // every generated image, by its nearest distance, closest first
    NeighbourSpace space = NeighbourSpace::Features;
    std::string spaceLabel;  // e.g. "Inception (2048-d)", "fashion-mnist classifier, 128-d", "pixels (32x32 RGB)"
    int k = 0;
    int64_t generatedCount = 0;
    int64_t trainingCount = 0;
    Image sheet;  // the first sheetRows rows: generated image | its k neighbours, with distances
    double seconds = 0.0;
    std::vector<std::string> warnings;
};

// Throws ds::Error for bad input (naming the file: a statistics file, an unreadable image),
// ds::Cancelled when stopped. Progress in images (both sets), then in generated images searched.
NeighboursResult findNeighbours(const NeighboursRequest& request, JobSink& sink, const StopToken& stop);

// Writes result.sheet as a PNG (atomically) that records what it shows as text chunks
// (ds.neighbours.space, .k, .generated, .training). Throws ds::Error naming `path`.
void saveNeighbourSheet(const NeighboursResult& result, const NeighboursRequest& request, const std::string& path);

namespace names {
inline constexpr Table<NeighbourSpace, 2> kNeighbourSpaces{
    {{NeighbourSpace::Features, "features"}, {NeighbourSpace::Pixels, "pixels"}}};
}

}  // namespace ds::api
