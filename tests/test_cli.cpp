// SPDX-License-Identifier: GPL-3.0-or-later
// End-to-end tests of diffusion-studio-cli on real files: info, sample (checked against the
// original Python DDIM outputs through --init-noise / --save-tensors), PNG metadata, and clear
// one-line errors for bad input. Training through the CLI is in test_cli_training.
//
// Tolerances: the DDIM outputs are held to the tolerances of tests/support/diffusion_tolerance.h
// (the U-Net's budget times each step's amplification, carried through the gains measured on
// the model), computed on the same model in-process; the same run in batches of 3 and of 1 (other
// kernel blocking) to the run's own. Negative controls: the network read as pred_noise, and
// another seed, miss by at least kNegativeControlFactor times the tolerance.
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "core/util/sha256.h"
#include "tests/support/cli_runner.h"
#include "tests/support/diffusion_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

using namespace ds;
using test::CliResult;
using test::runCli;

namespace {

const std::string kModel = test::fixturePath("ddpm_lucidrains_tiny/model-1.pt");

// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

// The tolerances of a DDIM run (eta 0) of the fixture's model with these weights that passes
// through `states` ((x + 1) / 2, steps + 1 first) and `x0` (steps first).
test::DdimTolerances ddimTolerances(const std::string& weights, int steps, const torch::Tensor& states,
                                    const torch::Tensor& x0) {
    checkpoint::ModelBuildOptions o;
    o.weights = *api::parseWeights(weights);
    o.imageSize = 16;
    auto m = checkpoint::buildDiffusionModel(checkpoint::readDiffusionCheckpoint(kModel), o);
    c10::InferenceMode guard;
    return test::ddimTolerances(*m, m->ddimTimePairs(steps), states, x0);
}

std::string readPngValue(const std::string& path, const std::string& key) {
    for (const auto& [k, v] : io::readPngText(path))
        if (k == key) return v;
    return {};
}

}  // namespace

class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void infoDescribesLucidrainsCheckpoint() {
        const auto r = runCli({"--threads", "1", "info", QString::fromStdString(kModel)});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("lucidrains"), qPrintable(r.out));
        QVERIFY(r.out.contains("dim_mults=(1,2)"));
        QVERIFY(r.out.contains("full_attn=(0,1)"));
        QVERIFY(r.out.contains("online, ema"));
        QVERIFY(r.out.contains("2.1.1"));
        QVERIFY(r.out.contains("pred_v"));
        QVERIFY(r.out.contains("240401"));
    }

    void infoPrintsJson() {
        const auto r = runCli({"info", QString::fromStdString(kModel), "--json", "--threads", "1"});
        QCOMPARE(r.exitCode, 0);
        const auto doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(doc["step"].toInt(), 3);
        QCOMPARE(doc["unet"].toObject()["dim"].toInt(), 16);
        QCOMPARE(doc["diffusion"].toObject()["timesteps"].toInt(), 100);
        QCOMPARE(doc["sha256"].toString().toStdString(), sha256File(kModel));
    }

    void sampleReproducesPythonDdim() {
        const auto ref = test::loadReferenceTensors(test::fixturePath("ddpm_lucidrains_tiny/reference.pt"));
        const auto noise = tmp("noise.pt").toStdString();
        io::saveTorchFile(noise, io::PyValue::tensor(ref.at("ddim_x_T")));
        const auto r = runCli({"--threads",
                               "1",
                               "sample",
                               "--checkpoint",
                               QString::fromStdString(kModel),
                               "--image-size",
                               "16",
                               "--weights",
                               "online",
                               "--steps",
                               "10",
                               "--init-noise",
                               QString::fromStdString(noise),
                               "--save-tensors",
                               tmp("out.pt"),
                               "--grid",
                               tmp("grid.png"),
                               "--out-dir",
                               tmp("images"),
                               "--batch-size",
                               "3",
                               "--seed",
                               "7"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        const auto out = test::loadReferenceTensors(tmp("out.pt").toStdString());
        const auto refStates = ref.at("ddim_all_x").transpose(0, 1);  // (steps + 1, B, C, H, W)
        const auto tol = ddimTolerances("online", 10, refStates, ref.at("ddim_x0_preds"));
        const auto states = out.at("xs").transpose(0, 1);
        QCOMPARE(states.sizes(), refStates.sizes());
        QCOMPARE(out.at("x0_preds").sizes(), ref.at("ddim_x0_preds").sizes());
        for (int64_t i = 0; i < 10; ++i) {
            const std::string s = "cli/ddim_step" + std::to_string(i);
            DS_CHECK_TOLERANCE(s + "/x0", test::maxAbsDiff(out.at("x0_preds")[i], ref.at("ddim_x0_preds")[i]),
                               tol.x0[size_t(i)]);
            DS_CHECK_TOLERANCE(s + "/state", test::maxAbsDiff(states[i + 1], refStates[i + 1]),
                               tol.states[size_t(i) + 1]);
        }
        DS_CHECK_TOLERANCE("cli/ddim_samples", test::maxAbsDiff(out.at("samples"), ref.at("ddim_final")),
                           tol.states.back());
        // Negative control: the same run with the network read as pred_noise (it is pred_v).
        const auto wrong =
            runCli({"--threads", "1", "sample", "--checkpoint", QString::fromStdString(kModel), "--image-size", "16",
                    "--weights", "online", "--steps", "10", "--init-noise", QString::fromStdString(noise),
                    "--objective", "pred_noise", "--save-tensors", tmp("wrong.pt")});
        QVERIFY2(wrong.exitCode == 0, qPrintable(wrong.err));
        DS_CHECK_NEGATIVE_CONTROL(
            "cli/ddim_samples as pred_noise",
            test::maxAbsDiff(test::loadReferenceTensors(tmp("wrong.pt").toStdString()).at("samples"),
                             ref.at("ddim_final")),
            tol.states.back(), kNegativeControlFactor);

        const auto sha = sha256File(kModel);
        for (int i = 0; i < 4; ++i) {
            const auto png = tmp(QString("images/%1.png").arg(i, 5, 10, QChar('0'))).toStdString();
            QVERIFY2(std::filesystem::exists(png), png.c_str());
            QCOMPARE(readPngValue(png, "ds.sampler"), std::string("ddim"));
            QCOMPARE(readPngValue(png, "ds.steps"), std::string("10"));
            QCOMPARE(readPngValue(png, "ds.seed"), std::string("7"));
            QCOMPARE(readPngValue(png, "ds.index"), std::to_string(i));
            QCOMPARE(readPngValue(png, "ds.checkpoint_sha256"), sha);
            const auto img = cv::imread(png, cv::IMREAD_UNCHANGED);
            QCOMPARE(img.cols, 16);
            QCOMPARE(img.channels(), 1);
        }
        const auto grid = cv::imread(tmp("grid.png").toStdString(), cv::IMREAD_UNCHANGED);
        QCOMPARE(grid.cols, 2 * 18 + 2);  // 2 columns of 16 px with 2 px padding
        QCOMPARE(readPngValue(tmp("grid.png").toStdString(), "ds.version"), std::string(DS_VERSION));
        // The written samples are the saved tensors, quantised: within half an 8-bit level (rounded
        // to nearest), plus the float32 rounding of sample x 255.
        const auto first = cv::imread(tmp("images/00000.png").toStdString(), cv::IMREAD_UNCHANGED);
        const double px = first.at<uint8_t>(5, 7) / 255.0;
        DS_CHECK_TOLERANCE("cli/png_level", std::abs(px - out.at("samples")[0][0][5][7].item<double>()),
                           0.5 / 255.0 + test::kFloat32Epsilon);
    }

    void sameSeedSameImagesWhateverTheBatch() {
        const auto run = [&](const char* batch, const char* seed, const QString& file) {
            const auto r = runCli({"--threads", "1", "sample", "--checkpoint", QString::fromStdString(kModel),
                                   "--image-size", "16", "--num", "3", "--batch-size", batch, "--steps", "5", "--seed",
                                   seed, "--save-tensors", file});
            return r.exitCode == 0 ? test::loadReferenceTensors(file.toStdString())
                                   : std::map<std::string, torch::Tensor>{};
        };
        const auto ta = run("3", "3", tmp("a.pt")), tb = run("1", "3", tmp("b.pt")), other = run("3", "4", tmp("c.pt"));
        QVERIFY(!ta.empty() && !tb.empty() && !other.empty());
        QCOMPARE(ta.at("x0_preds").sizes().vec(), (std::vector<int64_t>{5, 3, 1, 16, 16}));
        // Batches of 3 and of 1 run other kernel blockings: the run's own DDIM tolerance.
        const double tol = ddimTolerances("ema", 5, ta.at("xs").transpose(0, 1), ta.at("x0_preds")).states.back();
        DS_CHECK_TOLERANCE("cli/batch3_vs_batch1", test::maxAbsDiff(ta.at("samples"), tb.at("samples")), tol);
        DS_CHECK_NEGATIVE_CONTROL("cli/batch3_vs_seed4", test::maxAbsDiff(ta.at("samples"), other.at("samples")), tol,
                                  kNegativeControlFactor);
    }

    void ddpmSamplingRunsEveryTimestep() {
        const auto r =
            runCli({"--threads", "1", "sample", "--checkpoint", QString::fromStdString(kModel), "--image-size", "16",
                    "--sampler", "ddpm", "--num", "2", "--save-tensors", tmp("ddpm.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto t = test::loadReferenceTensors(tmp("ddpm.pt").toStdString());
        QCOMPARE(t.at("x0_preds").size(0), int64_t(100));
        QCOMPARE(t.at("xs").size(1), int64_t(101));
        QVERIFY(t.at("samples").min().item<double>() >= 0.0);
        QVERIFY(t.at("samples").max().item<double>() <= 1.0);
    }

    void refusesToOverwriteSamples() {
        QDir().mkpath(tmp("taken"));
        QFile f(tmp("taken/00000.png"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep me");
        f.close();
        const auto r = runCli({"sample", "--checkpoint", QString::fromStdString(kModel), "--image-size", "16", "--num",
                               "1", "--steps", "2", "--out-dir", tmp("taken")});
        QVERIFY(r.exitCode != 0);
        QVERIFY(r.err.contains("00000.png"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("keep me"));
    }

    void benchSamplePrintsItsReport_data() {
        QTest::addColumn<QString>("backbone");
        QTest::addColumn<QString>("model");
        QTest::newRow("torchcfm") << "torchcfm"
                                  << "torchcfm UNetModelWrapper(dim=(1,28,28), num_channels=32, num_res_blocks=1)";
        QTest::newRow("cfm") << "cfm"
                             << "FlowUnet(ch=32, ch_mul=(1,2,2), att_channels=(0,1,0), groups=32, dropout=0), 3x32x32";
    }
    void benchSamplePrintsItsReport() {
        // The report's shape, on the smallest run (the figures themselves are the benchmark's).
        QFETCH(QString, backbone);
        QFETCH(QString, model);
        const auto r = runCli({"--threads",
                               "1",
                               "bench",
                               "sample",
                               "--ddim-steps",
                               "1",
                               "--ddim-batch",
                               "1",
                               "--ddpm-measured-steps",
                               "1",
                               "--ddpm-batch",
                               "1",
                               "--flow-batch",
                               "1",
                               "--flow-euler-steps",
                               "2",
                               "--flow-tolerance",
                               "0.01",
                               "--flow-backbone",
                               backbone});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject flow = QJsonDocument::fromJson(r.out.toUtf8()).object()["flow"].toObject();
        QCOMPARE(flow["model"].toString(), model);
        QCOMPARE(flow["euler"].toObject()["nfe"].toInt(), 2);
        QVERIFY(flow["dopri5"].toObject()["nfe"].toInt() >= 6);  // at least one accepted step
        QVERIFY(flow["euler"].toObject()["seconds_per_image"].toDouble() > 0);
        QCOMPARE(flow.contains("python_reference"), backbone == "torchcfm");
    }

    // A numeric option out of its range is refused before any work, naming the option and the range.
    void numericOptionsOutOfRangeAreRefused_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("option");
        const QString model = QString::fromStdString(kModel);
        QTest::newRow("sample --steps 0")
            << QStringList{"sample", "--checkpoint", model, "--grid", tmp("x.png"), "--steps", "0"} << "--steps";
        QTest::newRow("sample --num 0") << QStringList{"sample",     "--checkpoint", model, "--grid",
                                                       tmp("x.png"), "--num",        "0"}
                                        << "--num";
        QTest::newRow("sample --order 4")
            << QStringList{"sample", "--checkpoint", model, "--grid", tmp("x.png"), "--order", "4"} << "--order";
        QTest::newRow("sample --eta -1") << QStringList{"sample",     "--checkpoint", model, "--grid",
                                                        tmp("x.png"), "--eta",        "-1"}
                                         << "--eta";
        QTest::newRow("train --batch-size 0") << QStringList{"train", "--batch-size", "0"} << "--batch-size";
        QTest::newRow("train --sample-every -1") << QStringList{"train", "--sample-every", "-1"} << "--sample-every";
        QTest::newRow("train --sample-count 0") << QStringList{"train", "--sample-count", "0"} << "--sample-count";
        QTest::newRow("fid --batch-size 0") << QStringList{"fid", "a", "b", "--batch-size", "0"} << "--batch-size";
        QTest::newRow("sweep --steps 0") << QStringList{"sweep", "--checkpoint", model, "--steps", "0"} << "--steps";
        QTest::newRow("--threads 0") << QStringList{"--threads", "0", "info", model} << "--threads";
    }
    void numericOptionsOutOfRangeAreRefused() {
        QFETCH(QStringList, args);
        QFETCH(QString, option);
        const auto r = runCli(args);
        QVERIFY2(r.exitCode > 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(option) && r.err.contains("range"), qPrintable(r.err));
        QVERIFY(!QFile::exists(tmp("x.png")));
    }

    void badInputGivesOneLineError_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("expected");
        {
            std::ifstream in(kModel, std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            std::ofstream(tmp("truncated.pt").toStdString(), std::ios::binary).write(bytes.data(), bytes.size() / 2);
            std::ofstream(tmp("notes.pt").toStdString()) << "these are my notes, not a checkpoint\n";
            io::saveTorchFile(tmp("tensor.pt").toStdString(), io::PyValue::tensor(torch::zeros({2, 3})));
        }
        const QStringList size{"--image-size", "16"};
        QTest::newRow("truncated") << tmp("truncated.pt") << size << "";
        QTest::newRow("not a checkpoint") << tmp("notes.pt") << size << "not a PyTorch file";
        QTest::newRow("a bare tensor") << tmp("tensor.pt") << size << "not a diffusion checkpoint";
        QTest::newRow("diffusion options on a flow checkpoint")
            << QString::fromStdString(test::fixturePath("cfm_g4vrel_tiny/ckpt.tar"))
            << QStringList{"--image-size", "16", "--eta", "0.5"} << "--eta applies to diffusion";
        QTest::newRow("missing file") << tmp("nope.pt") << size << "";
        QTest::newRow("no image size") << QString::fromStdString(kModel) << QStringList{} << "--image-size";
        QTest::newRow("bad image size") << QString::fromStdString(kModel) << QStringList{"--image-size", "15"}
                                        << "multiple of 2";
        QTest::newRow("bad init noise") << QString::fromStdString(kModel)
                                        << QStringList{"--image-size", "16", "--init-noise", tmp("tensor.pt")}
                                        << "tensor.pt";
    }
    void badInputGivesOneLineError() {
        QFETCH(QString, file);
        QFETCH(QStringList, extra);
        QFETCH(QString, expected);
        const auto r =
            runCli(QStringList{"sample", "--checkpoint", file, "--grid", tmp("never.png"), "--steps", "2"} + extra);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.exitCode > 0, "crashed");
        const QString err = r.err.trimmed();
        QVERIFY2(err.startsWith("error: "), qPrintable(err));
        QVERIFY2(!err.contains('\n'), qPrintable(err));
        QVERIFY2(err.contains(QFileInfo(file).fileName()) || err.contains("tensor.pt"), qPrintable(err));
        QVERIFY2(err.contains(expected), qPrintable(err));
        QVERIFY(!QFile::exists(tmp("never.png")));
        // info agrees (except for sampling-only problems).
        if (extra.size() == 2 && expected != "--image-size" && !expected.startsWith("multiple")) {
            const auto info = runCli({"info", file});
            QVERIFY(info.exitCode > 0);
            QVERIFY(info.err.contains(QFileInfo(file).fileName()));
        }
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
