// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/data/batch_loader.h"

#include "core/data/parallel_for.h"
#include "core/util/error.h"
#include "core/util/stop_token.h"

#include <string>

namespace ds::data {
namespace {

// Thrown inside a worker to abandon a batch when the loader stops; never leaves the loader.
struct Abandoned {};

std::string positionText(const LoaderPosition& position) {
    return "epoch " + std::to_string(position.epoch) + ", batch " + std::to_string(position.batchInEpoch);
}

void validate(const BatchLoaderOptions& options, const EpochSampler& sampler) {
    if (options.prefetchBatches < 1)
        throw Error("prefetch must be at least 1 batch, got " + std::to_string(options.prefetchBatches));
    if (options.start.epoch < 0 || options.start.batchInEpoch < 0 ||
        options.start.batchInEpoch >= sampler.batchesPerEpoch())
        throw Error("data position (" + positionText(options.start) + ") lies outside an epoch of " +
                    std::to_string(sampler.batchesPerEpoch()) + " batches; did the dataset or batch size change?");
}

// Turns whatever a worker threw into the ds::Error that next() promises.
[[noreturn]] void rethrowAsError(const std::exception_ptr& error, const LoaderPosition& position) {
    try {
        std::rethrow_exception(error);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("loading " + positionText(position) + " failed: " + e.what());
    } catch (...) {
        throw Error("loading " + positionText(position) + " failed with an unknown exception");
    }
}

std::shared_ptr<const ImageSource> checkedSource(std::shared_ptr<const ImageSource> source) {
    if (!source) throw Error("BatchLoader needs an image source");
    return source;
}

}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const ImageSource> source, BatchLoaderOptions options)
    : source_(checkedSource(std::move(source))), options_(options), sampler_(source_->size(), options.sampler),
      shape_(source_->transform()) {
    validateTransform(shape_);
    validate(options_, sampler_);
    startOrdinal_ = options_.start.epoch * sampler_.batchesPerEpoch() + options_.start.batchInEpoch;
    pinMemory_ = options_.pinMemory && torch::cuda::is_available();
    startWorkers(chooseThreadCount(options_.workers, 2, 4));
}

BatchLoader::~BatchLoader() { stop(); }

void BatchLoader::startWorkers(int count) {
    try {
        for (int i = 0; i < count; ++i) workers_.emplace_back([this] { workerLoop(); });
    } catch (...) {
        stop();  // join the ones already running before the exception leaves the constructor
        throw;
    }
}

void BatchLoader::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_.store(true);
    }
    roomAvailable_.notify_all();
    batchArrived_.notify_all();
    std::lock_guard<std::mutex> joinLock(joinMutex_);
    for (std::thread& worker : workers_)
        if (worker.joinable() && worker.get_id() != std::this_thread::get_id()) worker.join();
}

LoaderPosition BatchLoader::positionOf(int64_t sequence) const {
    const int64_t ordinal = startOrdinal_ + sequence;
    return LoaderPosition{ordinal / sampler_.batchesPerEpoch(), ordinal % sampler_.batchesPerEpoch()};
}

LoaderPosition BatchLoader::position() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return positionOf(nextToDeliver_);
}

bool BatchLoader::claim(int64_t& sequence) {
    std::unique_lock<std::mutex> lock(mutex_);
    roomAvailable_.wait(lock,
                        [&] { return stopping_.load() || nextToClaim_ < nextToDeliver_ + options_.prefetchBatches; });
    if (stopping_.load()) return false;
    sequence = nextToClaim_++;
    return true;
}

void BatchLoader::workerLoop() {
    int64_t sequence = 0;
    while (claim(sequence)) {
        Slot slot;
        try {
            slot.batch = makeBatch(sequence);
        } catch (const Abandoned&) {
            return;
        } catch (...) {
            slot.error = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_.emplace(sequence, std::move(slot));
        }
        batchArrived_.notify_all();
    }
}

// Shuffling is done outside the lock (a large source takes a while); the cache keeps only the
// epochs of batches not yet delivered, at most two in practice.
std::shared_ptr<const std::vector<int64_t>> BatchLoader::permutationFor(int64_t epoch) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto found = permutations_.find(epoch);
        if (found != permutations_.end()) return found->second;
    }
    auto order = std::make_shared<const std::vector<int64_t>>(sampler_.permutation(epoch));
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t oldestNeeded = positionOf(nextToDeliver_).epoch;
    permutations_.erase(permutations_.begin(), permutations_.lower_bound(oldestNeeded));
    return permutations_.emplace(epoch, std::move(order)).first->second;
}

Batch BatchLoader::makeBatch(int64_t sequence) {
    Batch batch;
    batch.position = positionOf(sequence);
    const auto order = permutationFor(batch.position.epoch);
    const std::vector<EpochSampler::Pick> picks =
        sampler_.batch(*order, batch.position.epoch, batch.position.batchInEpoch);
    const int64_t count = int64_t(picks.size()), channels = shape_.channels, side = shape_.size;
    batch.images = torch::empty({count, channels, side, side},
                                torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(pinMemory_));
    float* out = batch.images.data_ptr<float>();
    const int64_t imageFloats = channels * side * side;
    for (int64_t j = 0; j < count; ++j) {
        if (stopping_.load()) throw Abandoned{};
        const EpochSampler::Pick& pick = picks[size_t(j)];
        fillImage(out + j * imageFloats, source_->load(size_t(pick.index)), pick.index, pick.flip);
        batch.indices.push_back(pick.index);
        batch.flipped.push_back(pick.flip ? 1 : 0);
    }
    return batch;
}

// HWC bytes -> CHW floats v / 255 (as torchvision's ToTensor), mirrored when asked.
void BatchLoader::fillImage(float* out, const api::Image& image, int64_t index, bool flip) const {
    const int side = shape_.size, channels = shape_.channels;
    if (image.width != side || image.height != side || image.channels != channels ||
        image.pixels.size() != size_t(side) * side * channels)
        throw Error(source_->describe() + ": image " + std::to_string(index) + " is " + std::to_string(image.width) +
                    "x" + std::to_string(image.height) + "x" + std::to_string(image.channels) + ", expected " +
                    std::to_string(side) + "x" + std::to_string(side) + "x" + std::to_string(channels));
    for (int c = 0; c < channels; ++c) {
        for (int y = 0; y < side; ++y) {
            const uint8_t* row = image.pixels.data() + size_t(y) * side * channels;
            float* target = out + (size_t(c) * side + y) * side;
            for (int x = 0; x < side; ++x) target[flip ? side - 1 - x : x] = float(row[x * channels + c]) / 255.0f;
        }
    }
}

Batch BatchLoader::next() {
    std::unique_lock<std::mutex> lock(mutex_);
    batchArrived_.wait(lock, [&] { return stopping_.load() || finished_.count(nextToDeliver_) != 0; });
    if (stopping_.load()) throw Cancelled();
    Slot slot = std::move(finished_.at(nextToDeliver_));
    finished_.erase(nextToDeliver_);
    const LoaderPosition position = positionOf(nextToDeliver_);
    ++nextToDeliver_;
    lock.unlock();
    roomAvailable_.notify_all();
    if (slot.error) rethrowAsError(slot.error, position);
    return std::move(slot.batch);
}

}  // namespace ds::data
