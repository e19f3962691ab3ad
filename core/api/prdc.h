// SPDX-License-Identifier: GPL-3.0-or-later
// Precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et al. 2020)
// of a generated feature set against a real one: what FID mixes, fidelity and diversity,
// apart. Torch-free interface; the feature-level computation is core/fid/prdc.h.
//
// Two reference implementations, reproduced side by side (their k-NN balls differ):
// - "precision" and "recall" are torch-fidelity's (metric_prc.py, k = 3): a point is inside a
//   ball when its distance is <= the ball's radius, the distance to the centre's k-th nearest
//   neighbour in its own set (itself excluded). Precision: the share of generated points inside
//   some real point's ball; recall: the share of real points inside some generated point's ball.
// - density, coverage and clovaai's own precision/recall are clovaai/generative-evaluation-
//   prdc's (prdc.py, k = 5), with a strict <. Density: the real balls holding each generated
//   point, summed, over k N (can exceed 1); coverage: the share of real points whose nearest
//   generated point lies inside their ball.
// Convention (torch-fidelity's input1/input2, clovaai's fake/real): the first set, FID's PATH1,
// is the GENERATED one; the second, PATH2, the real reference.
#pragma once
#include "core/api/job_sink.h"
#include "core/util/stop_token.h"

#include <cstdint>
#include <string>

namespace ds::api {

struct PrdcOptions {
    int neighbourhood = 3;        // torch-fidelity's prc_neighborhood: k of precision/recall
    int nearestK = 5;             // clovaai's nearest_k: k of density/coverage
    int64_t batchSize = 10000;    // torch-fidelity's prc_batch_size: distances in blocks of at most batch x batch
    bool densityCoverage = true;  // also clovaai's computation (its own distances: float64 products)
};

struct PrdcResult {
    int64_t generatedCount = 0;  // N, rows of the first set
    int64_t realCount = 0;       // M
    int dims = 0;

    // torch-fidelity's, k = neighbourhood.
    int neighbourhood = 0;
    double precision = 0.0;      // precisionCount / N
    double recall = 0.0;         // recallCount / M
    double fScore = 0.0;         // 2 P R / max(1e-5, P + R), torch-fidelity's f_score
    int64_t precisionCount = 0;  // generated points inside a real ball
    int64_t recallCount = 0;     // real points inside a generated ball

    // clovaai's, k = nearestK (all 0 unless hasDensityCoverage).
    bool hasDensityCoverage = false;
    int nearestK = 0;
    double density = 0.0;        // (1 / k) (densityCount / N)
    double coverage = 0.0;       // coverageCount / M
    double prdcPrecision = 0.0;  // clovaai's precision and recall (strict <, its k)
    double prdcRecall = 0.0;
    int64_t densityCount = 0;  // (generated point, real ball holding it) pairs
    int64_t coverageCount = 0;
    int64_t prdcPrecisionCount = 0;
    int64_t prdcRecallCount = 0;

    double seconds = 0.0;
};

// A row-major float32 matrix, rows x dims, borrowed (as FID's feature extractor makes them).
struct FeatureMatrixView {
    const float* data = nullptr;
    int64_t rows = 0;
    int64_t dims = 0;
};

// The metrics of `generated` (FID's PATH1) against `real` (PATH2). Progress in distances
// computed (with ETA). Throws ds::Error for sets of different dimensions, fewer than k + 1
// rows, or non-finite values; ds::Cancelled when stopped.
PrdcResult computePrdc(const FeatureMatrixView& generated, const FeatureMatrixView& real, const PrdcOptions& options,
                       JobSink& sink, const StopToken& stop);

}  // namespace ds::api
