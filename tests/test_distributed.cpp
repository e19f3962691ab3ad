// SPDX-License-Identifier: GPL-3.0-or-later
// Data-parallel training over c10d's Gloo on loopback with a tiny model (Fashion-MNIST, 16x16).
// In this process: two ranks as two threads, each with its own process group over TCP (the same
// collectives as between processes), so that the replicas' parameters can be compared directly.
// Through the CLI, with real processes: `train --nproc 2`, resume, the world-size rule, and a
// killed rank.
#include "core/api/distributed.h"
#include "core/io/torch_file.h"
#include "core/jobs/train_jobs.h"
#include "core/train/process_group.h"
#include "core/train/trainer.h"
#include "core/util/error.h"
#include "tests/support/cli_runner.h"
#include "tests/support/hang_limits.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tiny_train_config.h"
#include "tests/support/tolerance.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <signal.h>

#include <exception>
#include <functional>
#include <thread>

using namespace ds;

namespace {

// Runs f(rank) on one thread per rank; rethrows the first failure.
void onEveryRank(int worldSize, const std::function<void(int)>& f) {
    const auto ranks = static_cast<size_t>(worldSize);
    std::vector<std::exception_ptr> errors(ranks);
    std::vector<std::thread> threads;
    for (int r = 0; r < worldSize; ++r)
        threads.emplace_back([&, r] {
            try {
                f(r);
            } catch (...) {
                errors[size_t(r)] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

std::vector<std::unique_ptr<train::ProcessGroup>> makeGroup(int worldSize, double bucketMiB) {
    const int port = api::findFreePort();
    const auto ranks = static_cast<size_t>(worldSize);
    std::vector<std::unique_ptr<train::ProcessGroup>> groups(ranks);
    onEveryRank(worldSize, [&](int r) {
        api::DistEnvironment env;
        env.rank = env.localRank = r;
        env.worldSize = env.localWorldSize = worldSize;
        env.masterAddr = "127.0.0.1";
        env.masterPort = port;
        env.present = true;
        api::DistributedOptions options;
        options.timeoutSeconds = test::kHangMs / 1000;  // a collective waits for the other thread
        options.bucketMiB = bucketMiB;
        groups[size_t(r)] = std::make_unique<train::ProcessGroup>(env, options, torch::Device(torch::kCPU));
    });
    return groups;
}

class LossSink : public api::JobSink {
public:
    void onMetrics(const api::TrainMetrics& m) override { losses.push_back(m.loss); }
    std::vector<double> losses;
};

// FID during training without a feature network: the "features" are the samples' pixels and the
// "distance" their mean; every set of gathered features is kept for comparison.
class RecordingQuality : public train::SampleQuality {
public:
    const std::string& label() const override { return label_; }
    void prepare(const StopToken&) override {}
    torch::Tensor features(const torch::Tensor& images, const StopToken&) override {
        return images.reshape({images.size(0), -1}).to(torch::kFloat);
    }
    double distance(const torch::Tensor& features) override {
        measured.push_back(features.clone());
        return features.to(torch::kDouble).mean().item<double>();
    }
    std::vector<torch::Tensor> measured;

private:
    std::string label_ = "pixel mean";
};

train::TrainConfig smallConfig(int batch, int worldSize, int64_t steps) {
    auto c = test::tinyTrainConfig(steps);
    c.batchSize = batch;
    c.worldSize = worldSize;
    c.hflip = true;  // flips are chosen per permutation slot: they too must not depend on the split
    c.saveEvery = 1000;
    return c;
}

std::vector<torch::Tensor> parametersOf(const train::Trainer& t) { return t.model().online()->parameters(); }

double maxDifference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
}

// A tiny training run through the CLI, one LibTorch thread per process: batches of 4, a
// checkpoint every 3 steps, a constant learning rate.
QStringList tinyTrainArgs(const QString& runDir, int steps) {
    return test::tinyTrainCommand(runDir, steps,
                                  {"--batch-size", "4", "--save-every", "3", "--sample-every", "1000", "--lr-schedule",
                                   "constant", "--seed", "3"});
}

// Starts `train --nproc 2` (plus extra) for a long run and waits until its first checkpoint
// exists (written whole: a temporary file renamed); returns rank 1's pid (from the launcher's "rank 1: pid N" line) and
// what was printed so far, or an empty pid (with the reason in the text) on failure.
std::pair<QString, QString> startTwoRanksUntilACheckpoint(QProcess& p, const QString& run, const QStringList& extra) {
    p.start(test::cliPath(), tinyTrainArgs(run, 100000) + QStringList{"--nproc", "2"} + extra);
    if (!p.waitForStarted()) return {{}, "the launcher did not start"};
    QElapsedTimer timer;
    timer.start();
    while (!QFile::exists(run + "/checkpoints/step-3.pt") && timer.elapsed() < test::kHangMs &&
           p.state() == QProcess::Running)
        QTest::qWait(20);
    const QString printed = QString::fromUtf8(p.readAllStandardError());
    if (p.state() != QProcess::Running) return {{}, "the run ended early: " + printed};
    if (!QFile::exists(run + "/checkpoints/step-3.pt")) return {{}, "no checkpoint within the hang limit: " + printed};
    const auto match = QRegularExpression("rank 1: pid (\\d+)").match(printed);
    return {match.hasMatch() ? match.captured(1) : QString(), printed};
}

// Max |a - b| over the two checkpoints' model weights (infinite when they hold different entries).
double weightDifference(const std::string& a, const std::string& b) {
    const auto ra = io::loadTorchFile(a), rb = io::loadTorchFile(b);
    const auto& da = ra->at("model").asDict();
    const auto& db = rb->at("model").asDict();
    if (da.size() != db.size()) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < da.size(); ++i)
        if (da[i].second->is(io::PyValue::Kind::Tensor))
            worst = std::max(worst, test::maxAbsDiff(da[i].second->asTensor(), db[i].second->asTensor()));
    return worst;
}

}  // namespace

class TestDistributed : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string path(const std::string& name) const {
        return dir_.filePath(QString::fromStdString(name)).toStdString();
    }
    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void replicasStayBitIdentical() {
        // Buckets of 2 KiB: the tiny U-Net's gradients travel in many all-reduces.
        auto groups = makeGroup(2, 2.0 / 1024);
        const auto config = smallConfig(4, 2, 5);
        StopToken stop;
        api::JobSink sink0, sink1;
        train::Trainer rank0(train::RunDirectory::create(path("replicas"), config), sink0, stop, nullptr,
                             groups[0].get());
        train::Trainer rank1(train::RunDirectory::unwritten(path("replicas"), config), sink1, stop, nullptr,
                             groups[1].get());
        // Rank 1 starts elsewhere: the broadcast from rank 0 must make the replicas equal.
        {
            torch::NoGradGuard noGrad;
            for (auto& p : parametersOf(rank1)) p.add_(torch::randn_like(p));
        }
        std::vector<torch::Tensor> initial;
        for (const auto& p : parametersOf(rank0)) initial.push_back(p.detach().clone());
        onEveryRank(2, [&](int r) { (r == 0 ? rank0 : rank1).run(); });

        // Every rank applies the same all-reduced gradient to the same parameters: bitwise.
        const auto a = parametersOf(rank0), b = parametersOf(rank1);
        QCOMPARE(a.size(), b.size());
        DS_CHECK_TOLERANCE("distributed/replicas_after_5_steps", maxDifference(a, b), 0.0);
        QVERIFY2(maxDifference(a, initial) > 1e-4, "the parameters did not move");
        QCOMPARE(rank0.step(), int64_t(5));
        QCOMPARE(rank1.step(), int64_t(5));
    }

    void twoRanksOfBatchBMatchOneProcessOfBatch2B() {
        const int64_t steps = 6;
        // FID during training at steps 3 and 6, 5 samples in batches of 2: the ranks' shares (2
        // and 3 images) differ, and rank 1 samples in two batches.
        const auto withFid = [](train::TrainConfig c) {
            c.fid.every = 3;
            c.fid.samples = 5;
            c.fid.batchSize = 2;
            c.fid.reference = "recorded in the test";
            return c;
        };
        StopToken stop;
        LossSink single;
        train::Trainer one(train::RunDirectory::create(path("one-process"), withFid(smallConfig(8, 1, steps))), single,
                           stop);
        auto oneQuality = std::make_shared<RecordingQuality>();
        one.setSampleQuality(oneQuality);
        one.run();

        auto groups = makeGroup(2, 25);
        const auto config = withFid(smallConfig(4, 2, steps));
        LossSink sink0, sink1;
        train::Trainer rank0(train::RunDirectory::create(path("two-ranks"), config), sink0, stop, nullptr,
                             groups[0].get());
        train::Trainer rank1(train::RunDirectory::unwritten(path("two-ranks"), config), sink1, stop, nullptr,
                             groups[1].get());
        auto quality0 = std::make_shared<RecordingQuality>(), quality1 = std::make_shared<RecordingQuality>();
        rank0.setSampleQuality(quality0);
        rank1.setSampleQuality(quality1);
        onEveryRank(2, [&](int r) { (r == 0 ? rank0 : rank1).run(); });

        // The FID's samples: every rank samples its share of the same noise with rank 0's EMA
        // weights, rank 0 gathers them in order; rank 1 measures nothing itself.
        QCOMPARE(int(oneQuality->measured.size()), 2);
        QCOMPARE(int(quality0->measured.size()), 2);
        QCOMPARE(int(quality1->measured.size()), 0);
        for (int i = 0; i < 2; ++i) {
            const auto& gathered = quality0->measured[size_t(i)];
            const auto& alone = oneQuality->measured[size_t(i)];
            QCOMPARE(gathered.sizes(), alone.sizes());
            // The weights of the two runs may differ by the gradient reduction's rounding (their
            // tolerance below: 1e-5); 20 sampler steps carry that into pixels in [0, 1] at about
            // ten times that at most: 1e-4 (measured 3e-7 here).
            const double pixelTol = 1e-4;
            DS_CHECK_TOLERANCE("distributed/fid_samples_two_ranks_vs_one_" + std::to_string(i),
                               (gathered - alone).abs().max().item<double>(), pixelTol);
            // Negative control: the same samples gathered in the wrong order (rank 1's first).
            const auto swapped = torch::cat({gathered.narrow(0, 2, 3), gathered.narrow(0, 0, 2)});
            DS_CHECK_NEGATIVE_CONTROL("distributed/fid_samples_in_the_wrong_order_" + std::to_string(i),
                                      (swapped - alone).abs().max().item<double>(), pixelTol, 10.0);
        }
        QVERIFY(QFile::exists(QString::fromStdString(path("two-ranks") + "/checkpoints/best.pt")));

        // The same batch of 8, its gradient reduced as two halves (Gloo's all-reduce of the ranks'
        // means) instead of one sum: float32 rounding of the sums, ~1e-7 of each gradient. An Adam
        // step moves a parameter by at most about lr (1e-3 here) whatever the gradient's scale, and
        // that rounding moves the step by as little unless the gradient is near 0: 1e-5 (1% of
        // one step) over 6 steps. The losses are means over the same 8 images' terms: 1e-5 of a
        // loss ~1 is 80 float32 epsilons. Every rank logs the global loss: bitwise the same.
        const double weightTol = 1e-5, diff = maxDifference(parametersOf(rank0), parametersOf(one));
        DS_CHECK_TOLERANCE("distributed/two_ranks_of_4_vs_one_of_8_weights", diff, weightTol);
        QCOMPARE(sink0.losses.size(), single.losses.size());
        double lossDiff = 0, rankDiff = 0;
        for (size_t i = 0; i < single.losses.size(); ++i) {
            lossDiff = std::max(lossDiff, std::abs(sink0.losses[i] - single.losses[i]));
            rankDiff = std::max(rankDiff, std::abs(sink1.losses[i] - sink0.losses[i]));
        }
        DS_CHECK_TOLERANCE("distributed/two_ranks_of_4_vs_one_of_8_losses", lossDiff, 1e-5);
        DS_CHECK_TOLERANCE("distributed/rank1_vs_rank0_losses", rankDiff, 0.0);
        // Negative control: one process of 8 that stops a step short (one Adam step, ~lr = 1e-3,
        // behind) misses the two ranks' weights by far more.
        LossSink shortSink;
        train::Trainer shortRun(train::RunDirectory::create(path("one-process-short"), smallConfig(8, 1, steps - 1)),
                                shortSink, stop);
        shortRun.run();
        DS_CHECK_NEGATIVE_CONTROL("distributed/two_ranks_vs_one_process_a_step_short",
                                  maxDifference(parametersOf(rank0), parametersOf(shortRun)), weightTol, 10.0);
    }

    // Class-conditional runs: each rank's labels are those of its own rows of the global batch
    // (and so is the label dropout), so two ranks of 4 train as one process of 8 (the same 1e-5
    // as unconditional runs), for the diffusion CFG Unet and a flow's class embedding.
    void conditionalRanksShardLabelsWithTheirImages_data() {
        QTest::addColumn<bool>("flow");
        QTest::newRow("diffusion") << false;
        QTest::newRow("flow") << true;
    }
    void conditionalRanksShardLabelsWithTheirImages() {
        QFETCH(bool, flow);
        const int64_t steps = 4;
        const auto conditional = [flow](int batch, int worldSize, double dropProb) {
            auto c = flow ? test::tinyFlowConfig(steps, "icfm") : smallConfig(batch, worldSize, steps);
            c.batchSize = batch;
            c.worldSize = worldSize;
            c.saveEvery = 1000;
            c.makeConditional();
            c.conditioning.dropProb = dropProb;
            c.setClassNames({"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                             "Ankle boot"});
            return c;
        };
        const std::string name = flow ? "conditional-flow" : "conditional-diffusion";
        StopToken stop;
        LossSink single;
        train::Trainer one(train::RunDirectory::create(path(name + "-one"), conditional(8, 1, 0.5)), single, stop);
        one.run();
        auto groups = makeGroup(2, 25);
        const auto config = conditional(4, 2, 0.5);
        LossSink sink0, sink1;
        train::Trainer rank0(train::RunDirectory::create(path(name + "-two"), config), sink0, stop, nullptr,
                             groups[0].get());
        train::Trainer rank1(train::RunDirectory::unwritten(path(name + "-two"), config), sink1, stop, nullptr,
                             groups[1].get());
        onEveryRank(2, [&](int r) { (r == 0 ? rank0 : rank1).run(); });
        const double weightTol = 1e-5;
        DS_CHECK_TOLERANCE("distributed/" + name + "_two_ranks_vs_one_weights",
                           maxDifference(parametersOf(rank0), parametersOf(one)), weightTol);
        // Negative control: another label dropout (other labels reach the network) trains
        // other weights.
        LossSink otherSink;
        train::Trainer other(train::RunDirectory::create(path(name + "-other"), conditional(8, 1, 0.0)), otherSink,
                             stop);
        other.run();
        DS_CHECK_NEGATIVE_CONTROL("distributed/" + name + "_two_ranks_vs_no_label_dropout",
                                  maxDifference(parametersOf(rank0), parametersOf(other)), weightTol, 10.0);
    }

    void commandLineRunWithTwoProcessesResumesOnTheSameTrajectory() {
        const QString straight = tmp("cli-straight"), resumed = tmp("cli-resumed");
        auto r = test::runCli(tinyTrainArgs(straight, 9) + QStringList{"--nproc", "2"}, test::kHangMs);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("rank 0: pid") && r.err.contains("rank 1: pid"), qPrintable(r.err));
        QFile configFile(straight + "/config.json");
        QVERIFY(configFile.open(QIODevice::ReadOnly));
        const auto dist = QJsonDocument::fromJson(configFile.readAll()).object()["distributed"].toObject();
        QCOMPARE(dist["world_size"].toInt(), 2);
        QCOMPARE(dist["global_batch_size"].toInt(), 8);

        // Six steps, then resumed to nine: the same weights as nine straight steps.
        r = test::runCli(tinyTrainArgs(resumed, 6) + QStringList{"--nproc", "2"}, test::kHangMs);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = test::runCli({"--threads", "1", "resume", resumed, "--steps", "9", "--nproc", "2"}, test::kHangMs);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("resuming from"), qPrintable(r.err));
        DS_CHECK_TOLERANCE("distributed/cli_resumed_vs_straight_weights",
                           weightDifference((straight + "/checkpoints/step-9.pt").toStdString(),
                                            (resumed + "/checkpoints/step-9.pt").toStdString()),
                           0.0);

        // Another number of processes is refused, naming the rule.
        r = test::runCli({"--threads", "1", "resume", resumed, "--steps", "12"}, test::kHangMs);
        QVERIFY2(r.exitCode == 1 && r.err.contains("was trained by 2 processes") && r.err.contains("--nproc 2"),
                 qPrintable(r.err));
    }

    void killedRankStopsTheOthersWithAClearError() {
        const QString run = tmp("killed");
        QProcess p;
        const auto [pid, early] = startTwoRanksUntilACheckpoint(p, run, {});
        QVERIFY2(!pid.isEmpty(), qPrintable(early));
        QVERIFY(::kill(pid_t(pid.toLongLong()), SIGKILL) == 0);
        QVERIFY2(p.waitForFinished(test::kHangMs), "the launcher did not end after a rank's death");
        const QString err = early + QString::fromUtf8(p.readAllStandardError());
        QVERIFY(p.exitCode() != 0);
        // The launcher names the lost rank; the survivor stopped by itself, naming itself.
        QVERIFY2(err.contains("error: rank 1 (pid " + pid + ") was killed by signal 9"), qPrintable(err));
        QVERIFY2(err.contains("error: rank 0 of 2: ") && err.contains("failed"), qPrintable(err));
        QVERIFY2(!err.contains("were terminated"), qPrintable(err));
        // The last checkpoint is whole.
        const auto checkpoints = QDir(run + "/checkpoints").entryList({"step-*.pt"}, QDir::Files, QDir::Name);
        QVERIFY(!checkpoints.isEmpty());
        QVERIFY(QDir(run + "/checkpoints").entryList({"*.tmp*"}, QDir::Files).isEmpty());
        for (const auto& name : checkpoints) io::loadTorchFile((run + "/checkpoints/" + name).toStdString());
    }

    void hungRankTimesOutAndIsTerminated() {
        // A rank that stops answering (SIGSTOP) is given up after --dist-timeout; the launcher then
        // terminates it after its 30 s grace (SIGKILL: a stopped process does not act on SIGTERM).
        // The timeout also bounds the rendezvous and every step before the stop: 15 s leaves a
        // loaded machine room for starting two LibTorch processes.
        const QString run = tmp("hung");
        QProcess p;
        const auto [pid, early] = startTwoRanksUntilACheckpoint(p, run, {"--dist-timeout", "15"});
        QVERIFY2(!pid.isEmpty(), qPrintable(early));
        QVERIFY(::kill(pid_t(pid.toLongLong()), SIGSTOP) == 0);
        QVERIFY2(p.waitForFinished(test::kHangMs), "the launcher did not end after a rank hung");
        const QString err = early + QString::fromUtf8(p.readAllStandardError());
        QVERIFY(p.exitCode() != 0);
        QVERIFY2(err.contains("error: rank 0 of 2: ") && err.contains("within 15 s"), qPrintable(err));
        QVERIFY2(err.contains("rank 1 (pid " + pid + ") was killed by signal 9") && err.contains("were terminated"),
                 qPrintable(err));
    }

    void environmentContractIsCheckedClearly() {
        const auto runWith = [](const QStringList& env, const QStringList& args) {
            QProcess p;
            auto e = QProcessEnvironment::systemEnvironment();
            for (const auto& kv : env) e.insert(kv.section('=', 0, 0), kv.section('=', 1));
            p.setProcessEnvironment(e);
            p.start(test::cliPath(), args);
            p.waitForFinished(test::kHangMs);
            return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()));
        };
        const QString never = tmp("never");
        auto [code, err] = runWith({"RANK=0"}, tinyTrainArgs(never, 1));
        QVERIFY2(code == 1 && err.contains("WORLD_SIZE is not set"), qPrintable(err));
        std::tie(code, err) =
            runWith({"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=x"}, tinyTrainArgs(never, 1));
        QVERIFY2(code == 1 && err.contains("MASTER_PORT=x"), qPrintable(err));
        std::tie(code, err) = runWith({"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29999"},
                                      tinyTrainArgs(never, 1) + QStringList{"--nproc", "2"});
        QVERIFY2(code == 1 && err.contains("leave it out"), qPrintable(err));
        // A group of one (a launcher's smallest) asking for NCCL on this CPU-only build.
        const QString port = QString::number(api::findFreePort());
        std::tie(code, err) = runWith({"RANK=0", "WORLD_SIZE=1", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port},
                                      tinyTrainArgs(never, 1) + QStringList{"--dist-backend", "nccl"});
#ifndef DS_WITH_NCCL
        QVERIFY2(code == 1 && err.contains("error: rank 0 of 1: ") && err.contains("no NCCL"), qPrintable(err));
#endif
        QVERIFY(!QDir(never).exists());
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
