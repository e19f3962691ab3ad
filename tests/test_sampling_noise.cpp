// SPDX-License-Identifier: GPL-3.0-or-later
// Seeded DDPM ancestral sampling and DDIM with eta > 0 against lucidrains' own loops
// (tests/fixtures/sampling_noise, made by tests/tools/make_sampling_noise_fixtures.py from the
// real denoising-diffusion-pytorch 2.1.1): the generator's draws, every step's state and clipped
// x0, and the final sample, for two checkpoints (pred_v sigmoid, pred_noise cosine); once
// through the sampling job with x_T from a file, and twice with x_T drawn from the seed.
//
// Tolerances. The noise: LibTorch's randn is bit-identical to PyTorch's with the same ATen CPU
// kernels, but its Box-Muller transform runs vectorised (Sleef log/sin/cos) or scalar depending
// on ATEN_CPU_CAPABILITY. z = r cos(theta) then differs by about r |d cos|, a few float32
// epsilons times r whatever z is (measured 1.7e-6 = 3.7 eps x max |z| with
// ATEN_CPU_CAPABILITY=default, 0 otherwise): draws are held to 16 eps x max |z|. The
// U-Net's float32 output differs from PyTorch's by the order of its operations (~1e-7
// relative); states (x + 1) / 2 are at most ~3, measured within 6e-7 of the reference with the
// fixture's kernels and 1.1e-6 with ATen's default ones (other noise): kStateTolerance = 4e-6
// (~32 float32 ulps at 1) is 3.5x the largest. The x0 estimate
// (x - sqrt(1 - ab) eps) / sqrt(ab) amplifies those differences by 1/sqrt(ab) (~30 at the
// noisiest steps that are not clipped), so each step's x0 error is compared after multiplying by
// sqrt(ab_t), against the same tolerance. DDIM adds one more difference: lucidrains computes
// sigma and c = sqrt(1 - a_next - sigma^2) in float32, where for eta = 1 and a first step from
// a ~ 1e-6 the two terms cancel (c ~ 0.003, relative error up to 0.6%); its coefficient gap
// (computed below from the schedule) reaches the state through |pred_noise| <= ~5, halved by
// (x + 1) / 2, and the next x0 through 1/sqrt(a_next) <= 3.3 here: 10x the gap covers it
// (measured 5.7x, rgb eta 1).
#include "core/api/sampling.h"
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/io/torch_file.h"
#include "tests/support/diffusion_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <string>

using namespace ds;

namespace {

constexpr double kStateTolerance = 4e-6;
constexpr double kCoefficientGapFactor = 10.0;
// A wrong seed or eta must miss by far more than the tolerance: the comparison tells them apart.
constexpr double kNegativeControlFactor = 100.0;

struct Trajectory {
    torch::Tensor xs;             // (n + 1, B, C, H, W): (x + 1) / 2 of x_T, then of each step's state
    torch::Tensor x0;             // (n, B, C, H, W): (x0 + 1) / 2 of each step's clipped x0
    torch::Tensor final;          // (B, C, H, W): (x + 1) / 2 of the returned sample, not clamped
    std::vector<int64_t> modelT;  // the timestep each step's x0 was predicted at
};

// One fixture model: its checkpoint and its reference file.
struct Fixture {
    std::string checkpoint;
    std::map<std::string, torch::Tensor> ref;
    diffusion::GaussianDiffusion model{nullptr};
};

int64_t intOf(const torch::Tensor& t) { return t.item<int64_t>(); }

// Max over DDIM steps of |sigma_f32 - sigma| + |c_f32 - c|: lucidrains' float32 coefficients
// (alpha, alpha_next 0-dim float32 tensors) against ours (double, from the same float32 values).
double upstreamCoefficientGap(diffusion::GaussianDiffusionImpl& m, int steps, double eta) {
    const auto ac = m.buffer("alphas_cumprod").to(torch::kCPU).contiguous();
    const float* a32 = ac.data_ptr<float>();
    double gap = 0.0;
    for (const auto& [t, tn] : m.ddimTimePairs(steps)) {
        if (tn < 0) continue;
        const float a = a32[t], an = a32[tn];
        const float sigma32 = static_cast<float>(eta) * std::sqrt((1.f - a / an) * (1.f - an) / (1.f - a));
        const float c32 = std::sqrt(1.f - an - sigma32 * sigma32);
        const double ad = a, and_ = an;
        const double sigma = eta * std::sqrt((1 - ad / and_) * (1 - and_) / (1 - ad));
        const double c = std::sqrt(1 - and_ - sigma * sigma);
        gap = std::max(gap, std::abs(sigma32 - sigma) + std::abs(c32 - c));
    }
    return gap;
}

// Max over steps of |x0 - reference| * sqrt(ab_t): the error with the 1/sqrt(ab_t) of the x0
// estimate taken out.
double scaledX0Error(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& x0, const torch::Tensor& want,
                     const std::vector<int64_t>& modelT) {
    const auto ac = m.buffer("alphas_cumprod").to(torch::kCPU, torch::kDouble);
    double worst = 0.0;
    for (int64_t i = 0; i < x0.size(0); ++i)
        worst = std::max(worst, test::maxAbsDiff(x0[i], want[i]) * std::sqrt(ac[modelT[size_t(i)]].item<double>()));
    return worst;
}

// (n + 1, B, ...) from the sampling job's (B, n + 1, ...).
torch::Tensor stepsFirst(const torch::Tensor& t) { return t.transpose(0, 1); }

}  // namespace

class TestSamplingNoise : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::map<std::string, Fixture> fixtures_;

    Fixture& fixture(const std::string& name) { return fixtures_.at(name); }

    static Trajectory run(diffusion::GaussianDiffusionImpl& m, const torch::Tensor& xT, bool ddpm, int steps,
                          double eta, uint64_t seed) {
        at::Generator gen = at::detail::createCPUGenerator(seed);
        std::vector<torch::Tensor> xs{m.unnormalize(xT)}, x0s;
        Trajectory out;
        const auto onStep = [&](const diffusion::DenoiseStep& s) {
            xs.push_back(m.unnormalize(s.x));
            x0s.push_back(m.unnormalize(s.x0));
            out.modelT.push_back(s.t);
        };
        const auto x = ddpm ? m.ddpmSample(xT, gen, onStep) : m.ddimSample(xT, steps, eta, gen, onStep);
        out.xs = torch::stack(xs);
        out.x0 = torch::stack(x0s);
        out.final = m.unnormalize(x);
        return out;
    }

    // Run `key` of fixture `name` from the stored x_T, with the given seed and eta.
    Trajectory runFixture(const std::string& name, const std::string& key, uint64_t seed, double eta) {
        auto& f = fixture(name);
        const bool ddpm = key == "ddpm";
        const int steps = ddpm ? 0 : static_cast<int>(intOf(f.ref.at(key + "_steps")));
        return run(*f.model, f.ref.at("x_T"), ddpm, steps, eta, seed);
    }

    double stateTolerance(const std::string& name, const std::string& key) {
        if (key == "ddpm") return kStateTolerance;
        const auto& ref = fixture(name).ref;
        return kStateTolerance + kCoefficientGapFactor * upstreamCoefficientGap(*fixture(name).model,
                                                                                int(intOf(ref.at(key + "_steps"))),
                                                                                ref.at(key + "_eta").item<double>());
    }

    api::SampleRequest request(const std::string& name) {
        api::SampleRequest r;
        r.checkpoint = fixture(name).checkpoint;
        r.imageSize = 16;  // lucidrains' checkpoints do not record it
        r.weights = api::Weights::Online;
        r.device = "cpu";
        r.num = 2;
        r.batchSize = 2;
        return r;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        torch::set_num_threads(1);
        const std::vector<std::pair<std::string, std::string>> models{
            {"ddpm_lucidrains_tiny", "ddpm_lucidrains_tiny/model-1.pt"},
            {"rgb_pred_noise_cosine", "lucidrains_variants/rgb_pred_noise_cosine.pt"}};
        for (const auto& [name, checkpoint] : models) {
            Fixture f;
            f.checkpoint = test::fixturePath(checkpoint);
            f.ref = test::loadReferenceTensors(test::fixturePath("sampling_noise/" + name + ".pt"));
            checkpoint::ModelBuildOptions o;
            o.weights = api::Weights::Online;  // the fixture samples with the online weights, not the EMA copy
            o.imageSize = 16;
            f.model = checkpoint::buildDiffusionModel(checkpoint::readDiffusionCheckpoint(f.checkpoint), o);
            fixtures_[name] = std::move(f);
        }
    }

    // The first noise draw of every loop is torch.randn on torch.manual_seed(S): the generator
    // and randn are LibTorch's own (exact with the same kernels; see the tolerances above).
    void firstDrawIsTorchManualSeed_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        for (const char* key : {"ddpm", "ddim_eta0.5", "ddim_eta1", "ddim25_eta1"})
            QTest::newRow(key) << "ddpm_lucidrains_tiny" << key;
        for (const char* key : {"ddpm", "ddim_eta0.5", "ddim_eta1"})
            QTest::newRow(qPrintable(QString("rgb ") + key)) << "rgb_pred_noise_cosine" << key;
    }
    void firstDrawIsTorchManualSeed() {
        QFETCH(QString, name);
        QFETCH(QString, key);
        const auto& ref = fixture(name.toStdString()).ref;
        const std::string k = key.toStdString();
        at::Generator gen = at::detail::createCPUGenerator(intOf(ref.at(k + "_seed")));
        const auto noise = torch::randn(ref.at("x_T").sizes(), gen);
        DS_CHECK_TOLERANCE(name.toStdString() + "/" + k + "/noise0", test::maxAbsDiff(noise, ref.at(k + "_noise0")),
                           test::randnTolerance(ref.at(k + "_noise0")));
    }

    void loopsMatchLucidrains_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        for (const char* key : {"ddpm", "ddim_eta0.5", "ddim_eta1", "ddim25_eta1"})
            QTest::newRow(key) << "ddpm_lucidrains_tiny" << key;
        for (const char* key : {"ddpm", "ddim_eta0.5", "ddim_eta1"})
            QTest::newRow(qPrintable(QString("rgb ") + key)) << "rgb_pred_noise_cosine" << key;
    }
    void loopsMatchLucidrains() {
        QFETCH(QString, name);
        QFETCH(QString, key);
        c10::InferenceMode guard;
        const std::string n = name.toStdString(), k = key.toStdString(), tag = n + "/" + k;
        const auto& ref = fixture(n).ref;
        const double eta = k == "ddpm" ? 1.0 : ref.at(k + "_eta").item<double>();
        const auto got = runFixture(n, k, intOf(ref.at(k + "_seed")), eta);
        QCOMPARE(got.xs.sizes(), ref.at(k + "_xs").sizes());
        QCOMPARE(got.x0.sizes(), ref.at(k + "_x0").sizes());
        const double tol = stateTolerance(n, k);
        DS_CHECK_TOLERANCE(tag + "/xs", test::maxAbsDiff(got.xs, ref.at(k + "_xs")), tol);
        DS_CHECK_TOLERANCE(tag + "/x0_times_sqrt_ab",
                           scaledX0Error(*fixture(n).model, got.x0, ref.at(k + "_x0"), got.modelT), tol);
        DS_CHECK_TOLERANCE(tag + "/final", test::maxAbsDiff(got.final, ref.at(k + "_final")), tol);
    }

    // The same comparisons fail by far for a wrong seed (other noise) and a wrong eta.
    void wrongSeedOrEtaFailsByFar() {
        c10::InferenceMode guard;
        const std::string n = "ddpm_lucidrains_tiny";
        const auto& ref = fixture(n).ref;
        const auto seedOf = [&](const std::string& k) { return uint64_t(intOf(ref.at(k + "_seed"))); };
        const auto seed = runFixture(n, "ddim_eta1", seedOf("ddim_eta1") + 1, 1.0);
        DS_CHECK_NEGATIVE_CONTROL(n + "/ddim_eta1/xs with seed + 1", test::maxAbsDiff(seed.xs, ref.at("ddim_eta1_xs")),
                                  stateTolerance(n, "ddim_eta1"), kNegativeControlFactor);
        const auto eta = runFixture(n, "ddim_eta1", seedOf("ddim_eta1"), 0.5);
        DS_CHECK_NEGATIVE_CONTROL(n + "/ddim_eta1/xs with eta 0.5", test::maxAbsDiff(eta.xs, ref.at("ddim_eta1_xs")),
                                  stateTolerance(n, "ddim_eta1"), kNegativeControlFactor);
        const std::string r = "rgb_pred_noise_cosine";
        const auto rgb = runFixture(r, "ddim_eta0.5", seedOf("ddim_eta1") + 7, 0.5);
        DS_CHECK_NEGATIVE_CONTROL(r + "/ddim_eta0.5/xs with another seed",
                                  test::maxAbsDiff(rgb.xs, fixture(r).ref.at("ddim_eta0.5_xs")),
                                  stateTolerance(r, "ddim_eta0.5"), kNegativeControlFactor);
    }

    // The sampling job (what `diffusion-studio-cli sample --init-noise x_T.pt --seed S
    // --save-tensors` runs): x_T read from a PyTorch file, then the same loop on the same seed.
    // (Its DDPM branch runs below, with x_T from the seed.)
    void samplingJobWithInitNoiseFile_data() {
        QTest::addColumn<QString>("key");
        QTest::newRow("ddim eta 1") << "ddim_eta1";
    }
    void samplingJobWithInitNoiseFile() {
        QFETCH(QString, key);
        const std::string n = "ddpm_lucidrains_tiny", k = key.toStdString(), tag = n + "/job_init_noise/" + k;
        const auto& ref = fixture(n).ref;
        const std::string noise = dir_.filePath(QString("x_T_%1.pt").arg(key)).toStdString();
        io::saveTorchFile(noise, io::PyValue::tensor(ref.at("x_T")));
        auto r = request(n);
        r.initNoisePath = noise;
        r.seed = uint64_t(intOf(ref.at(k + "_seed")));
        r.sampler = k == "ddpm" ? api::DiffusionSampler::Ddpm : api::DiffusionSampler::Ddim;
        if (k != "ddpm") {
            r.steps = int(intOf(ref.at(k + "_steps")));
            r.eta = ref.at(k + "_eta").item<double>();
        }
        r.saveTensorsPath = dir_.filePath(QString("tensors_%1.pt").arg(key)).toStdString();
        api::JobSink quiet;
        StopToken stop;
        const auto result = api::runSampling(r, quiet, stop);
        QCOMPARE(result.images, 2);
        const auto out = test::loadReferenceTensors(r.saveTensorsPath);
        const double tol = stateTolerance(n, k);
        DS_CHECK_TOLERANCE(tag + "/xs", test::maxAbsDiff(stepsFirst(out.at("xs")), ref.at(k + "_xs")), tol);
        std::vector<int64_t> modelT;
        auto& m = *fixture(n).model;
        if (k == "ddpm")
            for (int64_t t = m.numTimesteps() - 1; t >= 0; --t) modelT.push_back(t);
        else
            for (const auto& pair : m.ddimTimePairs(r.steps)) modelT.push_back(pair.first);
        DS_CHECK_TOLERANCE(tag + "/x0_times_sqrt_ab", scaledX0Error(m, out.at("x0_preds"), ref.at(k + "_x0"), modelT),
                           tol);
        DS_CHECK_TOLERANCE(tag + "/samples", test::maxAbsDiff(out.at("samples"), ref.at(k + "_final").clamp(0, 1)),
                           tol);
    }

    // lucidrains' public entry point, torch.manual_seed(S); gd.sample(batch_size=2): x_T is the
    // seeded generator's first draw (our jobs::initialNoise), the step noise follows on it.
    void samplingJobDrawsXtFromTheSeed_data() {
        QTest::addColumn<QString>("key");
        QTest::newRow("ddpm") << "sample_ddpm";
        QTest::newRow("ddim eta 1") << "sample_ddim_eta1";
    }
    void samplingJobDrawsXtFromTheSeed() {
        QFETCH(QString, key);
        const std::string n = "ddpm_lucidrains_tiny", k = key.toStdString(), tag = n + "/job_seed/" + k;
        const auto& ref = fixture(n).ref;
        auto& m = *fixture(n).model;
        auto r = request(n);
        r.seed = uint64_t(intOf(ref.at(k + "_seed")));
        const bool ddpm = k == "sample_ddpm";
        r.sampler = ddpm ? api::DiffusionSampler::Ddpm : api::DiffusionSampler::Ddim;
        r.steps = int(intOf(ref.at(k + "_steps")));
        if (!ddpm) r.eta = ref.at(k + "_eta").item<double>();
        r.saveTensorsPath = dir_.filePath(QString("tensors_%1.pt").arg(key)).toStdString();
        api::JobSink quiet;
        StopToken stop;
        api::runSampling(r, quiet, stop);
        const auto out = test::loadReferenceTensors(r.saveTensorsPath);
        const auto xs = stepsFirst(out.at("xs"));
        QCOMPARE(xs.size(0), r.steps + 1);
        // x_T is randn from the seed, the same draw ((x + 1) / 2 halves the ulps).
        DS_CHECK_TOLERANCE(tag + "/x_T", test::maxAbsDiff(xs[0], m.unnormalize(ref.at(k + "_x_T"))),
                           test::randnTolerance(ref.at(k + "_x_T")));
        const double tol = ddpm ? kStateTolerance
                                : kStateTolerance + kCoefficientGapFactor * upstreamCoefficientGap(m, r.steps, r.eta);
        DS_CHECK_TOLERANCE(tag + "/final", test::maxAbsDiff(xs[r.steps], ref.at(k + "_final")), tol);
        DS_CHECK_TOLERANCE(tag + "/samples", test::maxAbsDiff(out.at("samples"), ref.at(k + "_final").clamp(0, 1)),
                           tol);
    }
};

QTEST_APPLESS_MAIN(TestSamplingNoise)
#include "test_sampling_noise.moc"
