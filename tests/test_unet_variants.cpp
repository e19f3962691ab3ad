// Parity on configurations other than the shared fixture's (tests/fixtures/lucidrains_variants,
// made by tests/tools/make_lucidrains_variants.py, whose Python restatement of lucidrains 2.1.1
// first reproduces the real package's outputs): 3 channels, other dim_mults, per-stage heads
// and full attention, learned / random Fourier time embeddings, self-conditioning, all three
// objectives and schedules, min-SNR weights. Each checkpoint opens with no architecture flags.
#include "core/checkpoint/diffusion_checkpoint.h"
#include "tests/support/reference_tensors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

using namespace ds;

class TestUnetVariants : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void matchesReference_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("objective");
        QTest::addColumn<QString>("schedule");
        QTest::newRow("rgb_pred_noise_cosine") << "rgb_pred_noise_cosine" << "pred_noise" << "cosine";
        QTest::newRow("gray_pred_x0_linear_learned_minsnr") << "gray_pred_x0_linear_learned_minsnr" << "pred_x0" << "linear";
        QTest::newRow("rgb_self_condition_fourier_pred_v") << "rgb_self_condition_fourier_pred_v" << "pred_v" << "sigmoid";
    }

    void matchesReference() {
        QFETCH(QString, name);
        QFETCH(QString, objective);
        QFETCH(QString, schedule);
        const std::string base = "lucidrains_variants/" + name.toStdString();
        const auto ref = test::loadReferenceTensors(test::fixturePath(base + ".reference.pt"));
        const auto ck = checkpoint::readDiffusionCheckpoint(test::fixturePath(base + ".pt"));
        QCOMPARE(QString::fromStdString(ck.diffusion.objective), objective);
        QCOMPARE(QString::fromStdString(ck.diffusion.betaSchedule), schedule);

        checkpoint::ModelBuildOptions o;
        o.weights = "online";
        o.imageSize = static_cast<int>(ref.at("unet_x").size(-1));
        auto m = checkpoint::buildDiffusionModel(ck, o);
        c10::InferenceMode guard;

        auto expectClose = [](const torch::Tensor& got, const torch::Tensor& want, double tol, const std::string& what) {
            const double d = test::maxAbsDiff(got, want);
            QVERIFY2(d < tol, qPrintable(QString("%1: max abs diff %2").arg(what.c_str()).arg(d)));
        };
        const auto& x = ref.at("unet_x");
        expectClose(m->model()->forward(x, ref.at("unet_t")), ref.at("unet_out"), 1e-4, "unet_out");
        if (ref.count("unet_self_cond"))
            expectClose(m->model()->forward(x, ref.at("unet_t"), ref.at("unet_self_cond")), ref.at("unet_out_self_cond"),
                        1e-4, "unet_out_self_cond");

        const int64_t T = ck.diffusion.timesteps;
        for (int64_t t : {int64_t(0), T / 2, T - 1}) {
            auto r = m->pMeanVariance(x, torch::full({x.size(0)}, t, torch::kLong));
            const std::string p = "pmv_" + std::to_string(t) + "_";
            expectClose(r.mean, ref.at(p + "mean"), 1e-4, p + "mean");
            expectClose(r.logVariance, ref.at(p + "logvar"), 1e-4, p + "logvar");
            expectClose(r.xStart, ref.at(p + "x0"), 1e-4, p + "x0");
        }

        at::Generator gen = at::detail::createCPUGenerator(0);
        if (ref.count("loss_value")) {
            const double loss = m->pLosses(ref.at("loss_x_start"), ref.at("loss_t"), ref.at("loss_noise"), gen).item<double>();
            const double want = ref.at("loss_value").item<double>();
            QVERIFY2(std::abs(loss - want) / std::abs(want) < 1e-5, qPrintable(QString("loss %1 vs %2").arg(loss).arg(want)));
        }

        const int steps = static_cast<int>(ref.at("ddim_x0_preds").size(0));
        std::vector<torch::Tensor> x0s, xs{m->unnormalize(ref.at("ddim_x_T"))};
        auto final = m->ddimSample(ref.at("ddim_x_T"), steps, 0.0, gen, [&](const diffusion::DenoiseStep& s) {
            x0s.push_back(m->unnormalize(s.x0));
            xs.push_back(m->unnormalize(s.x));
        });
        expectClose(torch::stack(x0s), ref.at("ddim_x0_preds"), 1e-3, "ddim_x0_preds");
        expectClose(torch::stack(xs, 1), ref.at("ddim_all_x"), 1e-3, "ddim_all_x");
        expectClose(m->unnormalize(final), ref.at("ddim_final"), 1e-3, "ddim_final");
    }
};

QTEST_APPLESS_MAIN(TestUnetVariants)
#include "test_unet_variants.moc"
