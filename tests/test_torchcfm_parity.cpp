// SPDX-License-Identifier: GPL-3.0-or-later
// Parity with torchcfm's UNetModel (OpenAI guided-diffusion's U-Net as torchcfm ships it;
// tests/fixtures/torchcfm_unet, made by torchcfm's own class through
// tests/tools/make_torchcfm_fixtures.py): its checkpoints open (the examples' {net_model,
// ema_model, step, optim, sched}, "module." keys), the architecture is read back from the
// shapes, and the velocity field of both weight sets and a 4-step Euler sample match
// torchcfm's at float32 rounding. Then the same through diffusion-studio-cli: info, and sample
// with --init-noise / --save-tensors, and one-line errors for heads that do not fit.
//
// Tolerances: the velocity is the U-Net's output, held to kUnetRelativeTolerance (1e-5) of its
// magnitude (tests/support/network_tolerance.h); the Euler sample to that budget integrated over
// [0, 1] and grown by the flow (tests/support/flow_tolerance.h). Negative controls: the other
// attention order, and midpoint instead of Euler, miss by at least kNegativeControlFactor times
// the tolerance.
#include "core/checkpoint/flow_checkpoint.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"
#include "tests/support/cli_runner.h"
#include "tests/support/flow_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace ds;
using test::runCli;

namespace {

// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

std::string fixture(const std::string& name, const char* suffix) {
    return test::fixturePath("torchcfm_unet/" + name + suffix);
}

// The options torchcfm built each fixture with that its files do not record.
checkpoint::FlowBuildOptions headsOf(const std::string& name, const std::string& weights) {
    checkpoint::FlowBuildOptions o;
    o.weights = *api::parseWeights(weights);
    if (name == "rgb16_legacy") {
        o.heads = 2;
    } else {
        o.headChannels = 16;
        o.attentionOrder = "new";
    }
    return o;
}

}  // namespace

class TestTorchCfmParity : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void architectureIsReadFromTheShapes_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("summary");
        QTest::addColumn<int>("parameters");
        QTest::newRow("torchcfm defaults") << "rgb16_legacy"
                                           << "UNetModel(model_channels=32, channel_mult=(1,1), num_res_blocks=1, "
                                              "attention_ds=(2,), num_head_channels=64, use_scale_shift_norm=False, "
                                              "resblock_updown=False, use_new_attention_order=False, in_channels=3)"
                                           << 285667;
        QTest::newRow("every option") << "gray28_all_options"
                                      << "UNetModel(model_channels=32, channel_mult=(1,1), num_res_blocks=1, "
                                         "attention_ds=(1,2), num_head_channels=64, use_scale_shift_norm=True, "
                                         "resblock_updown=True, use_new_attention_order=False, in_channels=1)"
                                      << 365665;
    }
    void architectureIsReadFromTheShapes() {
        QFETCH(QString, name);
        QFETCH(QString, summary);
        QFETCH(int, parameters);
        const auto ck = checkpoint::readFlowCheckpoint(fixture(name.toStdString(), ".pt"));
        QCOMPARE(ck.format, checkpoint::FlowCheckpoint::Format::TorchCfm);
        QCOMPARE(std::string(ck.network.name()), std::string("torchcfm"));
        QCOMPARE(QString::fromStdString(ck.network.summary()), summary);  // heads and order: the defaults until given
        QCOMPARE(ck.parameterCount(), int64_t(parameters));
        QCOMPARE(ck.step, int64_t(2));
        QVERIFY(ck.hasEma() && !ck.online.empty());
        QCOMPARE(ck.imageSize, 0);  // torchcfm's files do not record it
    }

    void velocityMatchesTorchCfm_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("weights");
        for (const char* name : {"rgb16_legacy", "gray28_all_options"})
            for (const char* weights : {"online", "ema"})
                QTest::newRow((std::string(name) + " " + weights).c_str()) << name << weights;
    }
    void velocityMatchesTorchCfm() {
        QFETCH(QString, name);
        QFETCH(QString, weights);
        const std::string n = name.toStdString();
        const auto ref = test::loadReferenceTensors(fixture(n, ".reference.pt"));
        const auto ck = checkpoint::readFlowCheckpoint(fixture(n, ".pt"));
        const auto net = checkpoint::buildVelocityNetwork(ck, headsOf(n, weights.toStdString()));
        QVERIFY(net.backbone() == flow::Backbone::TorchCfm);
        torch::NoGradGuard noGrad;
        const auto v = net.forward(ref.at("x"), ref.at("t"));
        const auto& want = ref.at(weights == "ema" ? "ema_v" : "net_v");
        const std::string tag = "torchcfm/" + n + "/" + weights.toStdString();
        DS_CHECK_TOLERANCE(tag + "/v", test::maxAbsDiff(v, want), test::unetTolerance(test::maxAbs(want)));
        if (weights == "ema") {  // a 0-d time is repeated over the batch, as upstream
            const auto& scalarWant = ref.at("ema_v_scalar_t");
            DS_CHECK_TOLERANCE(tag + "/v_scalar_t",
                               test::maxAbsDiff(net.forward(ref.at("x"), torch::tensor(0.5)), scalarWant),
                               test::unetTolerance(test::maxAbs(scalarWant)));
        }
    }

    void wrongHeadsOrOrderChangeTheField() {
        // The heads and the order are not in the file: the defaults, or another order, load the
        // same weights into a different function. Both must be given to match.
        const std::string n = "gray28_all_options";
        const auto ref = test::loadReferenceTensors(fixture(n, ".reference.pt"));
        const auto ck = checkpoint::readFlowCheckpoint(fixture(n, ".pt"));
        auto legacy = headsOf(n, "ema");
        legacy.attentionOrder = "legacy";
        torch::NoGradGuard noGrad;
        const auto v = checkpoint::buildVelocityNetwork(ck, legacy).forward(ref.at("x"), ref.at("t"));
        DS_CHECK_NEGATIVE_CONTROL("torchcfm/" + n + "/ema/v in the legacy order", test::maxAbsDiff(v, ref.at("ema_v")),
                                  test::unetTolerance(test::maxAbs(ref.at("ema_v"))), kNegativeControlFactor);
        // The default 64 channels per head do not divide this model's 32: a clear error.
        checkpoint::FlowBuildOptions defaults;
        try {
            checkpoint::buildVelocityNetwork(ck, defaults);
            QFAIL("built with heads that do not fit");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("attention at 32 channels: not a multiple of --head-channels 64") !=
                         std::string::npos,
                     e.what());
        }
    }

    void eulerSampleMatchesTorchCfm() {
        const std::string n = "rgb16_legacy";
        const auto ref = test::loadReferenceTensors(fixture(n, ".reference.pt"));
        const QString noise = tmp("noise.pt");
        io::saveTorchFile(noise.toStdString(), io::PyValue::tensor(ref.at("euler_noise")));
        const auto sample = [&](const QString& solver) {
            const QString out = tmp(solver + ".pt");
            const auto r = runCli({"--threads", "1", "sample", "--checkpoint",
                                   QString::fromStdString(fixture(n, ".pt")), "--heads", "2", "--solver", solver,
                                   "--steps", "4", "--init-noise", noise, "--save-tensors", out});
            return std::make_pair(
                r, r.exitCode == 0 ? test::loadReferenceTensors(out.toStdString()).at("trajectory") : torch::Tensor());
        };
        const auto [r, trajectory] = sample("euler");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // x at t = 0, 1/4, ... 1 ("samples" holds the images, clamped to [0, 1]).
        QCOMPARE(trajectory.size(0), int64_t(5));
        // The tolerance: the field's budget through these 4 steps, on the same network in-process.
        const auto net =
            checkpoint::buildVelocityNetwork(checkpoint::readFlowCheckpoint(fixture(n, ".pt")), headsOf(n, "ema"));
        torch::NoGradGuard noGrad;
        const flow::VelocityField field = [&](double t, const torch::Tensor& x) {
            return net.forward(x, torch::full({x.size(0)}, t, x.options()));
        };
        flow::OdeOptions euler;
        euler.steps = 4;
        const auto tol = test::fixedGridTolerance(field, euler, ref.at("euler_noise"), {0.0, 1.0}, true);
        DS_CHECK_TOLERANCE("torchcfm/euler4_ema", test::maxAbsDiff(trajectory[4], ref.at("euler4_ema")), tol.tolerance);
        const auto [m, midpoint] = sample("midpoint");
        QVERIFY2(m.exitCode == 0, qPrintable(m.err));
        DS_CHECK_NEGATIVE_CONTROL("torchcfm/euler4_ema by midpoint",
                                  test::maxAbsDiff(midpoint[4], ref.at("euler4_ema")), tol.tolerance,
                                  kNegativeControlFactor);
    }

    void cliInfoNamesWhatIsNotRecorded() {
        const auto r =
            runCli({"--threads", "1", "info", QString::fromStdString(fixture("gray28_all_options", ".pt")), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["format"].toString(), "torchcfm");
        QCOMPARE(j["family"].toString(), "flow");
        QCOMPARE(j["torchcfm_unet"].toObject()["num_res_blocks"].toInt(), 1);
        QVERIFY(j["torchcfm_unet"].toObject()["resblock_updown"].toBool());
        const auto text =
            runCli({"--threads", "1", "info", QString::fromStdString(fixture("gray28_all_options", ".pt"))});
        QVERIFY(
            text.out.contains("attention heads and order not recorded (--heads or --head-channels, --attention-order"));
    }

    void cliErrorsAreOneLine() {
        const QString file = QString::fromStdString(fixture("gray28_all_options", ".pt"));
        const auto r = runCli(
            {"--threads", "1", "sample", "--checkpoint", file, "--image-size", "28", "--grid", tmp("never.png")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.trimmed().startsWith("error: " + file +
                                            ": attention at 32 channels: not a multiple of --head-channels 64"),
                 qPrintable(r.err));
        const auto noSize = runCli(
            {"--threads", "1", "sample", "--checkpoint", file, "--head-channels", "16", "--grid", tmp("never.png")});
        QCOMPARE(noSize.exitCode, 1);
        QVERIFY2(noSize.err.contains("give it with --image-size"), qPrintable(noSize.err));
        const auto diffusion = runCli({"--threads", "1", "sample", "--checkpoint",
                                       QString::fromStdString(test::fixturePath("ddpm_lucidrains_tiny/model-1.pt")),
                                       "--heads", "2", "--image-size", "16", "--grid", tmp("never.png")});
        QCOMPARE(diffusion.exitCode, 1);
        QVERIFY2(diffusion.err.contains("--heads and --head-channels apply to torchcfm's UNetModel"),
                 qPrintable(diffusion.err));
        QVERIFY(!QFile::exists(tmp("never.png")));
    }
};

QTEST_GUILESS_MAIN(TestTorchCfmParity)
#include "test_torchcfm_parity.moc"
