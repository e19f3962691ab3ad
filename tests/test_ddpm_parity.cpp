// Parity with denoising_diffusion_pytorch 2.1.1 (tests/fixtures/ddpm_lucidrains_tiny, made by
// the original Python code): Unet outputs, p_mean_variance, the loss and DDIM, at the
// fixture README's tolerances; plus lucidrains' schedule values.
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/diffusion/beta_schedule.h"
#include "core/util/error.h"
#include "tests/support/reference_tensors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

using namespace ds;

class TestDdpmParity : public QObject {
    Q_OBJECT

    std::map<std::string, torch::Tensor> ref_;
    checkpoint::DiffusionCheckpoint ckpt_;

    diffusion::GaussianDiffusion model(const std::string& weights) {
        checkpoint::ModelBuildOptions o;
        o.weights = weights;
        o.imageSize = 16;
        return checkpoint::buildDiffusionModel(ckpt_, o);
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        ref_ = test::loadReferenceTensors(test::fixturePath("ddpm_lucidrains_tiny/reference.pt"));
        ckpt_ = checkpoint::readDiffusionCheckpoint(test::fixturePath("ddpm_lucidrains_tiny/model-1.pt"));
    }

    void inferredConfigurationMatchesFixture() {
        QCOMPARE(ckpt_.format, std::string("lucidrains"));
        QCOMPARE(ckpt_.version, std::string("2.1.1"));
        QCOMPARE(ckpt_.step, int64_t(3));
        QCOMPARE(ckpt_.unet.dim, 16);
        QCOMPARE(ckpt_.unet.dimMults, (std::vector<int>{1, 2}));
        QCOMPARE(ckpt_.unet.channels, 1);
        QCOMPARE(ckpt_.unet.fullAttn, (std::vector<bool>{false, true}));
        QCOMPARE(ckpt_.unet.attnHeads, (std::vector<int>{4, 4}));
        QCOMPARE(ckpt_.unet.attnDimHead, (std::vector<int>{32, 32}));
        QCOMPARE(ckpt_.diffusion.timesteps, 100);
        QCOMPARE(ckpt_.diffusion.betaSchedule, std::string("sigmoid"));
        QCOMPARE(ckpt_.diffusion.objective, std::string("pred_v"));
        QVERIFY(ckpt_.hasEma());
        QVERIFY(!ckpt_.imageSizeKnown);
    }

    void stateDictKeysAndOrderMatchUpstream() {
        auto m = model("online");
        const auto ours = checkpoint::StateDict::fromModule(*m);
        QCOMPARE(ours.size(), ckpt_.online.size());
        for (size_t i = 0; i < ours.size(); ++i) {
            QCOMPARE(ours.entries()[i].first, ckpt_.online.entries()[i].first);
            QCOMPARE(ours.entries()[i].second.sizes().vec(), ckpt_.online.entries()[i].second.sizes().vec());
        }
    }

    void unetOutput_data() {
        QTest::addColumn<QString>("weights");
        QTest::addColumn<QString>("key");
        QTest::newRow("online") << "online" << "unet_out";
        QTest::newRow("ema") << "ema" << "unet_out_ema";
    }
    void unetOutput() {
        QFETCH(QString, weights);
        QFETCH(QString, key);
        c10::InferenceMode guard;
        auto m = model(weights.toStdString());
        auto out = m->model()->forward(ref_.at("unet_x"), ref_.at("unet_t"));
        const double diff = test::maxAbsDiff(out, ref_.at(key.toStdString()));
        QVERIFY2(diff < 1e-4, qPrintable(QString("max abs diff %1").arg(diff)));
    }

    void pMeanVariance_data() {
        QTest::addColumn<int>("t");
        for (int t : {0, 1, 50, 99}) QTest::newRow(qPrintable(QString("t=%1").arg(t))) << t;
    }
    void pMeanVariance() {
        QFETCH(int, t);
        c10::InferenceMode guard;
        auto m = model("online");
        const auto& x = ref_.at("unet_x");
        auto times = torch::full({x.size(0)}, t, torch::kLong);
        auto r = m->pMeanVariance(x, times);
        const std::string p = "pmv_" + std::to_string(t) + "_";
        for (auto [got, key] : {std::pair{r.mean, p + "mean"}, {r.logVariance, p + "logvar"}, {r.xStart, p + "x0"}}) {
            const double diff = test::maxAbsDiff(got, ref_.at(key));
            QVERIFY2(diff < 1e-4, qPrintable(QString("%1: max abs diff %2").arg(key.c_str()).arg(diff)));
        }
    }

    void trainingLoss() {
        c10::InferenceMode guard;
        auto m = model("online");
        at::Generator gen = at::detail::createCPUGenerator(0);
        auto loss = m->pLosses(ref_.at("loss_x_start"), ref_.at("loss_t"), ref_.at("loss_noise"), gen);
        const double expected = ref_.at("loss_value").item<double>();
        const double rel = std::abs(loss.item<double>() - expected) / std::abs(expected);
        QVERIFY2(rel < 1e-5, qPrintable(QString("loss %1 vs %2 (rel %3)").arg(loss.item<double>()).arg(expected).arg(rel)));
    }

    void ddimTrajectory() {
        c10::InferenceMode guard;
        auto m = model("online");
        at::Generator gen = at::detail::createCPUGenerator(0);
        const auto& xT = ref_.at("ddim_x_T");
        std::vector<torch::Tensor> x0s, xs{m->unnormalize(xT)};
        auto final = m->ddimSample(xT, 10, 0.0, gen, [&](const diffusion::DenoiseStep& s) {
            x0s.push_back(m->unnormalize(s.x0));
            xs.push_back(m->unnormalize(s.x));
        });
        QCOMPARE(int(x0s.size()), 10);
        const double d0 = test::maxAbsDiff(torch::stack(x0s, 0), ref_.at("ddim_x0_preds"));
        const double dx = test::maxAbsDiff(torch::stack(xs, 1), ref_.at("ddim_all_x"));
        const double df = test::maxAbsDiff(m->unnormalize(final), ref_.at("ddim_final"));
        QVERIFY2(d0 < 1e-3, qPrintable(QString("x0 preds diff %1").arg(d0)));
        QVERIFY2(dx < 1e-3, qPrintable(QString("all x diff %1").arg(dx)));
        QVERIFY2(df < 1e-3, qPrintable(QString("final diff %1").arg(df)));
    }

    void ddimTimePairsFollowUpstream() {
        auto m = model("online");
        const auto pairs = m->ddimTimePairs(10);
        QCOMPARE(int(pairs.size()), 10);
        QCOMPARE(pairs.front(), (std::pair<int64_t, int64_t>{99, 89}));
        QCOMPARE(pairs.back(), (std::pair<int64_t, int64_t>{9, -1}));
        bool threw = false;
        try {
            m->ddimTimePairs(101);
        } catch (const ds::Error&) {
            threw = true;
        }
        QVERIFY(threw);
    }

    void scheduleValues() {
        const auto linear = diffusion::linearBetaSchedule(1000);
        QVERIFY(std::abs(linear[999].item<double>() - 0.02) < 1e-12);
        QVERIFY(std::abs(linear[0].item<double>() - 1e-4) < 1e-12);
        auto acOf = [](const torch::Tensor& betas) { return torch::cumprod(1 - betas, 0); };
        const double cos499 = acOf(diffusion::cosineBetaSchedule(1000))[499].item<double>();
        QVERIFY2(std::abs(cos499 - 0.49384) < 1e-5, qPrintable(QString::number(cos499, 'g', 8)));
        const double sig499 = acOf(diffusion::sigmoidBetaSchedule(1000))[499].item<double>();
        QVERIFY2(std::abs(sig499 - 0.5) < 2e-3, qPrintable(QString::number(sig499, 'g', 8)));
        // The fixture's stored buffers are exactly our float32 schedule.
        auto ours = diffusion::sigmoidBetaSchedule(100).to(torch::kFloat);
        QVERIFY(torch::equal(ours, ckpt_.online.at("betas")));
    }

    void objectiveIsReadFromLossWeight_data() {
        QTest::addColumn<QString>("objective");
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<bool>("minSnr");
        for (auto obj : {"pred_noise", "pred_x0", "pred_v"})
            for (auto sched : {"linear", "cosine", "sigmoid"})
                for (bool snr : {false, true})
                    QTest::newRow(qPrintable(QString("%1/%2/%3").arg(obj, sched).arg(snr))) << obj << sched << snr;
    }
    void objectiveIsReadFromLossWeight() {
        QFETCH(QString, objective);
        QFETCH(QString, schedule);
        QFETCH(bool, minSnr);
        nn::UnetConfig u;
        u.dim = 8;
        u.dimMults = {1};
        u.attnDimHead = {4};
        u.attnHeads = {1};
        diffusion::DiffusionConfig c;
        c.imageSize = 8;
        c.timesteps = 200;
        c.objective = objective.toStdString();
        c.betaSchedule = schedule.toStdString();
        c.minSnrLossWeight = minSnr;
        diffusion::GaussianDiffusion m(nn::Unet(u), c);
        std::string found;
        bool foundSnr = false;
        double gamma = 0;
        QVERIFY(checkpoint::inferObjective(m->buffer("alphas_cumprod"), m->buffer("loss_weight"), found, foundSnr, gamma));
        // pred_noise without min-SNR has all-ones weights, which no other objective produces.
        QCOMPARE(QString::fromStdString(found), objective);
        QCOMPARE(foundSnr, minSnr);
        if (minSnr) QVERIFY(std::abs(gamma - 5.0) < 1e-3);
        QCOMPARE(QString::fromStdString(checkpoint::inferBetaSchedule(m->buffer("betas"))), schedule);
    }
};

QTEST_APPLESS_MAIN(TestDdpmParity)
#include "test_ddpm_parity.moc"
