// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/fid/prdc.h"

#include "core/util/blas_threads.h"
#include "core/util/elapsed.h"
#include "core/util/error.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

namespace ds::fid {

namespace {

// Rows of a distance block formed by one matrix product: small enough that clovaai's float64
// products of a 10000-column block stay at 40 MB per thread, large enough that OpenBLAS's
// packing of the columns (once per product) costs well under 1% of the product.
constexpr int64_t kChunkRows = 512;

// Runs fn(begin, end) over [0, rows) in chunks of kChunkRows. The chunks go to LibTorch's
// threads when OpenBLAS works on the calling thread (as the app and CLI arrange: each product
// then runs on one core); otherwise in turn, and OpenBLAS spreads each product.
template <typename Fn>
void forRowChunks(int64_t rows, const StopToken* stop, const Fn& fn) {
    const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
    const auto body = [&](int64_t first, int64_t last) {
        c10::InferenceMode inference;  // thread-local: LibTorch's workers do not inherit the caller's
        for (int64_t c = first; c < last; ++c) {
            if (stop && stop->stopRequested()) return;
            fn(c * kChunkRows, std::min(rows, (c + 1) * kChunkRows));
        }
    };
    if (chunks > 1 && at::get_num_threads() > 1 && openBlasThreads() <= 1 && !at::in_parallel_region())
        at::parallel_for(0, chunks, 1, body);
    else body(0, chunks);
    throwIfStopped(stop);
}

// The blocks torch-fidelity's features.split(batch) makes.
std::vector<torch::Tensor> splitRows(const torch::Tensor& features, int64_t batch) { return features.split(batch, 0); }

class WorkCounter {
public:
    WorkCounter(int64_t total, const PrdcProgress& progress, const StopToken* stop)
        : total_(total), progress_(progress), stop_(stop) {
        if (progress_) progress_(0, total_);
    }
    void add(int64_t distances) {
        done_ += distances;
        if (progress_) progress_(done_, total_);
        throwIfStopped(stop_);
    }
    const StopToken* stop() const { return stop_; }

private:
    int64_t total_;
    int64_t done_ = 0;
    const PrdcProgress& progress_;
    const StopToken* stop_;
};

using DistanceFn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, std::optional<int64_t>,
                                     const StopToken*);

torch::Tensor torchFidelityBlock(const torch::Tensor& rows, const torch::Tensor& columns, std::optional<int64_t>,
                                 const StopToken* stop);
torch::Tensor clovaaiBlock(const torch::Tensor& rows, const torch::Tensor& columns, std::optional<int64_t> diagonal,
                           const StopToken* stop);

// The (k+1)-th smallest distance of each point of `set` to the set (itself included, so the
// distance to its k-th neighbour): torch-fidelity's kthvalue(k + 1), clovaai's get_kth_value
// (the largest of the k + 1 smallest). Each column block's k + 1 smallest per row join the
// running ones; a value may repeat (duplicates), counted as often as it occurs.
torch::Tensor kNearestRadii(const torch::Tensor& set, int k, int64_t batch, DistanceFn distances, WorkCounter& work) {
    const auto blocks = splitRows(set, batch);
    std::vector<torch::Tensor> radii;
    int64_t rowStart = 0;
    for (const auto& rows : blocks) {
        torch::Tensor smallest;
        int64_t columnStart = 0;
        for (const auto& columns : blocks) {
            const auto block = distances(rows, columns, rowStart - columnStart, work.stop());
            const auto kSmallest = [&](const torch::Tensor& t) {
                return std::get<0>(t.topk(std::min<int64_t>(k + 1, t.size(1)), 1, /*largest=*/false, /*sorted=*/false));
            };
            smallest = smallest.defined() ? kSmallest(torch::cat({smallest, kSmallest(block)}, 1)) : kSmallest(block);
            columnStart += columns.size(0);
            work.add(rows.size(0) * columns.size(0));
        }
        radii.push_back(std::get<0>(smallest.max(1)));
        rowStart += rows.size(0);
    }
    return torch::cat(radii);
}

torch::Tensor torchFidelityBlock(const torch::Tensor& rows, const torch::Tensor& columns, std::optional<int64_t>,
                                 const StopToken* stop) {
    // torch.cdist(x1, x2) with compute_mode "use_mm_for_euclid_dist_if_necessary": the direct
    // formula when neither side has more than 25 rows, else the matrix product (ATen's
    // _euclidean_dist), restated so that its rows can be spread over threads.
    if (rows.size(0) <= 25 && columns.size(0) <= 25) return torch::cdist(rows, columns);
    const auto columnNorms = columns.pow(2).sum(-1, true);
    const auto y = torch::cat({columns, torch::ones_like(columnNorms), columnNorms}, -1);
    auto out = torch::empty({rows.size(0), columns.size(0)}, rows.options());
    forRowChunks(rows.size(0), stop, [&](int64_t begin, int64_t end) {
        const auto x = rows.slice(0, begin, end);
        const auto norms = x.pow(2).sum(-1, true);
        auto slice = out.slice(0, begin, end);
        torch::mm_out(slice, torch::cat({x.mul(-2), norms, torch::ones_like(norms)}, -1), y.t());
        slice.clamp_min_(0).sqrt_();
    });
    return out;
}

torch::Tensor clovaaiBlock(const torch::Tensor& rows, const torch::Tensor& columns, std::optional<int64_t> diagonal,
                           const StopToken* stop) {
    // sklearn's euclidean_distances: -2 x.y + |x|^2 + |y|^2 in float64 (float32 features upcast
    // chunk by chunk, the result rounded back to float32), clamped at 0, square-rooted in the
    // result's type; pairwise_distances zeroes a set's distances to itself.
    const auto y = columns.to(torch::kDouble);
    const auto yy = y.pow(2).sum(1).unsqueeze(0);
    auto out = torch::empty({rows.size(0), columns.size(0)}, rows.options());
    forRowChunks(rows.size(0), stop, [&](int64_t begin, int64_t end) {
        const auto x = rows.slice(0, begin, end).to(torch::kDouble);
        const auto xx = x.pow(2).sum(1).unsqueeze(1);
        auto slice = out.slice(0, begin, end);
        slice.copy_(torch::mm(x, y.t()).mul_(-2).add_(xx).add_(yy));
        slice.clamp_min_(0).sqrt_();
    });
    if (diagonal) out.diagonal(*diagonal).zero_();  // (r, r + diagonal): a point and itself
    return out;
}

void checkSets(const torch::Tensor& generated, const torch::Tensor& real, int k, int64_t batch) {
    if (generated.dim() != 2 || real.dim() != 2)
        throw Error("precision/recall needs two feature matrices (one row of features per image)");
    if (generated.size(1) != real.size(1))
        throw Error("the feature sets have different dimensions (" + std::to_string(generated.size(1)) + " and " +
                    std::to_string(real.size(1)) + ")");
    if (k < 1) throw Error("the neighbourhood k must be at least 1 (got " + std::to_string(k) + ")");
    if (batch < 1) throw Error("the batch size of the distances must be at least 1");
    for (const auto* set : {&generated, &real})
        if (set->size(0) < k + 1)
            throw Error("k = " + std::to_string(k) + " nearest neighbours need at least " + std::to_string(k + 1) +
                        " feature vectors per set (got " + std::to_string(generated.size(0)) + " generated and " +
                        std::to_string(real.size(0)) + " real)");
}

// The real x generated blocks, in torch-fidelity's order (its dist_2_1): fn(realBlock,
// generatedBlock, distances, realStart, generatedStart) for each.
template <typename Fn>
void crossBlocks(const torch::Tensor& generated, const torch::Tensor& real, int64_t batch, DistanceFn distances,
                 WorkCounter& work, const Fn& fn) {
    int64_t realStart = 0;
    for (const auto& rows : splitRows(real, batch)) {
        int64_t generatedStart = 0;
        for (const auto& columns : splitRows(generated, batch)) {
            fn(distances(rows, columns, std::nullopt, work.stop()), realStart, generatedStart);
            generatedStart += columns.size(0);
            work.add(rows.size(0) * columns.size(0));
        }
        realStart += rows.size(0);
    }
}

int64_t distancesOf(int64_t n, int64_t m) { return n * n + m * m + n * m; }

TorchFidelityPrc torchFidelityWith(const torch::Tensor& generated, const torch::Tensor& real, int k, int64_t batch,
                                   WorkCounter& work) {
    TorchFidelityPrc result;
    result.radiiGenerated = kNearestRadii(generated, k, batch, torchFidelityBlock, work);
    result.radiiReal = kNearestRadii(real, k, batch, torchFidelityBlock, work);
    // Recall: each real point inside some generated point's ball; precision: each generated
    // point inside some real point's ball. Both from the same real x generated distances.
    auto insideGenerated = torch::zeros({real.size(0)}, torch::kBool);
    auto insideReal = torch::zeros({generated.size(0)}, torch::kBool);
    crossBlocks(generated, real, batch, torchFidelityBlock, work,
                [&](const torch::Tensor& d, int64_t realStart, int64_t generatedStart) {
                    const auto rr = result.radiiReal.slice(0, realStart, realStart + d.size(0)).unsqueeze(1);
                    const auto rg =
                        result.radiiGenerated.slice(0, generatedStart, generatedStart + d.size(1)).unsqueeze(0);
                    insideGenerated.slice(0, realStart, realStart + d.size(0)).logical_or_(d.le(rg).any(1));
                    insideReal.slice(0, generatedStart, generatedStart + d.size(1)).logical_or_(d.le(rr).any(0));
                });
    result.precisionCount = insideReal.sum().item<int64_t>();
    result.recallCount = insideGenerated.sum().item<int64_t>();
    return result;
}

ClovaaiPrdc clovaaiWith(const torch::Tensor& generated, const torch::Tensor& real, int k, int64_t batch,
                        WorkCounter& work) {
    ClovaaiPrdc result;
    // compute_prdc's order: real radii, fake radii, then the real x fake distances.
    result.radiiReal = kNearestRadii(real, k, batch, clovaaiBlock, work);
    result.radiiGenerated = kNearestRadii(generated, k, batch, clovaaiBlock, work);
    auto insideReal = torch::zeros({generated.size(0)}, torch::kBool);
    auto insideGenerated = torch::zeros({real.size(0)}, torch::kBool);
    auto nearestGenerated =
        torch::full({real.size(0)}, std::numeric_limits<double>::infinity(), result.radiiReal.options());
    int64_t density = 0;
    crossBlocks(generated, real, batch, clovaaiBlock, work,
                [&](const torch::Tensor& d, int64_t realStart, int64_t generatedStart) {
                    const int64_t realEnd = realStart + d.size(0);
                    const auto rr = result.radiiReal.slice(0, realStart, realEnd).unsqueeze(1);
                    const auto rg =
                        result.radiiGenerated.slice(0, generatedStart, generatedStart + d.size(1)).unsqueeze(0);
                    const auto inside = d.lt(rr);  // generated point (column) inside real ball (row)
                    density += inside.sum().item<int64_t>();
                    insideReal.slice(0, generatedStart, generatedStart + d.size(1)).logical_or_(inside.any(0));
                    insideGenerated.slice(0, realStart, realEnd).logical_or_(d.lt(rg).any(1));
                    auto nearest = nearestGenerated.slice(0, realStart, realEnd);
                    nearest.copy_(torch::minimum(nearest, std::get<0>(d.min(1))));
                });
    result.precisionCount = insideReal.sum().item<int64_t>();
    result.recallCount = insideGenerated.sum().item<int64_t>();
    result.densityCount = density;
    result.coverageCount = nearestGenerated.lt(result.radiiReal).sum().item<int64_t>();
    return result;
}

// One floating type for both sets, on the CPU, contiguous (sklearn: float32 only when both are).
std::pair<torch::Tensor, torch::Tensor> prepared(const torch::Tensor& generated, const torch::Tensor& real) {
    const auto floating = [](const torch::Tensor& t) {
        return t.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    };
    const auto type =
        floating(generated) == torch::kFloat && floating(real) == torch::kFloat ? torch::kFloat : torch::kDouble;
    return {generated.to(torch::kCPU, type).contiguous(), real.to(torch::kCPU, type).contiguous()};
}

}  // namespace

TorchFidelityPrc torchFidelityPrecisionRecall(const torch::Tensor& generated, const torch::Tensor& real, int k,
                                              int64_t batch, const PrdcProgress& progress, const StopToken* stop) {
    checkSets(generated, real, k, batch);
    c10::InferenceMode inference;
    const auto [g, r] = prepared(generated, real);
    WorkCounter work(distancesOf(g.size(0), r.size(0)), progress, stop);
    return torchFidelityWith(g, r, k, batch, work);
}

ClovaaiPrdc clovaaiPrdc(const torch::Tensor& generated, const torch::Tensor& real, int k, int64_t batch,
                        const PrdcProgress& progress, const StopToken* stop) {
    checkSets(generated, real, k, batch);
    c10::InferenceMode inference;
    const auto [g, r] = prepared(generated, real);
    WorkCounter work(distancesOf(g.size(0), r.size(0)), progress, stop);
    return clovaaiWith(g, r, k, batch, work);
}

api::PrdcResult precisionRecallDensityCoverage(const torch::Tensor& generated, const torch::Tensor& real,
                                               const api::PrdcOptions& options, const PrdcProgress& progress,
                                               const StopToken* stop) {
    const auto start = std::chrono::steady_clock::now();
    checkSets(generated, real, options.neighbourhood, options.batchSize);
    if (options.densityCoverage) checkSets(generated, real, options.nearestK, options.batchSize);
    c10::InferenceMode inference;
    const auto [g, r] = prepared(generated, real);
    if (!torch::isfinite(g).all().item<bool>() || !torch::isfinite(r).all().item<bool>())
        throw Error("the features hold NaN or infinite values");

    const int64_t n = g.size(0), m = r.size(0);
    WorkCounter work(distancesOf(n, m) * (options.densityCoverage ? 2 : 1), progress, stop);
    api::PrdcResult result;
    result.generatedCount = n;
    result.realCount = m;
    result.dims = int(g.size(1));

    const auto prc = torchFidelityWith(g, r, options.neighbourhood, options.batchSize, work);
    result.neighbourhood = options.neighbourhood;
    result.precisionCount = prc.precisionCount;
    result.recallCount = prc.recallCount;
    result.precision = double(prc.precisionCount) / double(n);
    result.recall = double(prc.recallCount) / double(m);
    result.fScore = 2 * result.precision * result.recall / std::max(1e-5, result.precision + result.recall);

    if (options.densityCoverage) {
        const auto prdc = clovaaiWith(g, r, options.nearestK, options.batchSize, work);
        result.hasDensityCoverage = true;
        result.nearestK = options.nearestK;
        result.prdcPrecisionCount = prdc.precisionCount;
        result.prdcRecallCount = prdc.recallCount;
        result.densityCount = prdc.densityCount;
        result.coverageCount = prdc.coverageCount;
        result.prdcPrecision = double(prdc.precisionCount) / double(n);
        result.prdcRecall = double(prdc.recallCount) / double(m);
        // numpy's (1. / k) * counts.mean(): the mean first, then the factor.
        result.density = (1.0 / double(options.nearestK)) * (double(prdc.densityCount) / double(n));
        result.coverage = double(prdc.coverageCount) / double(m);
    }
    result.seconds = secondsSince(start);
    return result;
}

torch::Tensor torchFidelityDistances(const torch::Tensor& rows, const torch::Tensor& columns) {
    return torchFidelityBlock(rows, columns, std::nullopt, nullptr);
}

torch::Tensor clovaaiDistances(const torch::Tensor& rows, const torch::Tensor& columns,
                               std::optional<int64_t> diagonal) {
    return clovaaiBlock(rows, columns, diagonal, nullptr);
}

}  // namespace ds::fid
