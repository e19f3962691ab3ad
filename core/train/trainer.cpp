// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/train/trainer.h"

#include "core/checkpoint/py_json.h"
#include "core/checkpoint/state_dict.h"
#include "core/data/class_sources.h"
#include "core/data/fashion_mnist_source.h"
#include "core/data/image_folder_source.h"
#include "core/data/lmdb_source.h"
#include "core/io/image_tensor.h"
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "core/train/adam_state.h"
#include "core/train/diffusion_training_model.h"
#include "core/train/flow_training_model.h"
#include "core/util/autocast_scope.h"
#include "core/util/device.h"
#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace ds::train {

namespace {

double nowSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Preview grids always start from the same noise, so successive grids show progress.
constexpr uint64_t kPreviewSeedSalt = 0x5eedf00dULL;

// Each local rank of a CUDA run gets its own GPU: "cuda" means cuda:LOCAL_RANK there.
torch::Device rankDevice(const std::string& spec, const ProcessGroup* group) {
    const auto device = parseDevice(spec);
    if (group && device.is_cuda() && spec.find(':') == std::string::npos)
        return torch::Device(torch::kCUDA, torch::DeviceIndex(group->localRank()));
    return device;
}

BatchShard shardOf(const ProcessGroup* group) {
    return group ? BatchShard(group->rank(), group->worldSize()) : BatchShard();
}

}  // namespace

std::unique_ptr<TrainingModel> makeTrainingModel(const TrainConfig& config, const torch::Device& device) {
    if (config.isFlow()) return std::make_unique<FlowTrainingModel>(config, device);
    return std::make_unique<DiffusionTrainingModel>(config, device);
}

Trainer::Trainer(RunDirectory run, api::JobSink& sink, const StopToken& stop, const PauseGate* pause,
                 ProcessGroup* group)
    : run_(std::move(run)), config_(run_.config()), sink_(sink), stop_(stop), pause_(pause), group_(group),
      shard_(shardOf(group)), device_(rankDevice(config_.device, group)),
      // The global generator seeds parameter init and dropout: set before the model is built.
      model_((torch::manual_seed(config_.seed), makeTrainingModel(config_, device_))),
      gen_(at::detail::createCPUGenerator(config_.seed)), stepBuckets_(model_->positions()),
      windowBuckets_(model_->positions()) {
    if (group_ && config_.worldSize != group_->worldSize())
        throw Error(run_.path() + ": the run was configured for " + std::to_string(config_.worldSize) +
                    " processes, but the group has " + std::to_string(group_->worldSize()));
    // Mixed precision the device cannot run fails here, with a clear message, not at step 1.
    AutocastScope::probe(device_, config_.amp);
    if (config_.channelsLast) model_->setChannelsLast(true);
    if (config_.amp == api::MixedPrecision::Fp16) scaler_ = std::make_unique<LossScaler>();
    buildOptimizer();
    buildData();
    if (group_)
        averager_ =
            std::make_unique<GradientAverager>(model_->online()->parameters(), *group_, group_->options().bucketMiB);
}

Trainer::~Trainer() = default;

void Trainer::buildOptimizer() {
    ema_ = std::make_unique<Ema>(model_->online(), model_->shadow(), config_.ema);
    optimizer_ = std::make_unique<torch::optim::Adam>(
        model_->online()->parameters(),
        torch::optim::AdamOptions(config_.lr.lr).betas({config_.adamBeta1, config_.adamBeta2}).eps(config_.adamEps));
}

std::vector<std::string> classNamesOfData(const std::string& data) {
    if (data == "fashion-mnist")
        return {data::FashionMnistSource::kClassNames.begin(), data::FashionMnistSource::kClassNames.end()};
    if (const auto lmdbs = data::splitClassLmdbs(data); !lmdbs.empty()) {
        std::vector<std::string> names;
        for (const auto& path : lmdbs) names.push_back(data::lmdbClassName(path));
        return names;
    }
    if (lmdb::isLmdbDirectory(data))
        throw fileError(data,
                        "is one LMDB: one class. A class-conditional run over LSUN takes several LMDBs, one "
                        "per class, separated by commas (--data bedroom_train_lmdb,church_outdoor_train_lmdb)");
    return data::classSubfolderNames(data);
}

void Trainer::buildData() {
    const data::ImageTransform transform{config_.imageSize(), config_.channels()};
    const auto logSkipped = [this](const data::ScanReport& report) {
        if (report.skipped == 0) return;
        std::string names;
        for (const auto& n : report.firstSkipped) names += "\n  " + n;
        sink_.onLog("skipped " + std::to_string(report.skipped) + " unreadable images in " + config_.data + ":" +
                    names);
    };
    const bool conditional = config_.isConditional();
    if (config_.data == "fashion-mnist") {
        source_ = std::make_shared<data::FashionMnistSource>(data::FashionMnistSource::defaultDirectory(), "train",
                                                             transform);
    } else if (const auto lmdbs = data::splitClassLmdbs(config_.data); !lmdbs.empty()) {
        if (!conditional)
            throw Error("several LMDBs (" + config_.data +
                        ") are the classes of a class-conditional run: add "
                        "--conditional, or train on one");
        std::vector<std::shared_ptr<const data::ImageSource>> parts;
        std::vector<std::string> names;
        for (const auto& path : lmdbs) {
            auto db = std::make_shared<data::LmdbSource>(path, transform, &stop_);
            logSkipped(db->report());
            parts.push_back(db);
            names.push_back(data::lmdbClassName(path));
        }
        source_ = std::make_shared<data::ClassSources>(std::move(parts), std::move(names));
    } else if (lmdb::isLmdbDirectory(config_.data)) {
        auto db = std::make_shared<data::LmdbSource>(config_.data, transform, &stop_);
        logSkipped(db->report());
        source_ = db;
    } else {
        data::ImageFolderOptions options;
        options.classSubfolders = conditional;
        auto folder = std::make_shared<data::ImageFolderSource>(config_.data, transform, options, &stop_);
        logSkipped(folder->report());
        source_ = folder;
    }
    const int64_t perStep = int64_t(config_.batchSize) * config_.worldSize;
    if (int64_t(source_->size()) < perStep)
        throw Error(source_->describe() + " has " + std::to_string(source_->size()) +
                    " images, fewer than one batch of " + std::to_string(perStep));
    sink_.onLog("data: " + source_->describe());
    if (conditional) {
        const auto names = source_->classNames();
        if (names.empty()) source_->label(0);  // throws why the source has no labels
        if (names != config_.conditioning.classNames) {
            std::string recorded, found;
            for (const auto& n : config_.conditioning.classNames) recorded += (recorded.empty() ? "" : ", ") + n;
            for (const auto& n : names) found += (found.empty() ? "" : ", ") + n;
            throw fileError(config_.data, "holds the classes " + found + ", but the run was made with " + recorded +
                                              " (the labels would mean other classes)");
        }
    }
}

torch::Tensor Trainer::labelsOf(const data::Batch& batch) const {
    if (!config_.isConditional()) return {};
    std::vector<int64_t> labels;
    labels.reserve(batch.indices.size());
    for (const int64_t i : batch.indices) labels.push_back(source_->label(size_t(i)));
    return torch::tensor(labels, torch::kLong).to(device_);
}

io::PyValuePtr Trainer::checkpointValue() {
    using io::PyValue;
    auto root = PyValue::dict(false);
    // The family's upstream layout first (lucidrains Trainer's, g4vrel/CFM's), so that the original
    // loading code works on our files.
    model_->writeCheckpoint(*root, step_, position_.epoch, adamStateDict(*optimizer_), *ema_);
    // Ours: what a resume needs to continue the same trajectory.
    root->set("config", checkpoint::fromJson(config_.toJson()));
    auto rng = PyValue::dict(false);
    rng->set("train", PyValue::tensor(gen_.get_state()));
    at::Generator global = at::detail::getDefaultCPUGenerator();
    rng->set("torch", PyValue::tensor(global.get_state()));
    root->set("rng", rng);
    auto data = PyValue::dict(false);
    data->set("epoch", PyValue::integer(position_.epoch));
    data->set("batch_in_epoch", PyValue::integer(position_.batchInEpoch));
    root->set("data", data);
    if (scaler_) {
        auto amp = PyValue::dict(false);
        amp->set("scale", PyValue::real(scaler_->currentScale()));
        amp->set("growth_tracker", PyValue::integer(scaler_->growthTracker()));
        root->set("amp_scaler", amp);
    }
    root->set("wall_seconds", PyValue::real(wallOffset_ + (sessionStart_ > 0 ? nowSeconds() - sessionStart_ : 0.0)));
    return root;
}

void Trainer::restoreFrom(const std::string& path) {
    const auto root = io::loadTorchFile(path);
    try {
        step_ = root->at("step").asInt();
        loadAdamStateDict(*optimizer_, model_->readCheckpoint(*root, *ema_));
        const auto& rng = root->at("rng");
        gen_.set_state(rng.at("train").asTensor());
        at::Generator global = at::detail::getDefaultCPUGenerator();  // a handle on the same state
        global.set_state(rng.at("torch").asTensor());
        const auto& data = root->at("data");
        position_ = {data.at("epoch").asInteger(), data.at("batch_in_epoch").asInteger()};
        wallOffset_ = root->at("wall_seconds").asFloat();
        if (scaler_ && root->contains("amp_scaler")) {
            const auto& amp = root->at("amp_scaler");
            scaler_->restore(amp.at("scale").asFloat(), amp.at("growth_tracker").asInteger());
        }
    } catch (const Error& e) {
        throw fileError(path, std::string("cannot resume from this checkpoint: ") + e.what());
    }
    lastCheckpoint_ = path;
}

bool Trainer::restoreLatestCheckpoint() {
    auto all = run_.checkpoints();
    // Newest first; a damaged newest checkpoint falls back to the one before.
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        try {
            restoreFrom(it->second);
            if (writes()) MetricsLog::truncateAfter(run_.metricsPath(), step_);
            sink_.onLog("resuming from " + it->second + " at step " + std::to_string(step_));
            restoreBestFid();
            return true;
        } catch (const Error& e) {
            sink_.onLog(std::string("warning: ") + e.what());
        }
    }
    if (!all.empty()) throw fileError(run_.path(), "none of its checkpoints can be read");
    return false;
}

double Trainer::trainStep() {
    const double lr = config_.lr.at(step_, config_.steps);
    lastLr_ = lr;
    for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    optimizer_->zero_grad();
    double lossSum = 0.0;
    lastDataWait_ = 0.0;
    std::vector<TrainingModel::Loss> terms;
    for (int micro = 0; micro < config_.gradAccum; ++micro) {
        const double waitStart = nowSeconds();
        auto batch = loader_->next();
        lastDataWait_ += nowSeconds() - waitStart;
        position_ = loader_->position();
        TrainingModel::Loss microTerms;
        try {
            microTerms = [&] {
                AutocastScope autocast(device_, config_.amp);  // forward and loss; backward outside, as torch.amp
                return model_->loss(batch.images.to(device_), labelsOf(batch), gen_, shard_);
            }();
            // The last backward pass starts the gradient all-reduces as their buckets fill.
            if (averager_ && micro == config_.gradAccum - 1) averager_->expectFinalBackward(step_ + 1);
            const auto objective = microTerms.mean / double(config_.gradAccum);
            (scaler_ ? scaler_->scale(objective) : objective).backward();
        } catch (const Error&) {
            throw;
        } catch (const Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            // What the start's probe did not meet (a layer of this model, a kernel oneDNN picks
            // for these shapes) fails as clearly: naming --amp bf16, not as a bare dnnl::error.
            if (config_.amp != api::MixedPrecision::Bf16) throw;
            throw AutocastScope::unsupported(device_, config_.amp, e);
        }
        lossSum += microTerms.mean.item<double>();
        terms.push_back(std::move(microTerms));
    }
    const double loss = agreeOnStep(lossSum / config_.gradAccum, terms);
    if (!std::isfinite(loss)) {
        if (metrics_) metrics_->append({{"step", step_ + 1}, {"loss", nullptr}, {"error", "non-finite loss"}});
        throw Error("non-finite loss (" + std::to_string(loss) + ") at step " + std::to_string(step_ + 1) +
                    "; training stopped. The last good checkpoint is " +
                    (lastCheckpoint_ ? *lastCheckpoint_ : std::string("(none yet)")) +
                    ". Lower the learning rate or check the data.");
    }
    if (averager_) averager_->finish();
    if (!applyGradients())
        sink_.onLog("step " + std::to_string(step_ + 1) +
                    ": float16 gradients overflowed; step skipped, loss scale now " +
                    std::to_string(scaler_->currentScale()));
    if (writes()) ema_->update();  // only rank 0 samples and saves the EMA weights
    ++step_;
    return loss;
}

bool Trainer::applyGradients() {
    const auto parameters = model_->online()->parameters();
    const bool finite = !scaler_ || scaler_->unscale(parameters);
    if (scaler_) scaler_->update(finite);
    if (!finite) {
        lastGradNorm_ = std::numeric_limits<double>::infinity();
        return false;
    }
    const double maxNorm = config_.gradClip > 0 ? config_.gradClip : std::numeric_limits<double>::infinity();
    lastGradNorm_ = torch::nn::utils::clip_grad_norm_(parameters, maxNorm);
    optimizer_->step();
    return true;
}

double Trainer::agreeOnStep(double localLoss, const std::vector<TrainingModel::Loss>& terms) {
    std::vector<torch::Tensor> losses, positions;
    for (const auto& t : terms) {
        losses.push_back(t.perSample.detach().to(torch::kCPU, torch::kDouble));
        positions.push_back(t.position.to(torch::kCPU, torch::kDouble));
    }
    auto stepLosses = torch::cat(losses);
    auto stepPositions = torch::cat(positions);
    if (group_) {
        // One small collective per step: each rank's loss, stop request and per-sample losses.
        const auto n = stepLosses.numel();
        const auto local = torch::cat({torch::tensor({localLoss, stop_.stopRequested() ? 1.0 : 0.0},
                                                     torch::TensorOptions().dtype(torch::kDouble)),
                                       stepLosses, stepPositions});
        const auto rows = group_->gatherRows(local, "the loss exchange of step " + std::to_string(step_ + 1));
        localLoss = rows.select(1, 0).mean().item<double>();  // equal batches: the global mean
        agreedStop_ = rows.select(1, 1).max().item<double>() > 0;
        stepLosses = rows.narrow(1, 2, n).reshape({-1});
        stepPositions = rows.narrow(1, 2 + n, n).reshape({-1});
    }
    recordLossByTimestep(stepLosses.to(torch::kFloat), stepPositions.to(torch::kLong));
    return localLoss;
}

void Trainer::recordLossByTimestep(const torch::Tensor& losses, const torch::Tensor& positions) {
    stepBuckets_.reset();
    const auto l = losses.contiguous();
    const auto t = positions.contiguous();
    stepBuckets_.add(l.data_ptr<float>(), t.data_ptr<int64_t>(), l.numel());
    windowBuckets_.add(l.data_ptr<float>(), t.data_ptr<int64_t>(), l.numel());
}

void Trainer::synchronizeRanks() {
    // Identical starting points: every rank is seeded alike and resumes from the same file, but
    // rank 0's parameters are made the reference, as DDP does, whatever initialisation ran.
    std::vector<torch::Tensor> state = model_->online()->parameters();
    for (const auto& b : model_->online()->buffers()) state.push_back(b);
    group_->broadcastFromRankZero(state, "the broadcast of rank 0's parameters");
    const auto steps = group_->gatherRows(torch::tensor({double(step_)}), "the start-step check");
    if (steps.min().item<double>() != steps.max().item<double>())
        throw Error(group_->name() + ": the ranks start at different steps (" +
                    std::to_string(int64_t(steps.min().item<double>())) + " and " +
                    std::to_string(int64_t(steps.max().item<double>())) +
                    "): every rank must see the same run directory with the same checkpoints");
}

void Trainer::logMetrics(double loss, double gradNorm, double lr, double stepSeconds) {
    api::TrainMetrics m;
    m.step = step_;
    m.totalSteps = config_.steps;
    m.loss = loss;
    m.lr = lr;
    m.gradNorm = gradNorm;
    // The whole group's throughput: every rank processes its batch in the same step time.
    m.imagesPerSecond = stepSeconds > 0 ? double(config_.globalBatchSize()) / stepSeconds : 0.0;
    m.wallSeconds = wallOffset_ + nowSeconds() - sessionStart_;
    m.epoch = position_.epoch;
    m.lossByTimestep = stepBuckets_.means();
    sink_.onMetrics(m);
    if (metrics_ && (step_ % config_.logEvery == 0 || step_ == config_.steps)) {
        // NaN (an empty bucket) is written as null.
        metrics_->append({{"step", m.step},
                          {"loss", m.loss},
                          {"lr", m.lr},
                          {"grad_norm", m.gradNorm},
                          {"images_per_sec", m.imagesPerSecond},
                          {"data_wait", lastDataWait_},
                          {"wall_time", m.wallSeconds},
                          {"epoch", m.epoch},
                          {"loss_by_t", windowBuckets_.means()}});
        windowBuckets_.reset();
    }
}

bool Trainer::writePreview() {
    torch::NoGradGuard noGrad;
    at::Generator gen = at::detail::createCPUGenerator(config_.seed ^ kPreviewSeedSalt);
    const int64_t s = config_.imageSize();
    // A class-conditional run previews one row per class: the count rounded up to whole rows.
    const int64_t classes = int64_t(config_.conditioning.classNames.size());
    const int64_t perClass = config_.isConditional() ? (config_.sampleCount + classes - 1) / classes : 0;
    const int64_t count = config_.isConditional() ? perClass * classes : config_.sampleCount;
    auto noise = torch::randn({count, config_.channels(), s, s}, gen).to(device_);
    const double start = nowSeconds();
    torch::Tensor images;
    try {
        images = model_->preview(noise, config_.sampleSteps, gen, &stop_).cpu();
    } catch (const Cancelled&) {
        // The step's checkpoint is already written: a stop during the preview loses nothing.
        sink_.onLog("preview of step " + std::to_string(step_) + " stopped");
        return false;
    }
    const double seconds = nowSeconds() - start;
    const auto image = io::toImage(io::makeGrid(images, int(perClass)));
    io::PngText text{{"Software", std::string("Diffusion Studio ") + DS_VERSION}};
    for (auto& entry : model_->previewText(config_.sampleSteps)) text.push_back(entry);
    text.emplace_back("ds.weights", api::weightsName(api::Weights::Ema));
    text.emplace_back("ds.train_step", std::to_string(step_));
    io::writePng(run_.samplePath(step_), image.pixels.data(), image.width, image.height, image.channels, text);
    // What the preview cost, next to what training costs: metrics.jsonl and the Train page.
    metrics_->append({{"step", step_}, {"preview_seconds", seconds}, {"preview_images", count}});
    sink_.onPreview(step_, image, seconds);
    return true;
}

void Trainer::restoreBestFid() {
    std::error_code ec;
    const auto path = run_.bestCheckpointPath();
    if (!writes() || !std::filesystem::exists(path, ec)) return;
    try {
        const auto root = io::loadTorchFile(path);
        bestFid_ = root->at("fid").asFloat();
        sink_.onLog("best checkpoint so far: " + path + " (" + root->at("fid_label").asString() + " " +
                    std::to_string(*bestFid_) + " at step " + std::to_string(root->at("step").asInt()) + ")");
    } catch (const Error& e) {
        // Kept as it is; the next measurement replaces it.
        sink_.onLog("warning: " + path + ": no FID recorded (" + e.what() + "); the next FID measured replaces it");
    }
}

bool Trainer::evaluateFid() {
    torch::NoGradGuard noGrad;
    const double start = nowSeconds();
    // A data-parallel run samples on every rank, and only rank 0 keeps the EMA: its weights first.
    if (group_) {
        std::vector<torch::Tensor> state = model_->shadow()->parameters();
        for (const auto& b : model_->shadow()->buffers()) state.push_back(b);
        group_->broadcastFromRankZero(state, "the EMA weights for the FID of step " + std::to_string(step_));
    }
    // The same noise at every measurement and for any number of processes: drawn whole, each
    // rank takes its rows. A collective cannot be abandoned halfway, so the ranks of a
    // data-parallel run finish the measurement before they look at a stop request.
    const int64_t n = config_.fid.samples;
    const int64_t s = config_.imageSize();
    at::Generator gen = at::detail::createCPUGenerator(config_.seed ^ kFidSeedSalt);
    const auto noise = torch::randn({n, config_.channels(), s, s}, gen);
    const int64_t rank = group_ ? group_->rank() : 0, world = group_ ? group_->worldSize() : 1;
    const int64_t begin = n * rank / world, end = n * (rank + 1) / world;
    const StopToken never;
    const StopToken& stop = group_ ? never : stop_;
    std::vector<torch::Tensor> features;
    try {
        for (int64_t b = begin; b < end; b += config_.fid.batchSize) {
            const auto x = noise.slice(0, b, std::min(end, b + config_.fid.batchSize)).to(device_);
            const auto images = model_->preview(x, config_.sampleSteps, gen, &stop).cpu();
            features.push_back(quality_->features(images, stop));
        }
    } catch (const Cancelled&) {
        sink_.onLog("FID of step " + std::to_string(step_) + " stopped");
        return false;
    }
    auto local = features.empty() ? torch::Tensor() : torch::cat(features, 0).to(torch::kFloat);
    if (group_) {
        // Equal lengths for the gather: every rank's rows padded to the largest share.
        const int64_t rows = (n + world - 1) / world;
        if (!local.defined())
            throw Error("FID: rank " + std::to_string(rank) + " has no samples (more processes than --fid-samples)");
        const int64_t dims = local.size(1);
        auto padded = torch::zeros({rows, dims}, torch::kDouble);
        padded.narrow(0, 0, local.size(0)).copy_(local);
        const auto all = group_->gatherRows(padded.reshape({-1}), "the FID features of step " + std::to_string(step_));
        std::vector<torch::Tensor> parts;
        for (int64_t r = 0; r < world; ++r) {
            const int64_t count = n * (r + 1) / world - n * r / world;
            parts.push_back(all[r].reshape({rows, dims}).narrow(0, 0, count));
        }
        local = torch::cat(parts, 0).to(torch::kFloat);  // the features were float32: exact
    }
    if (!writes()) return true;
    api::TrainFid record;
    record.step = step_;
    record.value = quality_->distance(local);
    record.label = quality_->label();
    record.samples = int(n);
    record.seconds = nowSeconds() - start;
    record.wallSeconds = wallOffset_ + nowSeconds() - sessionStart_;
    record.trainSeconds = trainingClock() - record.seconds;
    if (const auto kid = quality_->kernelDistance(local)) {
        record.hasKid = true;
        record.kid = kid->mean;
        record.kidStd = kid->std;
    }
    record.best = !bestFid_ || record.value < *bestFid_;
    if (record.best) {
        auto root = checkpointValue();
        root->set("fid", io::PyValue::real(record.value));
        root->set("fid_label", io::PyValue::str(record.label));
        io::saveTorchFile(run_.bestCheckpointPath(), root);
        bestFid_ = record.value;
    }
    nlohmann::json line{{"step", step_},
                        {"fid", record.value},
                        {"fid_label", record.label},
                        {"fid_samples", n},
                        {"fid_seconds", record.seconds},
                        {"fid_wall_time", record.wallSeconds},
                        {"fid_train_seconds", record.trainSeconds},
                        {"fid_best", record.best}};
    if (record.hasKid) {
        line["kid"] = record.kid;
        line["kid_std"] = record.kidStd;
    }
    metrics_->append(line);
    sink_.onLog(record.label + " at step " + std::to_string(step_) + ": " + std::to_string(record.value) +
                (record.hasKid ? ", KID " + std::to_string(record.kid) : std::string()) +
                (record.best ? " (best so far: " + run_.bestCheckpointPath() + ")" : ""));
    sink_.onFid(record);
    return true;
}

void Trainer::saveCheckpoint() {
    const auto path = run_.checkpointPath(step_);
    io::saveTorchFile(path, checkpointValue());
    metrics_->sync();
    lastCheckpoint_ = path;
    run_.pruneCheckpoints(config_.keepLast);
    sink_.onLog("checkpoint " + path);
}

double Trainer::trainingClock() const { return nowSeconds() - sessionStart_ - evaluationSeconds_; }

void Trainer::run() {
    sessionStart_ = nowSeconds();
    evaluationSeconds_ = 0.0;
    nextTimedFid_ = config_.fid.everySeconds;
    if (group_ && (config_.fid.everySeconds > 0.0 || config_.maxSeconds > 0.0))
        throw Error("FID every N seconds and a training time limit need a single process (the ranks' clocks differ)");
    data::BatchLoaderOptions options;
    options.sampler.batchSize = config_.batchSize;
    options.sampler.seed = config_.seed;
    options.sampler.horizontalFlip = config_.hflip;
    options.sampler.rank = shard_.rank();
    options.sampler.worldSize = shard_.worldSize();
    options.start = position_;
    options.workers = config_.loaderThreads;
    loader_ = std::make_unique<data::BatchLoader>(source_, options);
    if (writes()) metrics_ = std::make_unique<MetricsLog>(run_.metricsPath());
    if (config_.fid.enabled() && !quality_)
        throw Error("the run measures FID during training, but no FID engine was given");
    // The reference's statistics before the first step: a missing set fails now, not at step N.
    if (quality_ && writes()) {
        const double prepareStart = nowSeconds();
        quality_->prepare(stop_);
        evaluationSeconds_ += nowSeconds() - prepareStart;  // not training time
    }
    if (group_) synchronizeRanks();

    const int64_t firstStep = step_;
    int64_t lastSaved = lastCheckpoint_ ? step_ : -1;
    while (step_ < config_.steps && !stopping()) {
        // Paused time is not training time: it counts neither in wall time nor in the ETA.
        if (pause_) sessionStart_ += pause_->waitWhilePaused(stop_);
        if (!group_ && stop_.stopRequested()) break;
        const double t0 = nowSeconds();
        lastLoss_ = trainStep();
        logMetrics(lastLoss_, lastGradNorm_, lastLr_, nowSeconds() - t0);

        api::JobProgress p;
        p.done = step_;
        p.total = config_.steps;
        p.unit = "steps";
        p.elapsedSeconds = nowSeconds() - sessionStart_;
        p.ratePerSecond = double(step_ - firstStep) / std::max(1e-9, p.elapsedSeconds);
        p.etaSeconds = double(config_.steps - step_) / std::max(1e-9, p.ratePerSecond);
        sink_.onProgress(p);

        const bool outOfTime = config_.maxSeconds > 0.0 && trainingClock() >= config_.maxSeconds;
        const bool last = step_ == config_.steps || outOfTime;
        if (writes()) {
            // The checkpoint first: a preview or an FID can take long, and a stop, crash or
            // closed window during it must not lose the steps.
            if (step_ % config_.saveEvery == 0 || last) {
                saveCheckpoint();
                lastSaved = step_;
            }
            const bool previewDue = config_.sampleEvery > 0 && (step_ % config_.sampleEvery == 0 || last);
            const double previewStart = nowSeconds();
            const bool previewed = !previewDue || writePreview();
            evaluationSeconds_ += nowSeconds() - previewStart;
            if (!previewed && !group_) break;  // stopped during the preview
        }
        // Every rank takes part (the step is the same everywhere; timed FIDs are one process's).
        bool fidDue = config_.fid.every > 0 && step_ % config_.fid.every == 0;
        if (config_.fid.everySeconds > 0.0 && (trainingClock() >= nextTimedFid_ || outOfTime)) {
            fidDue = true;
            while (nextTimedFid_ <= trainingClock()) nextTimedFid_ += config_.fid.everySeconds;
        }
        if (quality_ && fidDue) {
            const double fidStart = nowSeconds();
            const bool measured = evaluateFid();
            evaluationSeconds_ += nowSeconds() - fidStart;
            if (!measured && !group_) break;  // stopped during the FID's sampling
        }
        if (outOfTime) {
            reachedTimeLimit_ = true;
            sink_.onLog("the training time limit (" + std::to_string(config_.maxSeconds) + " s) is reached at step " +
                        std::to_string(step_));
            break;
        }
    }
    // Stopped between checkpoints: keep the step reached.
    if (writes() && step_ != lastSaved && step_ > firstStep) saveCheckpoint();
    loader_->stop();
}

}  // namespace ds::train
