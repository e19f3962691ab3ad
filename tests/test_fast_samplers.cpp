// SPDX-License-Identifier: GPL-3.0-or-later
// DPM-Solver, DPM-Solver++ and UniPC against their reference code (tests/fixtures/fast_samplers,
// made by tests/tools/make_fast_sampler_fixtures.py running LuChengTHU/dpm-solver's
// dpm_solver_pytorch.py and wl-zhao/UniPC's uni_pc.py on lucidrains 2.1.1 Unets): from the same
// x_T, every network evaluation's time and data prediction, every step's state, the sample and
// the number of evaluations. Two checkpoints: pred_v with a sigmoid schedule (N = 100) and
// pred_noise with a cosine schedule (N = 50, which DPM-Solver's schedule clips to 49 knots).
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/diffusion/diffusion_ode_sampling.h"
#include "core/diffusion/dpm_solver.h"
#include "core/util/error.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

using namespace ds;
using api::DiffusionSampler;
using api::SolverMethod;
using api::StepSpacing;

namespace {

struct Config {
    DiffusionSampler sampler;
    api::SolverOptions options;
    int steps;
};

api::SolverOptions options(SolverMethod method, int order, StepSpacing spacing) {
    api::SolverOptions o;
    o.method = method;
    o.order = order;
    o.spacing = spacing;
    return o;
}

// The fixture's configuration names (see its README) as our options.
std::map<std::string, Config> configurations() {
    using M = SolverMethod;
    using S = StepSpacing;
    const auto pp = DiffusionSampler::DpmSolverPlusPlus, dpm = DiffusionSampler::DpmSolver,
               uni = DiffusionSampler::UniPC;
    std::map<std::string, Config> c{
        {"dpmpp_2m_tu_10", {pp, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"dpmpp_2m_tu_20", {pp, options(M::Multistep, 2, S::TimeUniform), 20}},
        {"dpmpp_3m_logsnr_10", {pp, options(M::Multistep, 3, S::LogSnr), 10}},
        {"dpm_3s_10", {dpm, options(M::Singlestep, 3, S::TimeUniform), 10}},
        {"dpm_3s_logsnr_10", {dpm, options(M::Singlestep, 3, S::LogSnr), 10}},
        {"dpm_2s_quad_12", {dpm, options(M::Singlestep, 2, S::TimeQuadratic), 12}},
        {"dpm_1_tu_10", {dpm, options(M::Multistep, 1, S::TimeUniform), 10}},
        {"dpmpp_1_tu_10", {pp, options(M::Multistep, 1, S::TimeUniform), 10}},
        {"dpm_2m_tu_10", {dpm, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"dpm_3m_tu_10", {dpm, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"dpmpp_2s_tu_10", {pp, options(M::Singlestep, 2, S::TimeUniform), 10}},
        {"dpmpp_2s_tu_11", {pp, options(M::Singlestep, 2, S::TimeUniform), 11}},
        {"dpmpp_3s_logsnr_10", {pp, options(M::Singlestep, 3, S::LogSnr), 10}},
        {"dpmpp_3s_tu_11", {pp, options(M::Singlestep, 3, S::TimeUniform), 11}},
        {"dpmpp_3s_tu_12", {pp, options(M::Singlestep, 3, S::TimeUniform), 12}},
        {"dpmpp_3sf_tu_10", {pp, options(M::SinglestepFixed, 3, S::TimeUniform), 10}},
        {"dpmpp_2m_tu_10_dz", {pp, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"dpmpp_3m_tu_10_nolof", {pp, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"dpmpp_3m_tu_8", {pp, options(M::Multistep, 3, S::TimeUniform), 8}},
        {"dpmpp_3m_tu_8_nolof", {pp, options(M::Multistep, 3, S::TimeUniform), 8}},
        {"dpmpp_2m_tu_10_taylor", {pp, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"dpmpp_2m_tu_10_thresh", {pp, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"adaptive_o2", {pp, options(M::Adaptive, 2, S::TimeUniform), 0}},
        {"adaptive_o3", {pp, options(M::Adaptive, 3, S::TimeUniform), 0}},
        {"dpm_adaptive_o3", {dpm, options(M::Adaptive, 3, S::TimeUniform), 0}},
        {"adaptive_o3_tight", {pp, options(M::Adaptive, 3, S::TimeUniform), 0}},
        {"unipc_bh2_3_tu_10", {uni, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"unipc_bh1_2_tu_10", {uni, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"unipc_bh2_2_logsnr_20", {uni, options(M::Multistep, 2, S::LogSnr), 20}},
        {"unipc_bh1_3_quad_10", {uni, options(M::Multistep, 3, S::TimeQuadratic), 10}},
        {"unipc_bh2_3_tu_10_nolof", {uni, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"unipc_bh2_3_tu_10_dz", {uni, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"unipc_p_bh2_3_tu_10", {uni, options(M::Multistep, 3, S::TimeUniform), 10}},
        {"unipc_p_bh1_2_tu_10", {uni, options(M::Multistep, 2, S::TimeUniform), 10}},
        {"unipc_bh2_2_tu_10_thresh", {uni, options(M::Multistep, 2, S::TimeUniform), 10}},
    };
    for (auto& [name, config] : c) {
        auto& o = config.options;
        const auto has = [&name](const char* part) { return name.find(part) != std::string::npos; };
        o.denoiseToZero = has("_dz");
        o.lowerOrderFinal = !has("_nolof");
        o.taylor = has("_taylor");
        if (has("_thresh")) o.x0Correction = api::X0Correction::Dynamic;
        o.unipcVariant = has("_bh1_") ? api::UniPCVariant::Bh1 : api::UniPCVariant::Bh2;
        o.unipcPredictX0 = !has("unipc_p_");
        if (has("_tight")) o.atol = o.rtol = 1e-4;
    }
    return c;
}

struct Run {
    torch::Tensor final;
    std::vector<torch::Tensor> xs;      // x_T, then each step's state (image space)
    std::vector<torch::Tensor> x0;      // every evaluation's data prediction (image space)
    std::vector<double> times;          // every evaluation's time
    std::vector<torch::Tensor> stepX0;  // each step's reported data prediction
    std::vector<double> stepStarts;
    int64_t nfe = 0;
};

}  // namespace

class TestFastSamplers : public QObject {
    Q_OBJECT

    std::map<std::string, std::map<std::string, torch::Tensor>> refs_;
    std::map<std::string, diffusion::GaussianDiffusion> models_;

    diffusion::GaussianDiffusion& model(const std::string& fixture) {
        auto it = models_.find(fixture);
        if (it != models_.end()) return it->second;
        const std::string checkpoint = fixture == "tiny_pred_v_sigmoid"
                                           ? "ddpm_lucidrains_tiny/model-1.pt"
                                           : "lucidrains_variants/rgb_pred_noise_cosine.pt";
        const auto ck = checkpoint::readDiffusionCheckpoint(test::fixturePath(checkpoint));
        checkpoint::ModelBuildOptions o;
        o.weights = api::Weights::Online;
        o.imageSize = 16;
        return models_.emplace(fixture, checkpoint::buildDiffusionModel(ck, o)).first->second;
    }

    const std::map<std::string, torch::Tensor>& reference(const std::string& fixture) {
        auto it = refs_.find(fixture);
        if (it == refs_.end())
            it =
                refs_
                    .emplace(fixture, test::loadReferenceTensors(test::fixturePath("fast_samplers/" + fixture + ".pt")))
                    .first;
        return it->second;
    }

    Run sample(diffusion::GaussianDiffusionImpl& m, const Config& c, const torch::Tensor& xT) {
        const auto schedule = diffusion::noiseScheduleFor(m, c.sampler, torch::kCPU);
        auto solver = diffusion::makeDiffusionOdeSolver(m, schedule, c.sampler, c.options);
        Run run;
        const auto image = [](const torch::Tensor& x) { return (x + 1.0) / 2.0; };
        solver->setEvaluationCallback([&](double t, const torch::Tensor& x0) {
            run.times.push_back(t);
            run.x0.push_back(image(x0));
        });
        run.xs.push_back(image(xT));
        run.final = image(solver->sample(xT, c.steps, [&](const diffusion::SolverStep& s) {
            run.xs.push_back(image(s.x));
            run.stepX0.push_back(s.x0.defined() ? image(s.x0) : torch::Tensor());
            run.stepStarts.push_back(s.s);
        }));
        run.nfe = solver->nfe();
        return run;
    }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void matchesReference_data() {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("config");
        for (const char* fixture : {"tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"})
            for (const auto& [name, config] : configurations())
                if (config.options.method != SolverMethod::Adaptive)
                    QTest::newRow((std::string(fixture) + "/" + name).c_str())
                        << fixture << QString::fromStdString(name);
    }

    void matchesReference() {
        QFETCH(QString, fixture);
        QFETCH(QString, config);
        const std::string f = fixture.toStdString(), name = config.toStdString();
        const auto& ref = reference(f);
        const auto c = configurations().at(name);
        c10::InferenceMode guard;
        const Run run = sample(*model(f), c, ref.at("x_T"));

        // Evaluations: the same count at the same times. Both compute times in float32 (a grid
        // in t, or in log-SNR through lambda and its inverse): 8 float32 epsilons of t <= 1.
        QCOMPARE(run.nfe, ref.at(name + "_nfe").item<int64_t>());
        const auto times = ref.at(name + "_t");
        QCOMPARE(int64_t(run.times.size()), times.numel());
        const auto ourTimes = torch::tensor(run.times, torch::kDouble);
        DS_CHECK_TOLERANCE(f + "/" + name + "_times", test::maxAbsDiff(ourTimes, times.reshape({-1})),
                           8 * test::kFloat32Epsilon);

        // Values: 1e-4 on [0, 1] images (the bound), relative to the reference's magnitude
        // (the random-weight rgb model's samples reach |x| ~ 1e2 - 5e4: its noise predictions do
        // not match x). Where a configuration amplifies float32 rounding more than that (the
        // fixture's float64 rerun moved its sample by `float64_deviation` of its magnitude: UniPC
        // on noise predictions, 1e-3), two float32 implementations differ by about as much: 4x it.
        const double relative = std::max(1e-4, 4.0 * ref.at(name + "_float64_deviation").item<double>());
        const auto expectClose = [relative](const torch::Tensor& got, const torch::Tensor& want,
                                            const std::string& what) {
            const double scale = std::max(1.0, want.abs().max().item<double>());
            const double d = test::maxAbsDiff(got, want);
            DS_CHECK_TOLERANCE(what, d, relative * scale);
        };
        const std::string label = f + "/" + name;
        expectClose(run.final, ref.at(name + "_final"), label + "_final");
        if (ref.count(name + "_x0")) expectClose(torch::stack(run.x0), ref.at(name + "_x0"), label + "_x0");
        if (ref.count(name + "_xs")) expectClose(torch::stack(run.xs), ref.at(name + "_xs"), label + "_xs");
        QCOMPARE(int64_t(run.xs.size()),
                 ref.at(name + "_steps").item<int64_t>() + 1 + (c.options.denoiseToZero ? 1 : 0));

        // Each step reports the data prediction the model made at the step's start.
        for (size_t i = 0; i < run.stepX0.size(); ++i) {
            QVERIFY2(run.stepX0[i].defined(), qPrintable(QString("step %1 has no x0").arg(i)));
            for (size_t e = 0; e < run.times.size(); ++e)
                if (std::abs(run.times[e] - run.stepStarts[i]) < 1e-7) {
                    QCOMPARE(test::maxAbsDiff(run.stepX0[i], run.x0[e]), 0.0);
                    break;
                }
        }
    }

    // The adaptive method's controller, replayed on the reference's own trials: from each trial's
    // error estimate E (the reference's), our step-size rule and acceptance give the reference's
    // next trial time. (End to end the trial times cannot be compared: the first trial's E is at
    // the level of float32 rounding, 1e-6 - 1e-4, so the next step size 0.9 h E^(-1/order)
    // carries the rounding of the network's arithmetic, which no two implementations share.)
    void adaptiveControllerReplaysTheReference() {
        for (const char* fixture : {"tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"}) {
            const auto& ref = reference(fixture);
            auto& m = *model(fixture);
            const auto schedule = diffusion::noiseScheduleFor(m, DiffusionSampler::DpmSolverPlusPlus, torch::kCPU);
            for (const char* name : {"adaptive_o2", "adaptive_o3", "dpm_adaptive_o3", "adaptive_o3_tight"}) {
                const std::string n = name;
                const int order = configurations().at(n).options.order;
                const auto trialS = ref.at(n + "_trial_s").to(torch::kFloat),
                           trialT = ref.at(n + "_trial_t").to(torch::kFloat);
                const auto accepted = ref.at(n + "_trial_accepted"), e = ref.at(n + "_trial_E");
                const auto f1 = [](const torch::Tensor& v) { return v.reshape({1}); };
                const auto lambda0 = schedule.marginalLambda(torch::full({1}, float(schedule.tEnd())));
                auto h = 0.05 * torch::ones({1});
                auto lambdaS = schedule.marginalLambda(f1(trialS[0]));
                double startDiff = 0, endDiff = 0;
                for (int64_t i = 0; i + 1 < trialS.numel(); ++i) {
                    // Accepted: the next trial starts where this one ended.
                    const bool accept = e[i].item<double>() <= 1.0;
                    QCOMPARE(accept, accepted[i].item<int64_t>() != 0);
                    const auto nextS = accept ? trialT[i] : trialS[i];
                    startDiff = std::max(startDiff, std::abs(nextS.item<double>() - trialS[i + 1].item<double>()));
                    lambdaS = schedule.marginalLambda(f1(trialS[i + 1]));
                    h = diffusion::DpmSolver::adaptiveStepSize(h, f1(e[i]), order, lambda0, lambdaS);
                    const double t = schedule.inverseLambda(lambdaS + h).item<double>();
                    endDiff = std::max(endDiff, std::abs(t - trialT[i + 1].item<double>()));
                }
                // A trial starts at the reference's own float32 time: exactly. Its end goes
                // through lambda, the step size and lambda's inverse in float32, as the
                // reference's does: 8 float32 epsilons of t <= 1.
                const std::string tag = std::string(fixture) + "/" + name;
                DS_CHECK_TOLERANCE(tag + "_trial_starts", startDiff, 0.0);
                DS_CHECK_TOLERANCE(tag + "_trial_ends", endDiff, 8 * test::kFloat32Epsilon);
            }
        }
    }

    // End to end the adaptive runs agree with the reference within the error the solver is asked
    // to control (atol + rtol |x|, elementwise), with as many evaluations give or take one trial.
    void adaptiveMatchesWithinItsTolerance() {
        for (const char* fixture : {"tiny_pred_v_sigmoid", "rgb_pred_noise_cosine"}) {
            const auto& ref = reference(fixture);
            for (const char* name : {"adaptive_o2", "adaptive_o3", "dpm_adaptive_o3", "adaptive_o3_tight"}) {
                c10::InferenceMode guard;
                const auto c = configurations().at(name);
                const Run run = sample(*model(fixture), c, ref.at("x_T"));
                const int64_t nfe = ref.at(std::string(name) + "_nfe").item<int64_t>();
                QVERIFY2(std::abs(run.nfe - nfe) <= c.options.order,
                         qPrintable(
                             QString("%1 %2: %3 evaluations, reference %4").arg(fixture, name).arg(run.nfe).arg(nfe)));
                // In model space ([-1, 1]), where the solver measures its error.
                const auto want = ref.at(std::string(name) + "_final") * 2 - 1, got = run.final * 2 - 1;
                const double ratio =
                    ((got - want).abs() / (c.options.atol + c.options.rtol * want.abs())).max().item<double>();
                DS_CHECK_TOLERANCE(std::string(fixture) + "/" + name + "_final", ratio, 1.0);
            }
        }
    }

    // DPM-Solver-1 is DDIM: DPM-Solver++ of order 1 with x0 clipped equals lucidrains' DDIM
    // (eta 0, x0 clipped, noise re-derived) on the same time grid. N = 100 and 9 time-uniform steps
    // put the grid on whole timesteps (t = 1, 0.89, ..., 0.01 is timestep 99, 88, ..., 0), where
    // our DDIM can run; the model times differ only by float32 rounding of (t - 1/N) * N.
    void firstOrderIsDdim() {
        auto& m = *model("tiny_pred_v_sigmoid");
        const auto& ref = reference("tiny_pred_v_sigmoid");
        c10::InferenceMode guard;
        auto o = options(SolverMethod::Multistep, 1, StepSpacing::TimeUniform);
        o.x0Correction = api::X0Correction::Clip;
        // The model's own schedule (100 knots): UniPC's, unclipped; DPM-Solver's drops a knot of this model.
        const diffusion::NoiseScheduleVP schedule(m.buffer("alphas_cumprod"), false);
        auto solver = diffusion::makeDiffusionOdeSolver(m, schedule, DiffusionSampler::DpmSolverPlusPlus, o);
        std::vector<torch::Tensor> dpmStates;
        const auto xT = ref.at("x_T");
        solver->sample(xT, 9, [&](const diffusion::SolverStep& s) { dpmStates.push_back(s.x); });
        std::vector<std::pair<int64_t, int64_t>> pairs;
        for (int64_t t = 99; t > 0; t -= 11) pairs.emplace_back(t, t - 11);
        at::Generator gen = at::detail::createCPUGenerator(0);
        std::vector<torch::Tensor> ddimStates;
        m.ddimSampleOnPairs(xT, pairs, 0.0, gen, [&](const diffusion::DenoiseStep& s) { ddimStates.push_back(s.x); });
        QCOMPARE(ddimStates.size(), dpmStates.size());
        for (size_t i = 0; i < dpmStates.size(); ++i) {
            const double d = test::maxAbsDiff(dpmStates[i], ddimStates[i]) / 2.0;  // model space -> [0, 1]
            DS_CHECK_TOLERANCE("dpm1_vs_ddim_step" + std::to_string(i), d, 1e-4);
        }
        // Negative control: without the clip, DPM-Solver++-1 is not lucidrains' clipped DDIM here.
        o.x0Correction = api::X0Correction::None;
        auto unclipped = diffusion::makeDiffusionOdeSolver(m, schedule, DiffusionSampler::DpmSolverPlusPlus, o);
        const auto free = unclipped->sample(xT, 9);
        DS_CHECK_NEGATIVE_CONTROL("dpm1_unclipped_vs_ddim", test::maxAbsDiff(free, ddimStates.back()) / 2.0, 1e-4, 10);
    }

    void singlestepOrdersFollowTheReference() {
        QCOMPARE(diffusion::dpmSolverSinglestepOrders(10, 3), (std::vector<int>{3, 3, 3, 1}));
        QCOMPARE(diffusion::dpmSolverSinglestepOrders(11, 3), (std::vector<int>{3, 3, 3, 2}));
        QCOMPARE(diffusion::dpmSolverSinglestepOrders(12, 3), (std::vector<int>{3, 3, 3, 2, 1}));
        QCOMPARE(diffusion::dpmSolverSinglestepOrders(11, 2), (std::vector<int>{2, 2, 2, 2, 2, 1}));
        QCOMPARE(diffusion::dpmSolverSinglestepOrders(3, 1), (std::vector<int>{1, 1, 1}));
    }

    void badOptionsAreRefused() {
        const auto refused = [](DiffusionSampler s, api::SolverOptions o, int steps, const char* part) {
            try {
                diffusion::validateSolverOptions(s, o, steps);
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find(part) != std::string::npos, e.what());
                return;
            }
            QFAIL(qPrintable(QString("accepted; expected an error with '%1'").arg(part)));
        };
        auto o = options(SolverMethod::Multistep, 4, StepSpacing::TimeUniform);
        refused(DiffusionSampler::DpmSolverPlusPlus, o, 10, "--order");
        o.order = 3;
        refused(DiffusionSampler::DpmSolverPlusPlus, o, 2, "--steps");
        o.method = SolverMethod::Singlestep;
        refused(DiffusionSampler::UniPC, o, 10, "UniPC");
        o = options(SolverMethod::Adaptive, 1, StepSpacing::TimeUniform);
        refused(DiffusionSampler::DpmSolver, o, 10, "adaptive");
        o = options(SolverMethod::Multistep, 2, StepSpacing::TimeUniform);
        o.x0Correction = api::X0Correction::Clip;
        refused(DiffusionSampler::DpmSolver, o, 10, "--clip-x0");
        diffusion::validateSolverOptions(DiffusionSampler::DpmSolverPlusPlus, o, 10);  // accepted
    }
};

QTEST_MAIN(TestFastSamplers)
#include "test_fast_samplers.moc"
