// SPDX-License-Identifier: GPL-3.0-or-later
// Background loading for training: worker threads decode and transform the coming batches
// while the model computes, into a bounded queue, and next() hands them out in a fixed order.
// Which images form which batch is decided by EpochSampler alone, never by thread timing.
#pragma once
#include "core/data/epoch_sampler.h"
#include "core/data/image_source.h"

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ds::data {

// Where a run is in its data: saved with checkpoints so that a resumed run continues with
// exactly the batches it would have seen.
struct LoaderPosition {
    int64_t epoch = 0;
    int64_t batchInEpoch = 0;

    bool operator==(const LoaderPosition& other) const {
        return epoch == other.epoch && batchInEpoch == other.batchInEpoch;
    }
    bool operator!=(const LoaderPosition& other) const { return !(*this == other); }
};

struct BatchLoaderOptions {
    SamplerOptions sampler;   // batch size, seed, flip, rank / world size
    LoaderPosition start;     // the first batch next() returns (resume)
    int workers = 0;          // decoding threads; 0: the hardware threads clamped to 2..4
    int prefetchBatches = 3;  // batches finished or in progress ahead of the consumer
    bool pinMemory = false;   // page-locked batches for faster copies to a GPU; ignored without CUDA
};

struct Batch {
    torch::Tensor images;          // (B, C, H, W) float32 in [0, 1] (pixel / 255), CPU
    std::vector<int64_t> indices;  // the source index of each image
    std::vector<uint8_t> flipped;  // 1 where the image was mirrored left-right
    LoaderPosition position;       // this batch's place in the run
};

class BatchLoader {
public:
    // Starts the workers at once; they begin filling the queue from options.start. Throws
    // ds::Error for bad options, a start position outside an epoch, or a source too small for
    // one batch per rank.
    BatchLoader(std::shared_ptr<const ImageSource> source, BatchLoaderOptions options);
    // Stops and joins the workers; in-progress batches are abandoned between two images.
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    // The batch at position(), waiting until it is ready. Epochs follow one another without
    // end (drop-last: every batch is full). A failure while loading this batch is rethrown
    // here as ds::Error (the loader then moves on to the following batch); ds::Cancelled once
    // stop() has been called.
    Batch next();

    // The position of the batch the next call to next() returns; save it after a step.
    LoaderPosition position() const;
    int64_t batchesPerEpoch() const { return sampler_.batchesPerEpoch(); }
    const EpochSampler& sampler() const { return sampler_; }
    int workerCount() const { return int(workers_.size()); }

    // Makes next() throw ds::Cancelled and joins the workers. Safe from any thread, repeatable.
    void stop();

private:
    struct Slot {
        Batch batch;
        std::exception_ptr error;
    };

    void startWorkers(int count);
    void workerLoop();
    bool claim(int64_t& sequence);
    Batch makeBatch(int64_t sequence);
    void fillImage(float* out, const api::Image& image, int64_t index, bool flip) const;
    LoaderPosition positionOf(int64_t sequence) const;
    std::shared_ptr<const std::vector<int64_t>> permutationFor(int64_t epoch);

    std::shared_ptr<const ImageSource> source_;
    BatchLoaderOptions options_;
    EpochSampler sampler_;
    ImageTransform shape_;
    int64_t startOrdinal_ = 0;  // batches before options.start, counted from the run's beginning
    bool pinMemory_ = false;

    mutable std::mutex mutex_;
    std::condition_variable roomAvailable_;  // workers wait for the queue to have room
    std::condition_variable batchArrived_;   // next() waits for its batch
    int64_t nextToClaim_ = 0;                // sequence numbers count batches from options.start
    int64_t nextToDeliver_ = 0;
    std::map<int64_t, Slot> finished_;
    std::map<int64_t, std::shared_ptr<const std::vector<int64_t>>> permutations_;
    std::atomic<bool> stopping_{false};

    std::mutex joinMutex_;  // stop() may race with the destructor's stop()
    std::vector<std::thread> workers_;
};

}  // namespace ds::data
