// SPDX-License-Identifier: GPL-3.0-or-later
// The fast diffusion samplers and the NFE-vs-quality sweep through diffusion-studio-cli: the
// samples equal the reference code's (the step-by-step parity is test_fast_samplers'), the PNGs
// say how they were made, and `sweep` prints each sampler's error against a converged solution.
#include "core/io/png_file.h"
#include "core/io/torch_file.h"
#include "tests/support/cli_runner.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

using namespace ds;
using test::runCli;

namespace {

const std::string kModel = test::fixturePath("ddpm_lucidrains_tiny/model-1.pt");

std::string readPngValue(const std::string& path, const std::string& key) {
    for (const auto& [k, v] : io::readPngText(path))
        if (k == key) return v;
    return {};
}

}  // namespace

class TestCliSamplers : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString tmp(const QString& name) const { return dir_.filePath(name); }

private Q_SLOTS:
    // The fast samplers through the CLI reproduce the reference code's sample (the core parity is
    // test_fast_samplers'), and say in the PNG how they ran.
    void sampleWithFastSamplersMatchesTheReference() {
        const auto ref = test::loadReferenceTensors(test::fixturePath("fast_samplers/tiny_pred_v_sigmoid.pt"));
        const auto noise = tmp("fast_noise.pt").toStdString();
        io::saveTorchFile(noise, io::PyValue::tensor(ref.at("x_T")));
        struct Case {
            QStringList options;
            std::string key;
        };
        for (const Case& c :
             {Case{{"--sampler", "dpm-solver++", "--steps", "10"}, "dpmpp_2m_tu_10"},
              Case{{"--sampler", "dpm-solver", "--method", "singlestep", "--order", "3", "--steps", "10"}, "dpm_3s_10"},
              Case{{"--sampler", "unipc", "--order", "3", "--steps", "10"}, "unipc_bh2_3_tu_10"},
              Case{{"--sampler", "dpm-solver++", "--method", "adaptive", "--order", "2"}, "adaptive_o2"}}) {
            const QString tensors = tmp(QString::fromStdString(c.key) + ".pt"),
                          grid = tmp(QString::fromStdString(c.key) + ".png");
            const auto r =
                runCli(QStringList{"--threads", "1", "sample", "--checkpoint", QString::fromStdString(kModel),
                                   "--image-size", "16", "--weights", "online", "--init-noise",
                                   QString::fromStdString(noise), "--save-tensors", tensors, "--grid", grid} +
                       c.options);
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            const auto out = test::loadReferenceTensors(tensors.toStdString());
            const auto want = ref.at(c.key + "_final").clamp(0, 1);
            if (c.key == "adaptive_o2") {
                // Within the error the adaptive solver controls (as in test_fast_samplers): atol
                // + rtol |x| per value in model space, twice the image's [0, 1].
                const double ratio = ((out.at("samples") - want).abs() * 2 / (0.0078 + 0.05 * (want * 2 - 1).abs()))
                                         .max()
                                         .item<double>();
                DS_CHECK_TOLERANCE("cli_adaptive_o2_over_its_tolerance", ratio, 1.0);
            } else {
                // As in test_fast_samplers: 1e-4 of the sample's magnitude (about ten U-Net
                // budgets: ten network evaluations), or 4x the float64 rerun's deviation.
                const double relative = std::max(1e-4, 4.0 * ref.at(c.key + "_float64_deviation").item<double>());
                const double tol = relative * std::max(1.0, test::maxAbs(want));
                DS_CHECK_TOLERANCE("cli_" + c.key, test::maxAbsDiff(out.at("samples"), want), tol);
                // Negative control: the 20-step run of the same solver.
                if (c.key == "dpmpp_2m_tu_10")
                    DS_CHECK_NEGATIVE_CONTROL(
                        "cli_dpmpp_2m_tu_10 against 20 steps",
                        test::maxAbsDiff(out.at("samples"), ref.at("dpmpp_2m_tu_20_final").clamp(0, 1)), tol, 10.0);
                QCOMPARE(out.at("x0_preds").size(0), ref.at(c.key + "_steps").item<int64_t>());
                QCOMPARE(readPngValue(grid.toStdString(), "ds.nfe"),
                         std::to_string(ref.at(c.key + "_nfe").item<int64_t>()));
            }
        }
        QCOMPARE(readPngValue(tmp("unipc_bh2_3_tu_10.png").toStdString(), "ds.sampler"), std::string("unipc"));
        QCOMPARE(readPngValue(tmp("unipc_bh2_3_tu_10.png").toStdString(), "ds.order"), std::string("3"));
        QCOMPARE(readPngValue(tmp("unipc_bh2_3_tu_10.png").toStdString(), "ds.unipc_variant"), std::string("bh2"));
        QCOMPARE(readPngValue(tmp("dpm_3s_10.png").toStdString(), "ds.method"), std::string("singlestep"));
    }

    // NFE vs quality as JSON: every sampler at every step count, and each converges to the
    // reference solution at its order (a second-order solver: about 4x less error per doubling).
    void sweepPrintsNfeAgainstError() {
        const auto r = runCli({"--threads", "1", "sweep", "--checkpoint", QString::fromStdString(kModel),
                               "--image-size", "16", "--num", "2", "--steps", "10,20,40", "--reference-steps", "160",
                               "--samplers", "ddim,dpm-solver++2m,unipc3", "--out", tmp("sweep.json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(doc["images"].toInt(), 2);
        const auto points = doc["points"].toArray();
        QCOMPARE(points.size(), 9);
        std::map<std::string, std::vector<double>> errors;
        for (const auto& p : points) {
            const auto o = p.toObject();
            QCOMPARE(o["nfe"].toInt(), o["steps"].toInt());
            errors[o["solver"].toString().toStdString()].push_back(o["rms_error"].toDouble());
        }
        for (const auto& [solver, e] : errors) {
            QCOMPARE(int(e.size()), 3);
            QVERIFY2(e[0] > e[1] && e[1] > e[2], solver.c_str());
        }
        QVERIFY(errors["dpm-solver++2m"][2] < errors["dpm-solver++2m"][1] / 3);  // second order
        QVERIFY(errors["ddim"][2] > errors["ddim"][1] / 3);                      // first order
        QVERIFY(QFile::exists(tmp("sweep.json")));
        const auto bad = runCli(
            {"sweep", "--checkpoint", QString::fromStdString(kModel), "--image-size", "16", "--samplers", "euler"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains("unknown sweep sampler 'euler'"), qPrintable(bad.err));
    }

    // With an FID reference, each run's FID: exactly `fid` on the PNGs `sample` writes for the
    // same sampler, steps, seed and batches (the FID page's and the command's engine), in the
    // formula Inception weights' 64-d features against a folder.
    void sweepMeasuresFidAgainstNfe() {
        const QString weights = tmp("formula.pth");
        if (!QFile::exists(weights))
            test::writeFormulaInceptionWeights(test::fixturePath("fid_formula/keys.tsv"), weights.toStdString());
        const QString reference = QString::fromStdString(test::fixturePath("fid_formula/images/A"));
        const QString cache = tmp("fid-cache");
        const QStringList common{"--checkpoint", QString::fromStdString(kModel),
                                 "--image-size", "16",
                                 "--num",        "12",
                                 "--batch-size", "5",
                                 "--seed",       "7"};
        const auto r = runCli(QStringList{"--threads", "2", "sweep"} + common +
                              QStringList{"--steps", "5,10", "--reference-steps", "20", "--samplers",
                                          "ddim,dpm-solver++2m", "--fid-reference", reference, "--fid-dims", "64",
                                          "--fid-weights", weights, "--fid-cache-dir", cache});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(doc["fid_label"].toString(), QStringLiteral("FID"));
        QCOMPARE(doc["fid_reference"].toString(), reference);
        const auto points = doc["points"].toArray();
        QCOMPARE(points.size(), 4);
        std::map<QString, double> fids;
        for (const auto& p : points) {
            const auto o = p.toObject();
            QVERIFY2(o.contains("fid"), qPrintable(r.out));
            const QString key = o["solver"].toString() + QString::number(o["steps"].toInt());
            fids[key] = o["fid"].toDouble();
        }
        struct Run {
            QString key;
            QStringList options;
        };
        for (const Run& run : {Run{"ddim5", {"--sampler", "ddim", "--steps", "5"}},
                               Run{"dpm-solver++2m10", {"--sampler", "dpm-solver++", "--steps", "10"}}}) {
            const QString folder = tmp("sweep-" + run.key);
            const auto sampled = runCli(QStringList{"--threads", "2", "sample"} + common + run.options +
                                        QStringList{"--out-dir", folder});
            QVERIFY2(sampled.exitCode == 0, qPrintable(sampled.err));
            const auto fid = runCli({"--threads", "2", "fid", folder, reference, "--dims", "64", "--weights", weights,
                                     "--cache-dir", cache, "--json"});
            QVERIFY2(fid.exitCode == 0, qPrintable(fid.err));
            const double expected = QJsonDocument::fromJson(fid.out.toUtf8()).object()["fid"].toDouble();
            // The same pixels, features and statistics: equal but for the order of float sums.
            DS_CHECK_TOLERANCE(("sweep_fid_" + run.key).toStdString(), std::abs(fids[run.key] - expected),
                               1e-9 * std::max(1.0, expected));
        }
        // Negative control: another run's images give another FID.
        QVERIFY2(std::abs(fids["ddim5"] - fids["dpm-solver++2m10"]) > 1e-6 * fids["ddim5"], qPrintable(r.out));

        const auto flowLike = runCli({"sweep", "--checkpoint", QString::fromStdString(kModel), "--image-size", "16",
                                      "--fid-reference", tmp("nowhere")});
        QCOMPARE(flowLike.exitCode, 1);
        QVERIFY2(flowLike.err.contains("nowhere: does not exist"), qPrintable(flowLike.err));
    }
};

QTEST_GUILESS_MAIN(TestCliSamplers)
#include "test_cli_samplers.moc"
