// SPDX-License-Identifier: GPL-3.0-or-later
// Precision/recall (torch-fidelity's metric_prc.py) and density/coverage (clovaai's prdc.py) on
// feature matrices: generated (N x D, FID's PATH1) against real (M x D, PATH2). The metrics are
// described in core/api/prdc.h; this is what the FID job calls with the features it extracted.
//
// Each package's arithmetic is mirrored, as its counts turn on comparisons of distances:
// - torch-fidelity: torch.cdist on its blocks of prc_batch_size x prc_batch_size, which (either
//   block over 25 rows) is sqrt(max(0, [-2x, |x|^2, 1] . [y, 1, |y|^2])) in the features'
//   precision (float32); the radius is the (k+1)-th smallest distance of a row (kthvalue: the
//   point itself, at ~0, counts once; a duplicate counts as a neighbour); inside is <=. Its
//   default save_cpu_ram=False path compares one real x generated matrix both ways.
// - clovaai: sklearn's pairwise_distances, which for float32 features forms |x|^2 + |y|^2 - 2 x.y
//   in float64 (products of upcast features), rounds it to float32, clamps at 0 and takes a
//   float32 square root (float64 throughout for float64 features); self distances are set to 0;
//   the radius is the (k+1)-th smallest; inside is <.
// Neither needs N x M memory here: distances are formed block by block (batch x batch, rows
// split over LibTorch's threads when OpenBLAS runs on the calling thread), and each block is
// reduced at once (running k smallest per row, running minima, "inside any ball" flags).
//
// Bit-for-bit equality with the packages is not possible in general: OpenBLAS's sgemm rounds
// differently with its thread count and matrix shapes (so does torch-fidelity itself from run
// to run). Distances agree to float rounding (~1e-7 relative); a count can differ only where a
// distance lies within that of a radius.
#pragma once
#include "core/api/prdc.h"
#include "core/util/stop_token.h"

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>

namespace ds::fid {

// Called after each block with distances computed so far and in all.
using PrdcProgress = std::function<void(int64_t done, int64_t total)>;

// Both packages' metrics (clovaai's only when options.densityCoverage). Features on any device,
// float32 (as extracted) or float64 (then both packages work in float64); other types become
// float32, and a float32/float64 pair float64 (as sklearn does). Throws ds::Error for bad input
// (see api::computePrdc), ds::Cancelled when stopped.
api::PrdcResult precisionRecallDensityCoverage(const torch::Tensor& generated, const torch::Tensor& real,
                                               const api::PrdcOptions& options = {}, const PrdcProgress& progress = {},
                                               const StopToken* stop = nullptr);

// The two computations on their own (tests, and callers that want one). Inputs as above,
// already validated and of one floating type; batch >= 1.
struct TorchFidelityPrc {
    int64_t precisionCount = 0;
    int64_t recallCount = 0;
    torch::Tensor radiiGenerated;  // (N) its k-NN radii, the features' type
    torch::Tensor radiiReal;       // (M)
};
TorchFidelityPrc torchFidelityPrecisionRecall(const torch::Tensor& generated, const torch::Tensor& real, int k,
                                              int64_t batch, const PrdcProgress& progress = {},
                                              const StopToken* stop = nullptr);

struct ClovaaiPrdc {
    int64_t precisionCount = 0;
    int64_t recallCount = 0;
    int64_t densityCount = 0;
    int64_t coverageCount = 0;
    torch::Tensor radiiGenerated;  // (N) float32 for float32 features, else float64
    torch::Tensor radiiReal;       // (M)
};
ClovaaiPrdc clovaaiPrdc(const torch::Tensor& generated, const torch::Tensor& real, int k, int64_t batch,
                        const PrdcProgress& progress = {}, const StopToken* stop = nullptr);

// One block of distances as each package forms it (exposed for tests). `diagonal`, for a block
// of a set against itself, is the column offset of each row's own point (row r is column
// r + diagonal: the block's first row index minus its first column index); clovaai's
// self-distances (sklearn's diagonal) are then 0.
torch::Tensor torchFidelityDistances(const torch::Tensor& rows, const torch::Tensor& columns);
torch::Tensor clovaaiDistances(const torch::Tensor& rows, const torch::Tensor& columns,
                               std::optional<int64_t> diagonal = std::nullopt);

}  // namespace ds::fid
