// SPDX-License-Identifier: GPL-3.0-or-later
// Parity with denoising_diffusion_pytorch 2.1.1 (tests/fixtures/ddpm_lucidrains_tiny, made by
// the original Python code): Unet outputs, p_mean_variance, the loss and DDIM; plus lucidrains'
// schedule values.
//
// Tolerances (tests/support/diffusion_tolerance.h, as in test_unet_variants): the U-Net's output
// is held to 1e-5 of its magnitude, p_mean_variance, the loss and each DDIM step to that budget
// times their amplification, the DDIM run to the steps' budgets carried through the gains
// measured on the model. Each comparison has a negative control: the network at other
// timesteps, or the same network read as pred_noise (it is pred_v), misses by at least
// kNegativeControlFactor times the tolerance. Schedules are float64 arithmetic: within a few
// float64 epsilons per operation of their closed forms (negative control: the next timestep), the
// float32 buffers bitwise; min-SNR's gamma, recovered from float32 buffers, within their rounding.
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/diffusion/beta_schedule.h"
#include "core/util/error.h"
#include "tests/support/diffusion_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

using namespace ds;

namespace {

// A wrong configuration must miss by this many times the tolerance the right one is held to.
constexpr double kNegativeControlFactor = 10.0;

}  // namespace

class TestDdpmParity : public QObject {
    Q_OBJECT

    std::map<std::string, torch::Tensor> ref_;
    checkpoint::DiffusionCheckpoint ckpt_;

    diffusion::GaussianDiffusion model(const std::string& weights, const std::string& objective = "") {
        checkpoint::ModelBuildOptions o;
        o.weights = *api::parseWeights(weights);
        o.imageSize = 16;
        o.objective = objective;
        return checkpoint::buildDiffusionModel(ckpt_, o);
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        ref_ = test::loadReferenceTensors(test::fixturePath("ddpm_lucidrains_tiny/reference.pt"));
        ckpt_ = checkpoint::readDiffusionCheckpoint(test::fixturePath("ddpm_lucidrains_tiny/model-1.pt"));
    }

    void inferredConfigurationMatchesFixture() {
        QCOMPARE(ckpt_.format, checkpoint::DiffusionCheckpoint::Format::Lucidrains);
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
        QTest::newRow("online") << "online"
                                << "unet_out";
        QTest::newRow("ema") << "ema"
                             << "unet_out_ema";
    }
    void unetOutput() {
        QFETCH(QString, weights);
        QFETCH(QString, key);
        c10::InferenceMode guard;
        auto m = model(weights.toStdString());
        const auto& want = ref_.at(key.toStdString());
        const double tol = test::unetTolerance(test::maxAbs(want));
        const auto& x = ref_.at("unet_x");
        const auto& t = ref_.at("unet_t");
        DS_CHECK_TOLERANCE("ddpm/" + key.toStdString(), test::maxAbsDiff(m->model()->forward(x, t), want), tol);
        DS_CHECK_NEGATIVE_CONTROL("ddpm/" + key.toStdString() + " at reversed timesteps",
                                  test::maxAbsDiff(m->model()->forward(x, t.flip(0)), want), tol,
                                  kNegativeControlFactor);
    }

    void pMeanVariance_data() {
        QTest::addColumn<int>("t");
        for (int t : {0, 1, 50, 99}) QTest::newRow(qPrintable(QString("t=%1").arg(t))) << t;
    }
    void pMeanVariance() {
        QFETCH(int, t);
        c10::InferenceMode guard;
        auto m = model("online");
        auto wrong = model("online", "pred_noise");
        const auto& x = ref_.at("unet_x");
        auto times = torch::full({x.size(0)}, t, torch::kLong);
        const std::string p = "pmv_" + std::to_string(t) + "_";
        const auto tol = test::pmvTolerances(*m, x, t, ref_.at(p + "logvar"));
        const auto r = m->pMeanVariance(x, times), w = wrong->pMeanVariance(x, times);
        DS_CHECK_TOLERANCE("ddpm/" + p + "x0", test::maxAbsDiff(r.xStart, ref_.at(p + "x0")), tol.x0);
        DS_CHECK_TOLERANCE("ddpm/" + p + "mean", test::maxAbsDiff(r.mean, ref_.at(p + "mean")), tol.mean);
        DS_CHECK_TOLERANCE("ddpm/" + p + "logvar", test::maxAbsDiff(r.logVariance, ref_.at(p + "logvar")),
                           tol.logVariance);
        DS_CHECK_NEGATIVE_CONTROL("ddpm/" + p + "x0 as pred_noise", test::maxAbsDiff(w.xStart, ref_.at(p + "x0")),
                                  tol.x0, kNegativeControlFactor);
        DS_CHECK_NEGATIVE_CONTROL("ddpm/" + p + "mean as pred_noise", test::maxAbsDiff(w.mean, ref_.at(p + "mean")),
                                  tol.mean, kNegativeControlFactor);
        const auto next = m->pMeanVariance(x, torch::full({x.size(0)}, t == 99 ? 98 : t + 1, torch::kLong));
        DS_CHECK_NEGATIVE_CONTROL("ddpm/" + p + "logvar of the next timestep",
                                  test::maxAbsDiff(next.logVariance, ref_.at(p + "logvar")), tol.logVariance,
                                  kNegativeControlFactor);
    }

    void trainingLoss() {
        c10::InferenceMode guard;
        auto m = model("online");
        auto wrong = model("online", "pred_noise");
        at::Generator gen = at::detail::createCPUGenerator(0);
        const auto &xStart = ref_.at("loss_x_start"), &t = ref_.at("loss_t"), &noise = ref_.at("loss_noise");
        const double expected = ref_.at("loss_value").item<double>();
        const double tol = test::lossTolerance(*m, xStart, t, noise, expected);
        DS_CHECK_TOLERANCE("ddpm/loss", std::abs(m->pLosses(xStart, t, noise, gen).item<double>() - expected), tol);
        DS_CHECK_NEGATIVE_CONTROL("ddpm/loss as pred_noise",
                                  std::abs(wrong->pLosses(xStart, t, noise, gen).item<double>() - expected), tol,
                                  kNegativeControlFactor);
    }

    void ddimTrajectory() {
        c10::InferenceMode guard;
        auto m = model("online");
        auto wrong = model("online", "pred_noise");
        const auto pairs = m->ddimTimePairs(10);
        const auto refStates = ref_.at("ddim_all_x").transpose(0, 1);  // (steps + 1, B, C, H, W)
        const auto& refX0 = ref_.at("ddim_x0_preds");
        const auto tol = test::ddimTolerances(*m, pairs, refStates, refX0);
        // Each step from the reference's state: the step's own amplification.
        for (size_t i = 0; i < pairs.size(); ++i) {
            const auto [t, tNext] = pairs[i];
            const auto x = refStates[int64_t(i)] * 2 - 1;
            const std::string s = "ddpm/ddim_step" + std::to_string(i) + "_t" + std::to_string(t);
            const auto step = test::ddimStep(*m, x, t, tNext, std::nullopt);
            DS_CHECK_TOLERANCE(s + "/x0", test::maxAbsDiff(m->unnormalize(step.x0), refX0[int64_t(i)]), tol.stepX0[i]);
            DS_CHECK_TOLERANCE(s + "/next", test::maxAbsDiff(m->unnormalize(step.next), refStates[int64_t(i) + 1]),
                               tol.stepState[i]);
            DS_CHECK_NEGATIVE_CONTROL(
                s + "/next as pred_noise",
                test::maxAbsDiff(m->unnormalize(test::ddimStep(*wrong, x, t, tNext, std::nullopt).next),
                                 refStates[int64_t(i) + 1]),
                tol.stepState[i], kNegativeControlFactor);
        }
        // The whole run: the steps' budgets carried through the network's gains.
        const auto run = [&](diffusion::GaussianDiffusionImpl& model) {
            at::Generator gen = at::detail::createCPUGenerator(0);
            std::vector<torch::Tensor> x0s, xs{model.unnormalize(ref_.at("ddim_x_T"))};
            model.ddimSample(ref_.at("ddim_x_T"), 10, 0.0, gen, [&](const diffusion::DenoiseStep& s) {
                x0s.push_back(model.unnormalize(s.x0));
                xs.push_back(model.unnormalize(s.x));
            });
            return std::make_pair(torch::stack(x0s), torch::stack(xs));
        };
        const auto [x0s, xs] = run(*m);
        QCOMPARE(int(x0s.size(0)), 10);
        for (int64_t i = 0; i < 10; ++i) {
            const std::string s = "ddpm/ddim_run_step" + std::to_string(i);
            DS_CHECK_TOLERANCE(s + "/x0", test::maxAbsDiff(x0s[i], refX0[i]), tol.x0[size_t(i)]);
            DS_CHECK_TOLERANCE(s + "/state", test::maxAbsDiff(xs[i + 1], refStates[i + 1]), tol.states[size_t(i) + 1]);
        }
        DS_CHECK_TOLERANCE("ddpm/ddim_final", test::maxAbsDiff(xs[10], ref_.at("ddim_final")), tol.states.back());
        DS_CHECK_NEGATIVE_CONTROL("ddpm/ddim_final as pred_noise",
                                  test::maxAbsDiff(run(*wrong).second[10], ref_.at("ddim_final")), tol.states.back(),
                                  kNegativeControlFactor);
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
        // linspace in float64: a few epsilons of its ends.
        const auto linear = diffusion::linearBetaSchedule(1000);
        const double eps = test::kFloat64Epsilon;
        DS_CHECK_TOLERANCE("schedule/linear_last", std::abs(linear[999].item<double>() - 0.02), 4 * eps * 0.02);
        DS_CHECK_TOLERANCE("schedule/linear_first", std::abs(linear[0].item<double>() - 1e-4), 4 * eps * 1e-4);
        DS_CHECK_NEGATIVE_CONTROL("schedule/linear_last of 999 steps",
                                  std::abs(diffusion::linearBetaSchedule(999)[998].item<double>() - 0.02),
                                  4 * eps * 0.02, kNegativeControlFactor);
        // alpha-bar at t = 500 of 1000 as the product of 500 factors 1 - beta, each rounded a few
        // times (the ratio of two alpha-bars, 1 minus it, 1 minus that): 4 epsilons per factor.
        // Negative control: the product one factor short (the index off by one).
        auto acOf = [](const torch::Tensor& betas) { return torch::cumprod(1 - betas, 0); };
        const double productTol = 4 * 500 * eps * 0.5;
        const auto cosine = acOf(diffusion::cosineBetaSchedule(1000));
        const double s = 0.008;
        const auto cosineAt = [s](double t) { return std::pow(std::cos((t + s) / (1 + s) * M_PI / 2), 2); };
        const double cosineHalf = cosineAt(0.5) / cosineAt(0.0);  // 0.49384359...
        DS_CHECK_TOLERANCE("schedule/cosine_alpha_bar_500", std::abs(cosine[499].item<double>() - cosineHalf),
                           productTol);
        DS_CHECK_NEGATIVE_CONTROL("schedule/cosine_alpha_bar_499", std::abs(cosine[498].item<double>() - cosineHalf),
                                  productTol, kNegativeControlFactor);
        // The sigmoid schedule is symmetric about t = 0.5, where alpha-bar is 1/2; but upstream's
        // v_end = sigmoid(3) is a float32 (off by half an epsilon of 0.95), which moves it by that
        // over 4 (v_end - 1/2) = 1.81.
        const auto sigmoid = acOf(diffusion::sigmoidBetaSchedule(1000));
        const double sigmoidTol = test::kFloat32Epsilon / 2 * 0.953 / 1.81 + productTol;
        DS_CHECK_TOLERANCE("schedule/sigmoid_alpha_bar_500", std::abs(sigmoid[499].item<double>() - 0.5), sigmoidTol);
        DS_CHECK_NEGATIVE_CONTROL("schedule/sigmoid_alpha_bar_499", std::abs(sigmoid[498].item<double>() - 0.5),
                                  sigmoidTol, kNegativeControlFactor);
        // The fixture's stored buffers are exactly our float32 schedule (float64 rounded once).
        auto ours = diffusion::sigmoidBetaSchedule(100).to(torch::kFloat);
        DS_CHECK_TOLERANCE("schedule/sigmoid_betas_vs_fixture", test::maxAbsDiff(ours, ckpt_.online.at("betas")), 0.0);
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
        QVERIFY(
            checkpoint::inferObjective(m->buffer("alphas_cumprod"), m->buffer("loss_weight"), found, foundSnr, gamma));
        // pred_noise without min-SNR has all-ones weights, which no other objective produces.
        QCOMPARE(QString::fromStdString(found), objective);
        QCOMPARE(foundSnr, minSnr);
        if (minSnr) {
            // gamma = max(w snr), with snr = ab / (1 - ab) taken from the float32 alpha-bar
            // buffer: half an epsilon of ab is ab / (2 (1 - ab)) epsilons of snr, worst at the
            // largest ab (t = 0, where 1 - ab is 2.5e-4 - 1.5e-3 here), plus w's own rounding.
            const double abMax = m->buffer("alphas_cumprod").max().item<double>();
            const double tol = 5.0 * test::kFloat32Epsilon * (0.5 / (1 - abMax) + 2);
            const std::string name = "schedule/min_snr_gamma_" + objective.toStdString() + "_" + schedule.toStdString();
            DS_CHECK_TOLERANCE(name, std::abs(gamma - 5.0), tol);
            // Negative control: a model built with gamma 5.5.
            c.minSnrGamma = 5.5;
            diffusion::GaussianDiffusion other(nn::Unet(u), c);
            double otherGamma = 0;
            QVERIFY(checkpoint::inferObjective(other->buffer("alphas_cumprod"), other->buffer("loss_weight"), found,
                                               foundSnr, otherGamma));
            DS_CHECK_NEGATIVE_CONTROL(name + " of a model with 5.5", std::abs(otherGamma - 5.0), tol,
                                      kNegativeControlFactor);
        }
        QCOMPARE(QString::fromStdString(checkpoint::inferBetaSchedule(m->buffer("betas"))), schedule);
    }
};

QTEST_APPLESS_MAIN(TestDdpmParity)
#include "test_ddpm_parity.moc"
