// SPDX-License-Identifier: GPL-3.0-or-later
// Training on real data (Fashion-MNIST from Debian) with tiny models: the loss falls, a run
// stopped at step k and resumed ends with the same parameters as a straight run (bitwise, one
// thread), checkpoints load in Python, and bad input is refused clearly.
//
// Tolerances. Learning is checked on the loss of the last 15 of 120 steps against the first 15:
// a ratio below 0.6, where runs measure 0.50 on every kernel family here, and a run that cannot
// learn (learning rate 1e-9) about 0.96. Channels-last against float32: 1% of the distance
// Adam's three steps can move a parameter. A resumed run repeats the straight run's operations
// on the same kernels: bitwise (0).
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/io/torch_file.h"
#include "core/jobs/train_jobs.h"
#include "core/train/loss_scaler.h"
#include "core/train/metrics_log.h"
#include "core/train/timestep_loss_buckets.h"
#include "core/util/autocast_scope.h"
#include "core/util/error.h"
#include "core/util/pause_gate.h"
#include "tests/support/hang_limits.h"
#include "tests/support/python_torch.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tiny_train_config.h"
#include "tests/support/tolerance.h"

#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <thread>

using namespace ds;
namespace fs = std::filesystem;

namespace {

train::TrainConfig tinyConfig(int64_t steps) { return test::tinyTrainConfig(steps); }

// Stops the run after a given step (what Ctrl-C or the Stop button does), keeps the losses.
class StoppingSink : public api::JobSink {
public:
    StoppingSink(StopToken& stop, int64_t stopAfter) : stop_(stop), stopAfter_(stopAfter) {}
    void onMetrics(const api::TrainMetrics& m) override {
        losses.push_back(m.loss);
        lossByTimestep.push_back(m.lossByTimestep);
        if (m.step == stopAfter_) stop_.requestStop();
    }
    std::vector<double> losses;
    std::vector<std::vector<double>> lossByTimestep;

private:
    StopToken& stop_;
    int64_t stopAfter_;
};

checkpoint::StateDict weightsOf(const std::string& checkpointPath, const std::string& which) {
    const auto root = io::loadTorchFile(checkpointPath);
    auto sd = checkpoint::StateDict::fromPyDict(root->at(which));
    return which == "ema" ? sd.withPrefix("ema_model.") : sd;
}

// Max |a - b| over two state dicts (infinite when their keys or shapes differ).
double weightDifference(const checkpoint::StateDict& a, const checkpoint::StateDict& b) {
    if (a.size() != b.size()) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a.entries()[i].first != b.entries()[i].first) return INFINITY;
        worst = std::max(worst, test::maxAbsDiff(a.entries()[i].second, b.entries()[i].second));
    }
    return worst;
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += v[i];
    return s / double(to - from);
}

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string path(const std::string& name) const {
        return dir_.filePath(QString::fromStdString(name)).toStdString();
    }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void bf16AutocastTrains() {
        // Where this CPU's oneDNN cannot run bfloat16, a run's start refuses --amp bf16 with this
        // probe's message (naming --amp bf16 and the CPU): the test says so instead of failing.
        try {
            AutocastScope::probe(torch::Device(torch::kCPU), api::MixedPrecision::Bf16);
        } catch (const Error& e) {
            QSKIP(e.what());
        }
        // The same 3 steps in float32 and under bf16 autocast: both train (finite losses), and
        // bf16 changes the numbers (autocast engaged).
        auto reference = tinyConfig(3);
        reference.saveEvery = 3;
        std::map<std::string, std::string> finals;
        for (const char* variant : {"fp32", "bf16"}) {
            auto c = reference;
            if (std::string(variant) == "bf16") c.amp = api::MixedPrecision::Bf16;
            StopToken stop;
            StoppingSink sink(stop, -1);
            const auto r = api::startTraining(c, path(std::string("bf16-") + variant), sink, stop);
            QVERIFY(r.finished);
            for (double loss : sink.losses) QVERIFY(std::isfinite(loss));
            finals[variant] = r.lastCheckpoint;
        }
        const auto fp32 = weightsOf(finals["fp32"], "model");
        const auto bf16 = weightsOf(finals["bf16"], "model");
        double bf16Diff = 0;
        for (size_t i = 0; i < fp32.size(); ++i)
            bf16Diff =
                std::max(bf16Diff, (fp32.entries()[i].second - bf16.entries()[i].second).abs().max().item<double>());
        QVERIFY2(bf16Diff > 1e-7, qPrintable(QString::number(bf16Diff)));
    }

    // What a CPU whose oneDNN cannot run bfloat16 reports (from the start's probe, or from a step
    // that fails under bf16 autocast): one line naming --amp bf16, the CPU and the cause.
    void unsupportedPrecisionIsOneClearLine() {
        const std::runtime_error cause("could not create a primitive descriptor iterator");
        const std::string cpu =
            AutocastScope::unsupported(torch::Device(torch::kCPU), api::MixedPrecision::Bf16, cause).what();
        QVERIFY2(cpu.rfind("--amp bf16: this CPU's oneDNN cannot run bfloat16 (", 0) == 0, cpu.c_str());
        QVERIFY2(cpu.find("could not create a primitive descriptor iterator); use --amp off") != std::string::npos,
                 cpu.c_str());
        QVERIFY(cpu.find('\n') == std::string::npos);
        // Precisions the CPU runs pass the probe; Off checks nothing, fp16 is refused on a CPU.
        AutocastScope::probe(torch::Device(torch::kCPU), api::MixedPrecision::Off);
        QVERIFY_THROWS_EXCEPTION(Error, AutocastScope::probe(torch::Device(torch::kCPU), api::MixedPrecision::Fp16));
    }

    void channelsLastTrainsTheSameAndFp16IsRefusedOnACpu() {
        // The same 3 steps in float32 and channels-last: both train, and channels-last changes
        // only the memory layout (equal within float rounding).
        auto reference = tinyConfig(3);
        reference.saveEvery = 1;  // the steps' checkpoints, for the negative control
        std::map<std::string, std::string> finals;
        for (const char* variant : {"fp32", "channels-last"}) {
            auto c = reference;
            if (std::string(variant) == "channels-last") c.channelsLast = true;
            StopToken stop;
            StoppingSink sink(stop, -1);
            const auto r = api::startTraining(c, path(std::string("layout-") + variant), sink, stop);
            QVERIFY(r.finished);
            for (double loss : sink.losses) QVERIFY(std::isfinite(loss));
            finals[variant] = r.lastCheckpoint;
        }
        // Adam moves a parameter by at most about lr per step, whatever its gradient: 3 steps of
        // warm-up move it by at most the sum of their rates. The layout changes the convolutions'
        // order of sums (~1e-6 of each gradient), which moves Adam's normalised steps by as
        // little: 1% of that distance leaves room for the few gradients near 0, whose steps can
        // turn, and misses a step left out.
        double distance = 0;
        for (int64_t step = 0; step < reference.steps; ++step) distance += reference.lr.at(step, reference.steps);
        const double tol = 0.01 * distance;
        const auto fp32 = weightsOf(finals["fp32"], "model");
        DS_CHECK_TOLERANCE("training/channels_last_vs_fp32_weights",
                           weightDifference(fp32, weightsOf(finals["channels-last"], "model")), tol);
        const auto stepTwo = path("layout-channels-last") + "/checkpoints/step-2.pt";
        DS_CHECK_NEGATIVE_CONTROL("training/channels_last_a_step_short",
                                  weightDifference(fp32, weightsOf(stepTwo, "model")), tol, 10.0);
        // float16 autocast exists on CUDA only (LibTorch 1.13): refused clearly on a CPU.
        auto fp16 = reference;
        fp16.amp = api::MixedPrecision::Fp16;
        StopToken stop;
        api::JobSink quiet;
        QVERIFY_THROWS_EXCEPTION(Error, api::startTraining(fp16, path("amp-fp16"), quiet, stop));
        try {
            api::startTraining(fp16, path("amp-fp16b"), quiet, stop);
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("needs a CUDA device") != std::string::npos, e.what());
        }
    }

    void lossScalerSkipsOverflowsAndGrows() {
        train::LossScaler scaler;
        QCOMPARE(scaler.currentScale(), 65536.0);
        auto p = torch::ones({3}, torch::requires_grad());
        scaler.scale(p.sum()).backward();  // gradient 65536 per element
        QVERIFY(scaler.unscale({p}));
        QVERIFY(torch::equal(p.grad(), torch::ones({3})));
        scaler.update(true);
        p.mutable_grad().fill_(std::numeric_limits<float>::infinity());
        QVERIFY(!scaler.unscale({p}));
        scaler.update(false);
        QCOMPARE(scaler.currentScale(), 32768.0);
        for (int i = 0; i < 2000; ++i) scaler.update(true);
        QCOMPARE(scaler.currentScale(), 65536.0);
    }

    void lossFallsOnFashionMnist() {
        auto c = tinyConfig(120);
        c.saveEvery = 1000;
        StopToken stop;
        StoppingSink sink(stop, -1);
        const auto r = api::startTraining(c, path("falls"), sink, stop);
        QVERIFY(r.finished);
        QCOMPARE(int(sink.losses.size()), 120);
        const double first = mean(sink.losses, 0, 15), last = mean(sink.losses, 105, 120);
        DS_CHECK_TOLERANCE("training/loss_last_over_first", last / first, 0.6);
        // Negative control: a run that cannot learn (learning rate 1e-9) keeps its loss, the
        // ratio of its last 15 steps' to its first 15 near 1 (the batches' noise only).
        auto frozen = tinyConfig(30);
        frozen.saveEvery = 1000;
        frozen.lr.lr = 1e-9;
        StoppingSink frozenSink(stop, -1);
        QVERIFY(api::startTraining(frozen, path("frozen"), frozenSink, stop).finished);
        DS_CHECK_NEGATIVE_CONTROL("training/loss_last_over_first at lr 1e-9",
                                  mean(frozenSink.losses, 15, 30) / mean(frozenSink.losses, 0, 15), 0.6, 1.25);
        // The final checkpoint opens as a sampling checkpoint with its recorded image size.
        const auto ck = checkpoint::readDiffusionCheckpoint(r.lastCheckpoint);
        QCOMPARE(ck.format, checkpoint::DiffusionCheckpoint::Format::DiffusionStudio);
        QVERIFY(ck.imageSizeKnown);
        QCOMPARE(ck.diffusion.imageSize, 16);
        QCOMPARE(ck.step, int64_t(120));
        QVERIFY(fs::exists(path("falls/samples/step-120.png")));
        const auto records = train::MetricsLog::readSteps(path("falls/metrics.jsonl"));
        QCOMPARE(int(records.size()), 120);
        // The preview of the last step is on record with what it cost.
        const auto all = train::MetricsLog::read(path("falls/metrics.jsonl"));
        QCOMPARE(all.back()["step"].get<int>(), 120);
        // Recorded, not bounded: the time itself belongs to `bench preview`.
        const double recordedPreviewSeconds = all.back().value("preview_seconds", -1.0);
        QVERIFY(recordedPreviewSeconds > 0);
        // Loss by timestep: ten buckets per record; their sample-weighted mean is the step's loss.
        QCOMPARE(int(records.back()["loss_by_t"].size()), 10);
        QCOMPARE(int(sink.lossByTimestep.back().size()), 10);
        // Late in training the hardest tenth (small t, pred_v) differs from the easiest.
        const auto& lastBuckets = sink.lossByTimestep.back();
        int filled = 0;
        for (double v : lastBuckets) filled += std::isfinite(v) ? 1 : 0;
        QVERIFY(filled >= 3);  // batch 8 over 10 buckets
    }

    void timestepBucketsAverageWithinEachTenth() {
        train::TimestepLossBuckets buckets(100);
        const float losses[] = {1.0f, 3.0f, 5.0f, 7.0f};
        const int64_t ts[] = {0, 9, 10, 99};
        buckets.add(losses, ts, 4);
        const auto m = buckets.means();
        QCOMPARE(int(m.size()), 10);
        QCOMPARE(m[0], 2.0);  // t 0 and 9
        QCOMPARE(m[1], 5.0);  // t 10
        QCOMPARE(m[9], 7.0);  // t 99
        QVERIFY(std::isnan(m[5]));
        QCOMPARE(buckets.bucketOf(1000), 9);  // clamped
        buckets.reset();
        QVERIFY(std::isnan(buckets.means()[0]));
        // T not divisible by the bucket count: every t still has a bucket, in order.
        train::TimestepLossBuckets odd(7, 10);
        int previous = 0;
        for (int64_t t = 0; t < 7; ++t) {
            QVERIFY(odd.bucketOf(t) >= previous);
            previous = odd.bucketOf(t);
        }
    }

    void pausedTrainingWaitsAndStopEndsThePause() {
        auto c = tinyConfig(1000);
        c.saveEvery = 1000;
        StopToken stop;
        PauseGate pause;
        pause.pause();
        StoppingSink sink(stop, -1);
        // Stop once the run waits at the gate (not after a guess at how long starting takes).
        std::atomic<bool> held{false};
        std::thread stopper([&] {
            const auto limit = std::chrono::steady_clock::now() + std::chrono::milliseconds(test::kHangMs);
            while (!pause.holding() && !stop.stopRequested() && std::chrono::steady_clock::now() < limit)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            held = pause.holding();
            stop.requestStop();
        });
        api::TrainResult r;
        std::string error;
        try {
            r = api::startTraining(c, path("paused"), sink, stop, &pause);
        } catch (const std::exception& e) {
            error = e.what();
            stop.requestStop();
        }
        stopper.join();
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY2(held.load(), "the run never reached the pause gate");
        QVERIFY(!pause.holding());
        QCOMPARE(r.step, int64_t(0));  // no step ran while paused
        QVERIFY(sink.losses.empty());
        QVERIFY(!r.finished);
    }

    void stoppedAndResumedRunMatchesStraightRun_data() {
        QTest::addColumn<int>("stopAt");
        QTest::newRow("at a checkpoint") << 8;
        QTest::newRow("between checkpoints") << 5;
    }
    void stoppedAndResumedRunMatchesStraightRun() {
        QFETCH(int, stopAt);
        const auto c = tinyConfig(12);
        const std::string straight = path("straight-" + std::to_string(stopAt));
        const std::string split = path("split-" + std::to_string(stopAt));
        {
            StopToken stop;
            StoppingSink sink(stop, -1);
            QVERIFY(api::startTraining(c, straight, sink, stop).finished);
        }
        {
            StopToken stop;
            StoppingSink sink(stop, stopAt);
            const auto r = api::startTraining(c, split, sink, stop);
            QVERIFY(!r.finished);
            QCOMPARE(r.step, int64_t(stopAt));
            QVERIFY(fs::exists(split + "/checkpoints/step-" + std::to_string(stopAt) + ".pt"));
        }
        {
            StopToken stop;
            StoppingSink sink(stop, -1);
            const auto r = api::resumeTraining(split, 0, sink, stop);
            QVERIFY(r.finished);
            QCOMPARE(int(sink.losses.size()), 12 - stopAt);
        }
        const auto a = straight + "/checkpoints/step-12.pt", b = split + "/checkpoints/step-12.pt";
        const std::string tag = "training/resumed_at_" + std::to_string(stopAt);
        DS_CHECK_TOLERANCE(tag + "/model_weights", weightDifference(weightsOf(a, "model"), weightsOf(b, "model")), 0.0);
        DS_CHECK_TOLERANCE(tag + "/ema_weights", weightDifference(weightsOf(a, "ema"), weightsOf(b, "ema")), 0.0);
        // The metrics continue without gaps or repeats.
        const auto records = train::MetricsLog::readSteps(split + "/metrics.jsonl");
        QCOMPARE(int(records.size()), 12);
        for (int i = 0; i < 12; ++i) QCOMPARE(records[i]["step"].get<int>(), i + 1);
        const auto straightRecords = train::MetricsLog::readSteps(straight + "/metrics.jsonl");
        DS_CHECK_TOLERANCE(
            tag + "/last_loss",
            std::abs(records.back()["loss"].get<double>() - straightRecords.back()["loss"].get<double>()), 0.0);
    }

    void resumeCanExtendTheRun() {
        const auto c = tinyConfig(4);
        StopToken stop;
        StoppingSink sink(stop, -1);
        QVERIFY(api::startTraining(c, path("extend"), sink, stop).finished);
        const auto r = api::resumeTraining(path("extend"), 6, sink, stop);
        QVERIFY(r.finished);
        QCOMPARE(r.step, int64_t(6));
        QCOMPARE(int(train::MetricsLog::readSteps(path("extend/metrics.jsonl")).size()), 6);
    }

    void checkpointLoadsInPython() {
        const auto c = tinyConfig(2);
        StopToken stop;
        StoppingSink sink(stop, -1);
        const auto r = api::startTraining(c, path("python"), sink, stop);
        if (!test::pythonTorchAvailable()) QSKIP("python3-torch is not installed");
        // lucidrains' own loading code: take data['model'], strip 'model.', load into the Unet.
        const QString script = QString(R"(
import sys, torch
d = torch.load(sys.argv[1], map_location='cpu')
assert set(['step', 'model', 'opt', 'ema', 'version']) <= set(d.keys()), d.keys()
assert d['step'] == 2
assert type(d['model']).__name__ == 'OrderedDict'
assert len([k for k in d['model'] if not k.startswith('model.')]) == 13
unet = {k[len('model.'):]: v for k, v in d['model'].items() if k.startswith('model.')}
assert unet['init_conv.weight'].shape == (8, 1, 7, 7)
assert any(k.startswith('ema_model.model.') for k in d['ema'])
opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros_like(v)) for v in unet.values()], lr=1e-4, betas=(0.9, 0.99))
opt.load_state_dict(d['opt'])
print('ok')
)");
        const auto py = test::runPython(script, {QString::fromStdString(r.lastCheckpoint)});
        QVERIFY(py.finished);
        QVERIFY2(py.exitCode == 0, py.output.constData());
        QCOMPARE(py.output.trimmed(), QByteArray("ok"));
    }

    void badDataIsRefusedBeforeTraining_data() {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("expected");
        fs::create_directories(path("empty"));
        fs::create_directories(path("texts"));
        for (int i = 0; i < 3; ++i) std::ofstream(path("texts/note" + std::to_string(i) + ".png")) << "not an image";
        QTest::newRow("empty folder") << QString::fromStdString(path("empty")) << "empty";
        QTest::newRow("no images") << QString::fromStdString(path("texts")) << "texts";
        QTest::newRow("missing folder") << QString::fromStdString(path("absent")) << "absent";
    }
    void badDataIsRefusedBeforeTraining() {
        QFETCH(QString, folder);
        QFETCH(QString, expected);
        auto c = tinyConfig(2);
        c.data = folder.toStdString();
        StopToken stop;
        StoppingSink sink(stop, -1);
        const std::string run = path("bad-" + fs::path(folder.toStdString()).filename().string());
        try {
            api::startTraining(c, run, sink, stop);
            QFAIL("training started on bad data");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(expected), e.what());
        }
        QVERIFY(!fs::exists(run + "/checkpoints") || fs::is_empty(run + "/checkpoints"));
    }

    void corruptImageAmongGoodOnesIsSkipped() {
        fs::create_directories(path("mixed/sub"));
        cv::Mat img(20, 24, CV_8UC3);
        for (int i = 0; i < 10; ++i) {
            cv::randu(img, 0, 255);
            cv::imwrite(path("mixed/sub/img" + std::to_string(i) + ".png"), img);
        }
        std::ofstream(path("mixed/broken.jpg"), std::ios::binary) << "\xFF\xD8\xFF\xE0 truncated";
        auto c = tinyConfig(2);
        c.data = path("mixed");
        c.unet.channels = 3;
        c.batchSize = 4;
        struct LogSink : StoppingSink {
            using StoppingSink::StoppingSink;
            void onLog(const std::string& line) override { log += line + "\n"; }
            std::string log;
        };
        StopToken stop;
        LogSink sink(stop, -1);
        QVERIFY(api::startTraining(c, path("mixed-run"), sink, stop).finished);
        QVERIFY2(QString::fromStdString(sink.log).contains("skipped 1"), sink.log.c_str());
        QVERIFY(QString::fromStdString(sink.log).contains("broken.jpg"));
    }

    void runOfAnotherVersionIsRefused() {
        fs::create_directories(path("future"));
        auto j = tinyConfig(2).toJson();
        j["format_version"] = 99;
        std::ofstream(path("future/config.json")) << j.dump();
        StopToken stop;
        StoppingSink sink(stop, -1);
        try {
            api::resumeTraining(path("future"), 0, sink, stop);
            QFAIL("resumed a run of another version");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("version 99"), e.what());
            QVERIFY(QString(e.what()).contains("future"));
        }
    }

    void existingRunIsNotOverwritten() {
        const auto c = tinyConfig(2);
        StopToken stop;
        StoppingSink sink(stop, -1);
        QVERIFY(api::startTraining(c, path("once"), sink, stop).finished);
        try {
            api::startTraining(c, path("once"), sink, stop);
            QFAIL("a second run was started in the same folder");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("resume"));
        }
        QVERIFY(fs::exists(path("once/checkpoints/step-2.pt")));
    }
};

QTEST_GUILESS_MAIN(TestTraining)
#include "test_training.moc"
