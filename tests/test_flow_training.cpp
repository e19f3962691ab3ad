// SPDX-License-Identifier: GPL-3.0-or-later
// Flow matching through the Trainer (the model-family seam) on real data (Fashion-MNIST) with a
// tiny g4vrel/CFM U-Net: the loss falls, the checkpoint opens for sampling and in g4vrel/CFM's layout in
// Python, a stopped and resumed run ends bitwise equal to a straight one (OT-CFM's coupling draws
// from the same generator), and the cfm-seed preset is g4vrel/CFM's recipe.
//
// Tolerances. Learning is checked on the loss of the last 10 steps against the first 10: a ratio
// below 0.7 (OT path, 80 steps) or 0.8 (the other backbones), where runs measure 0.32 (OT) and
// 0.38 - 0.44 on every kernel family here, and a run that cannot learn (learning rate 1e-9)
// about 1. A resumed run repeats the straight run's operations on the same kernels: bitwise (0).
// The schedule is double arithmetic: 4 float64 epsilons of the peak rate it scales.
#include "core/api/checkpoint_info.h"
#include "core/api/image_file.h"
#include "core/api/sampling.h"
#include "core/checkpoint/flow_checkpoint.h"
#include "core/io/torch_file.h"
#include "core/jobs/train_jobs.h"
#include "core/nn/unet.h"
#include "core/train/metrics_log.h"
#include "core/util/error.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/python_torch.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tiny_train_config.h"
#include "tests/support/tolerance.h"

#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>

using namespace ds;
namespace fs = std::filesystem;

namespace {

using test::tinyFlowConfig;

class LossSink : public api::JobSink {
public:
    LossSink(StopToken& stop, int64_t stopAfter) : stop_(stop), stopAfter_(stopAfter) {}
    void onMetrics(const api::TrainMetrics& m) override {
        losses.push_back(m.loss);
        if (m.step == stopAfter_) stop_.requestStop();
    }
    std::vector<double> losses;

private:
    StopToken& stop_;
    int64_t stopAfter_;
};

double mean(const std::vector<double>& v, size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += v[i];
    return s / double(to - from);
}

// Max |a - b| over two state dicts (infinite when their keys or shapes differ, or they are empty).
double weightDifference(const checkpoint::StateDict& a, const checkpoint::StateDict& b) {
    if (a.size() != b.size() || a.empty()) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a.entries()[i].first != b.entries()[i].first) return INFINITY;
        worst = std::max(worst, test::maxAbsDiff(a.entries()[i].second, b.entries()[i].second));
    }
    return worst;
}

// A double computed in a few operations: 4 float64 epsilons of it.
double doubleArithmetic(double value) { return 4 * test::kFloat64Epsilon * std::abs(value); }

// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

}  // namespace

class TestFlowTraining : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string path(const std::string& name) const {
        return dir_.filePath(QString::fromStdString(name)).toStdString();
    }

    // Trains `c` (80 steps of I-CFM) into the folder `name`: its last checkpoint ("" when the run
    // did not finish) and the loss of its last 10 steps over that of its first 10.
    std::pair<std::string, double> trainUntilLossFalls(const train::TrainConfig& c, const std::string& name) {
        StopToken stop;
        LossSink sink(stop, -1);
        const auto r = api::startTraining(c, path(name), sink, stop);
        if (!r.finished || sink.losses.size() < 80) return {std::string(), INFINITY};
        const double first = mean(sink.losses, 0, 10), last = mean(sink.losses, 70, 80);
        qInfo("%s backbone, I-CFM: loss %.3f -> %.3f", name.c_str(), first, last);
        return {r.lastCheckpoint, last / first};
    }

    // Two images in three Euler steps.
    static api::SampleRequest eulerRequest(const std::string& checkpoint) {
        api::SampleRequest s;
        s.checkpoint = checkpoint;
        s.solver = "euler";
        s.steps = 3;
        s.num = 2;
        return s;
    }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void lossFallsAndCheckpointSamples() {
        auto c = tinyFlowConfig(80, "ot");
        c.saveEvery = 1000;
        c.sampleEvery = 80;
        StopToken stop;
        LossSink sink(stop, -1);
        const auto r = api::startTraining(c, path("falls"), sink, stop);
        QVERIFY(r.finished);
        QCOMPARE(int(sink.losses.size()), 80);
        const double first = mean(sink.losses, 0, 10), last = mean(sink.losses, 70, 80);
        DS_CHECK_TOLERANCE("flow_training/ot_loss_last_over_first", last / first, 0.7);
        // Negative control: a run that cannot learn (learning rate 1e-9) keeps its loss, the
        // ratio of its last 10 steps' to its first 10 near 1 (the batches' noise only).
        auto frozen = tinyFlowConfig(20, "ot");
        frozen.saveEvery = 1000;
        frozen.lr.lr = 1e-9;
        LossSink frozenSink(stop, -1);
        QVERIFY(api::startTraining(frozen, path("frozen"), frozenSink, stop).finished);
        DS_CHECK_NEGATIVE_CONTROL("flow_training/ot_loss_last_over_first at lr 1e-9",
                                  mean(frozenSink.losses, 10, 20) / mean(frozenSink.losses, 0, 10), 0.7, 1.2);
        QVERIFY(fs::exists(path("falls/samples/step-80.png")));
        // The checkpoint is a flow checkpoint that records what g4vrel/CFM's files do not.
        const auto ck = checkpoint::readFlowCheckpoint(r.lastCheckpoint);
        QCOMPARE(ck.format, checkpoint::FlowCheckpoint::Format::DiffusionStudio);
        QVERIFY(ck.groupsRecorded);
        QVERIFY(ck.network.as<flow::FlowUnetConfig>());
        QCOMPARE(ck.network.as<flow::FlowUnetConfig>()->groups, 8);
        QCOMPARE(ck.network.channels(), 1);
        QCOMPARE(ck.imageSize, 16);
        QCOMPARE(ck.step, int64_t(80));
        QCOMPARE(ck.emaUpdates, int64_t(80));
        // ... and samples without --image-size or --groups.
        api::SampleRequest s;
        s.checkpoint = r.lastCheckpoint;
        s.solver = "midpoint";
        s.steps = 3;
        s.num = 2;
        s.saveTensorsPath = path("falls/samples.pt");
        api::JobSink quiet;
        const auto sampled = api::runSampling(s, quiet, stop);
        QCOMPARE(sampled.nfe, int64_t(6));
        const auto saved = io::loadTorchFile(s.saveTensorsPath);
        QCOMPARE(saved->at("trajectory").asTensor().sizes().vec(), (std::vector<int64_t>{4, 2, 1, 16, 16}));
        // Metrics carry loss by time like diffusion runs (ten buckets of t).
        QCOMPARE(int(train::MetricsLog::readSteps(path("falls/metrics.jsonl")).back()["loss_by_t"].size()), 10);
    }

    // lucidrains' Unet as the velocity network (continuous t, scaled to its timestep range): it
    // trains through the same Trainer, its checkpoint says which backbone it holds, and it samples.
    void lucidrainsBackboneLearnsAndSamples() {
        auto c = tinyFlowConfig(80, "icfm");
        auto lucidrains = train::TrainConfig::fromPreset("tiny").unet;
        lucidrains.dim = 8;
        lucidrains.dimMults = {1, 2};
        lucidrains.channels = 1;
        c.flow.network = lucidrains;
        c.saveEvery = 1000;
        QCOMPARE(c.channels(), 1);
        const auto [last, ratio] = trainUntilLossFalls(c, "lucidrains");
        QVERIFY2(!last.empty(), "the run did not finish");
        DS_CHECK_TOLERANCE("flow_training/lucidrains_loss_last_over_first", ratio, 0.8);

        const auto ck = checkpoint::readFlowCheckpoint(last);
        QVERIFY(ck.network.backbone() == flow::Backbone::Lucidrains);
        QCOMPARE(ck.network.as<nn::UnetConfig>()->dim, 8);
        QCOMPARE(ck.network.channels(), 1);
        QCOMPARE(ck.imageSize, 16);
        const auto info = api::inspectCheckpoint(last);
        QCOMPARE(info.family, api::ModelFamily::Flow);
        QCOMPARE(api::checkpointFamily(last), api::ModelFamily::Flow);
        QCOMPARE(info.details["backbone"].get<std::string>(), std::string("lucidrains"));
        QVERIFY(info.architecture.find("Unet(dim=8") != std::string::npos);

        auto s = eulerRequest(last);
        api::JobSink quiet;
        StopToken stop;
        const auto sampled = api::runSampling(s, quiet, stop);
        QCOMPARE(sampled.nfe, int64_t(3));
        QCOMPARE(api::metadataValue(sampled.gridMetadata, "ds.backbone"), std::string("lucidrains"));
        s.groups = 8;  // GroupNorm groups belong to g4vrel/CFM's U-Net
        QVERIFY_EXCEPTION_THROWN(api::runSampling(s, quiet, stop), Error);

        // The velocity network hands lucidrains' Unet t x 1000: a diffusion timestep's embedding.
        c10::InferenceMode guard;
        const auto net = checkpoint::buildVelocityNetwork(ck, {});
        const auto x = torch::randn({2, 1, 16, 16});
        const auto t = torch::tensor({0.25f, 0.9f});
        auto* unet = dynamic_cast<nn::UnetImpl*>(net.module().get());
        QVERIFY(unet);
        // The very same call: bitwise. Negative control: t unscaled is another embedding.
        const auto v = net.forward(x, t);
        DS_CHECK_TOLERANCE("flow_training/lucidrains_t_times_1000", test::maxAbsDiff(v, unet->forward(x, t * 1000)),
                           0.0);
        DS_CHECK_NEGATIVE_CONTROL("flow_training/lucidrains_t_unscaled", test::maxAbsDiff(v, unet->forward(x, t)),
                                  test::unetTolerance(test::maxAbs(v)), kNegativeControlFactor);
    }

    void torchCfmBackboneLearnsAndSamples() {
        auto c = tinyFlowConfig(80, "icfm");
        c.flow.network = train::FlowTrainConfig::startingNetwork(flow::Backbone::TorchCfm, 1);
        c.flow.network.as<nn::OpenAiUnetConfig>()->channelMult = {1, 2};  // two levels for 16 px
        c.saveEvery = 1000;
        QCOMPARE(c.channels(), 1);
        const auto [last, ratio] = trainUntilLossFalls(c, "torchcfm");
        QVERIFY2(!last.empty(), "the run did not finish");
        DS_CHECK_TOLERANCE("flow_training/torchcfm_loss_last_over_first", ratio, 0.8);

        // Our run records what torchcfm's own files do not: the heads and the image size.
        const auto ck = checkpoint::readFlowCheckpoint(last);
        const auto* torchcfm = ck.network.as<nn::OpenAiUnetConfig>();
        QVERIFY(torchcfm);
        QCOMPARE(ck.format, checkpoint::FlowCheckpoint::Format::DiffusionStudio);
        QCOMPARE(torchcfm->numHeadChannels, 32);
        QCOMPARE(torchcfm->channelMult, (std::vector<double>{1, 2}));
        QCOMPARE(ck.imageSize, 16);
        const auto info = api::inspectCheckpoint(last);
        QCOMPARE(info.details["backbone"].get<std::string>(), std::string("torchcfm"));
        QVERIFY(info.architecture.find("UNetModel(model_channels=32, channel_mult=(1,2)") != std::string::npos);

        auto s = eulerRequest(last);
        api::JobSink quiet;
        StopToken stop;
        const auto sampled = api::runSampling(s, quiet, stop);
        QCOMPARE(sampled.nfe, int64_t(3));
        QCOMPARE(api::metadataValue(sampled.gridMetadata, "ds.backbone"), std::string("torchcfm"));
        s.headChannels = 48;  // overrides what the run recorded; 48 does not divide its 64 channels
        QVERIFY_EXCEPTION_THROWN(api::runSampling(s, quiet, stop), Error);
    }

    void stoppedAndResumedRunMatchesStraightRun() {
        const auto c = tinyFlowConfig(10, "otcfm");
        {
            StopToken stop;
            LossSink sink(stop, -1);
            QVERIFY(api::startTraining(c, path("straight"), sink, stop).finished);
        }
        {
            StopToken stop;
            LossSink sink(stop, 6);
            QVERIFY(!api::startTraining(c, path("split"), sink, stop).finished);
        }
        {
            StopToken stop;
            LossSink sink(stop, -1);
            QVERIFY(api::resumeTraining(path("split"), 0, sink, stop).finished);
            QCOMPARE(int(sink.losses.size()), 4);
        }
        const auto a = checkpoint::readFlowCheckpoint(path("straight/checkpoints/step-10.pt"));
        const auto b = checkpoint::readFlowCheckpoint(path("split/checkpoints/step-10.pt"));
        DS_CHECK_TOLERANCE("flow_training/resumed_online_weights", weightDifference(a.online, b.online), 0.0);
        DS_CHECK_TOLERANCE("flow_training/resumed_ema_weights", weightDifference(a.ema, b.ema), 0.0);
        QCOMPARE(a.emaUpdates, b.emaUpdates);
    }

    void checkpointHasTheSeedsLayoutInPython() {
        const auto c = tinyFlowConfig(2, "icfm");
        StopToken stop;
        LossSink sink(stop, -1);
        const auto r = api::startTraining(c, path("python"), sink, stop);
        if (!test::pythonTorchAvailable()) QSKIP("python3-torch is not installed");
        // What g4vrel/CFM's load_checkpoint() reads: model_state_dict into the Unet, the optimizer's
        // state, AveragedModel's n_averaged and module.* keys.
        const QString script = QString(R"(
import sys, torch
d = torch.load(sys.argv[1], map_location='cpu')
assert {'epoch', 'step', 'model_state_dict', 'optim_state_dict', 'ema_model_state_dict', 'scaler_state_dict'} <= set(d), d.keys()
assert d['step'] == 2 and isinstance(d['epoch'], int)
m, e = d['model_state_dict'], d['ema_model_state_dict']
assert type(m).__name__ == 'OrderedDict' and m['input_proj.weight'].shape == (16, 1, 3, 3)
assert int(e['n_averaged']) == 2
assert [k for k in e if k != 'n_averaged'] == ['module.' + k for k in m]
opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros_like(v)) for v in m.values()])
opt.load_state_dict(d['optim_state_dict'])
print('ok')
)");
        const auto py = test::runPython(script, {QString::fromStdString(r.lastCheckpoint)});
        QVERIFY(py.finished);
        QVERIFY2(py.exitCode == 0, py.output.constData());
        QCOMPARE(py.output.trimmed(), QByteArray("ok"));
    }

    // Class-conditional flows on each backbone: a class embedding of K + 1 rows (the null class
    // last) added to the time embedding, on the two backbones without one upstream registered
    // after every other weight (so the rest initialise exactly as the unconditional network);
    // label dropout; previews one row per
    // class; the checkpoint says it can be guided, and sampling integrates exactly
    // v_null + W (v_y - v_null) of the EMA network.
    void conditionalFlowsLearnAGuidableClassEmbedding_data() {
        QTest::addColumn<int>("backbone");
        QTest::newRow("cfm") << int(flow::Backbone::FlowUnet);
        QTest::newRow("lucidrains") << int(flow::Backbone::Lucidrains);
        QTest::newRow("torchcfm") << int(flow::Backbone::TorchCfm);
    }
    void conditionalFlowsLearnAGuidableClassEmbedding() {
        QFETCH(int, backbone);
        auto c = tinyFlowConfig(6, "otcfm");
        if (backbone != int(flow::Backbone::FlowUnet)) {
            c.flow.network = train::FlowTrainConfig::startingNetwork(flow::Backbone(backbone), 1);
            c.flow.network.setShape(c.flow.network.width(), {1, 2});
        }
        const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
        const auto unconditional = c;
        c.makeConditional();
        c.conditioning.dropProb = 0.3;
        c.sampleEvery = 6;
        c.sampleCount = 10;
        c.saveEvery = 6;
        // The conditional network's weights but the embedding equal the unconditional one's.
        {
            auto withClasses = c;
            withClasses.setClassNames(names);
            torch::manual_seed(11);
            flow::VelocityNetwork a(withClasses.flow.network);
            torch::manual_seed(11);
            flow::VelocityNetwork b(unconditional.flow.network);
            const auto pa = a.module()->named_parameters(), pb = b.module()->named_parameters();
            QCOMPARE(int(pa.size()), int(pb.size()) + 1);
            // torchcfm's UNetModel registers its label_emb right after time_embed, as upstream
            // does: the weights after it draw differently there, as in torchcfm.
            if (backbone != int(flow::Backbone::TorchCfm))
                for (const auto& item : pb) QVERIFY(torch::equal(item.value(), pa[item.key()]));
            QCOMPARE(pa["label_emb.weight"].size(0), int64_t(11));
            QVERIFY_EXCEPTION_THROWN(a.forward(torch::zeros({1, 1, 16, 16}), torch::zeros({1})), Error);
            QVERIFY_EXCEPTION_THROWN(
                b.forward(torch::zeros({1, 1, 16, 16}), torch::zeros({1}), torch::zeros({1}, torch::kLong)), Error);
        }
        StopToken stop;
        LossSink sink(stop, -1);
        const std::string run = "conditional-" + std::to_string(backbone);
        const auto r = api::startTraining(c, path(run), sink, stop);
        QVERIFY(r.finished);
        // One preview row per class: 10 rows of one 16 px image with 2 px of padding.
        const cv::Mat preview = cv::imread(path(run + "/samples/step-6.png"), cv::IMREAD_UNCHANGED);
        QCOMPARE(preview.rows, 10 * 18 + 2);
        QCOMPARE(preview.cols, 18 + 2);

        const auto ck = checkpoint::readFlowCheckpoint(r.lastCheckpoint);
        QVERIFY(ck.hasNullClass);
        QCOMPARE(ck.numClasses(), 10);
        QCOMPARE(ck.nullClass(), int64_t(10));
        QCOMPARE(ck.classNames, names);
        QCOMPARE(api::checkpointClasses(r.lastCheckpoint).guidance, api::CheckpointClasses::Guidance::Scale);
        const auto info = api::inspectCheckpoint(r.lastCheckpoint);
        QCOMPARE(info.details["conditioning"].get<std::string>(), std::string("classes (classifier-free guidance)"));
        QCOMPARE(info.numClasses, 10);

        // One Euler step from the saved x0: x1 = x0 + v(x0, 0) with the guided field, for W = 3,
        // 1 (the conditional network) and 0 (the null class alone).
        checkpoint::FlowBuildOptions options;
        const auto net = checkpoint::buildVelocityNetwork(ck, options);
        torch::NoGradGuard noGrad;
        for (const double w : {3.0, 1.0, 0.0}) {
            api::SampleRequest s;
            s.checkpoint = r.lastCheckpoint;
            s.solver = "euler";
            s.steps = 1;
            s.num = 3;
            s.batchSize = 3;
            s.conditioning.classes = {7, 2};
            s.conditioning.condScale = w;
            s.saveTensorsPath = path(run + "/guided.pt");
            api::JobSink quiet;
            const auto sampled = api::runSampling(s, quiet, stop);
            QCOMPARE(api::metadataValue(sampled.gridMetadata, "ds.classes"), std::string("7,2,7"));
            QCOMPARE(std::stod(api::metadataValue(sampled.gridMetadata, "ds.cond_scale")), w);
            const auto trajectory = io::loadTorchFile(s.saveTensorsPath)->at("trajectory").asTensor();
            const auto x0 = trajectory[0], y = torch::tensor({7, 2, 7}, torch::kLong), t = torch::zeros({3});
            const auto vy = net.forward(x0, t, y), vNull = net.forward(x0, t, torch::full({3}, 10, torch::kLong));
            const auto expected = x0 + vNull + w * (vy - vNull);
            const std::string tag = "flow_training/guided_euler_step_W" + std::to_string(int(w));
            // Float32 sums of terms of size ~1: 1e-5 (the batch of 2B and B may round differently).
            DS_CHECK_TOLERANCE(tag, test::maxAbsDiff(trajectory[1], expected), 1e-5);
            if (w == 3.0)  // Negative control: textbook guidance read the wrong way round.
                DS_CHECK_NEGATIVE_CONTROL(tag + " as vy + W (vNull - vy)",
                                          test::maxAbsDiff(trajectory[1], x0 + vy + w * (vNull - vy)), 1e-5, 10.0);
        }
        // lucidrains' diffusion-only guidance options are refused with the reason.
        api::SampleRequest phi;
        phi.checkpoint = r.lastCheckpoint;
        phi.solver = "euler";
        phi.steps = 1;
        phi.num = 1;
        phi.conditioning.rescaledPhi = 0.7;
        api::JobSink quiet;
        try {
            api::runSampling(phi, quiet, stop);
            QFAIL("--rescaled-phi was accepted for a flow");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("v_null + W (v_y - v_null)") != std::string::npos, e.what());
        }
    }

    void seedPresetIsTheSeedsRecipe() {
        const auto c = train::TrainConfig::fromPreset("cfm-seed");
        QVERIFY(c.isFlow());
        QCOMPARE(
            c.flow.network.summary(),
            std::string(
                "FlowUnet(ch=128, ch_mul=(1,2,2,2), att_channels=(0,1,1,0), groups=32, dropout=0, scale_shift=True)"));
        QCOMPARE(c.flow.path, std::string("ot"));
        QCOMPARE(c.gradAccum, 2);
        QCOMPARE(c.gradClip, 1.0);
        QCOMPARE(c.ema.beta, 0.9999);
        // Warm-up to 5e-4 over 45k steps (step s at (s + 1) / 45000 of it), then linear decay to
        // 1e-8 at the last step. Negative control: step 22500 read as halfway (one increment off).
        DS_CHECK_TOLERANCE("flow_training/seed_lr_end_of_warmup", std::abs(c.lr.at(44999, c.steps) - 5e-4),
                           doubleArithmetic(5e-4));
        DS_CHECK_TOLERANCE("flow_training/seed_lr_halfway", std::abs(c.lr.at(22500, c.steps) - 5e-4 * 22501 / 45000),
                           doubleArithmetic(2.5e-4));
        DS_CHECK_NEGATIVE_CONTROL("flow_training/seed_lr_halfway as 2.5e-4", std::abs(c.lr.at(22500, c.steps) - 2.5e-4),
                                  doubleArithmetic(2.5e-4), kNegativeControlFactor);
        DS_CHECK_TOLERANCE("flow_training/seed_lr_last", std::abs(c.lr.at(c.steps - 1, c.steps) - 1e-8),
                           doubleArithmetic(5e-4));
        // A config round-trips through config.json.
        const auto back = train::TrainConfig::fromJson(c.toJson());
        QVERIFY(back.isFlow());
        QCOMPARE(back.flow.network.summary(), c.flow.network.summary());
        QCOMPARE(back.toJson().dump(), c.toJson().dump());
    }
};

QTEST_APPLESS_MAIN(TestFlowTraining)
#include "test_flow_training.moc"
