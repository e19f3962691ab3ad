// SPDX-License-Identifier: GPL-3.0-or-later
// Precision/recall (torch-fidelity's metric_prc.py) and density/coverage (clovaai's prdc.py)
// against the packages' own outputs (tests/fixtures/prdc, written by
// tests/tools/make_prdc_fixtures.py), their properties (a set against itself, a shifted set),
// errors, cancelling, and (DS_PRDC_BENCH=1) the time of 10,000 x 10,000 x 2048.
//
// Tolerances. A metric is a count over N (or M, or k N): once the counts are equal the values
// differ only by how they are rounded, torch-fidelity's precision and recall being float32
// means (`.float().mean().item()`: 6e-8 relative) and its f_score formed from those. So every
// value is held to 1e-6 and every count to 0 (exact). Counts are exact because the fixtures
// keep every distance at least 1e-5 (relative) away from each radius it is compared with
// (the generator redraws a case until they do, and checks both packages' counts against float64
// distances of differences), while our distances and the packages' differ by float rounding,
// ~1e-7 relative (OpenBLAS's sgemm rounds with its thread count and the matrix shapes, so even
// torch-fidelity is not bit-reproducible). A distance within rounding of a radius would decide
// its comparison by rounding, in the packages as here; the `ties` case keeps such ties exact
// instead (small integers: every sum is exact), where torch-fidelity's <= and clovaai's < must
// give their different counts. The radii themselves: see kRadiusTol.
#include "core/api/prdc.h"
#include "core/fid/npz_file.h"
#include "core/fid/prdc.h"
#include "core/util/blas_threads.h"
#include "core/util/error.h"
#include "core/util/thread_config.h"
#include "tests/support/error_text.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <ATen/Parallel.h>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <tuple>

using namespace ds;

namespace {

const std::string kFixture = test::fixturePath("prdc/reference.npz");
constexpr double kValueTol = 1e-6;
// The product formula |x|^2 + |y|^2 - 2 x.y loses digits as |x|^2 / d^2: radii agree to 1e-7
// relative where the features' norms are about the distances (basic, duplicates) and to 2.4e-6
// in the tight `unequal` cluster (|x|^2 / d^2 ~ 10).
constexpr double kRadiusTol = 1e-5;

struct Case {
    torch::Tensor generated, real;
};

Case loadCase(const fid::NpzFile& npz, const std::string& tag) {
    const bool f64 = tag.size() > 4 && tag.compare(tag.size() - 4, 4, "_f64") == 0;
    const std::string name = f64 ? tag.substr(0, tag.size() - 4) : tag;
    auto g = npz.array(name + "_generated"), r = npz.array(name + "_real");
    if (f64) return {g.to(torch::kDouble), r.to(torch::kDouble)};
    return {g, r};
}

double scalar(const fid::NpzFile& npz, const std::string& key) { return npz.array(key).item<double>(); }
int64_t count(const fid::NpzFile& npz, const std::string& key) { return npz.array(key).item<int64_t>(); }

double maxRelativeDiff(const torch::Tensor& a, const torch::Tensor& b) {
    const auto x = a.to(torch::kDouble), y = b.to(torch::kDouble);
    return ((x - y).abs() / y.abs().clamp_min(1e-30)).max().item<double>();
}

// Distances from differences, in float64: exact to ~1e-16.
torch::Tensor exactDistances(const torch::Tensor& a, const torch::Tensor& b) {
    const auto x = a.to(torch::kDouble), y = b.to(torch::kDouble);
    return (x.unsqueeze(1) - y.unsqueeze(0)).pow(2).sum(-1).sqrt();
}

class RecordingSink : public api::JobSink {
public:
    void onProgress(const api::JobProgress& p) override {
        last = p;
        ++calls;
    }
    api::JobProgress last;
    int calls = 0;
};

}  // namespace

class TestPrdc : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesTheReferences_data() {
        QTest::addColumn<QString>("tag");
        QTest::addColumn<int>("k");
        QTest::addColumn<qint64>("batch");
        for (const char* tag : {"basic", "basic_f64", "duplicates", "unequal", "ties"})
            for (const int k : {3, 5})
                // 10000: torch-fidelity's default (one block); 97 and 26: blocks over 25 rows
                // (the matrix-product formula), ragged at the ends; 7: blocks of at most 25 rows
                // on both sides, where torch.cdist takes its direct formula.
                for (const qint64 batch : {10000, 97, 26, 7}) {
                    if (batch == 7 && std::string(tag) != "basic" && std::string(tag) != "ties") continue;
                    QTest::addRow("%s k=%d batch=%lld", tag, k, static_cast<long long>(batch)) << tag << k << batch;
                }
    }
    void matchesTheReferences() {
        QFETCH(QString, tag);
        QFETCH(int, k);
        QFETCH(qint64, batch);
        const fid::NpzFile npz(kFixture);
        const std::string t = tag.toStdString(), ks = "_k" + std::to_string(k) + "_";
        const auto c = loadCase(npz, t);
        const double n = double(c.generated.size(0)), m = double(c.real.size(0));
        const std::string name = "prdc/" + t + ks + "b" + std::to_string(batch) + "/";
        // Each check names the package's key: <case>_<tf|prdc>_k<k>_<metric> (and _count_).
        const auto checkCount = [&](const std::string& metric, int64_t ours) {
            const int64_t reference = count(npz, t + "_count" + ks + metric);
            DS_CHECK_TOLERANCE(name + metric + "_count", double(std::abs(ours - reference)), 0);
        };
        const auto checkValue = [&](const std::string& package, const std::string& metric, double ours) {
            DS_CHECK_TOLERANCE(name + package + "_" + metric,
                               std::abs(ours - scalar(npz, t + "_" + package + ks + metric)), kValueTol);
        };
        const auto checkRadii = [&](const std::string& package, const std::string& side, const torch::Tensor& ours) {
            const auto reference = npz.array(t + "_" + package + ks + "radii_" + side);
            QCOMPARE(ours.scalar_type(), reference.scalar_type());
            DS_CHECK_TOLERANCE(name + package + "_radii_" + side, maxRelativeDiff(ours, reference), kRadiusTol);
        };

        const auto tf = fid::torchFidelityPrecisionRecall(c.generated, c.real, k, batch);
        checkCount("tf_precision", tf.precisionCount);
        checkCount("tf_recall", tf.recallCount);
        checkValue("tf", "precision", tf.precisionCount / n);
        checkValue("tf", "recall", tf.recallCount / m);
        checkRadii("tf", "generated", tf.radiiGenerated);
        checkRadii("tf", "real", tf.radiiReal);

        const auto pr = fid::clovaaiPrdc(c.generated, c.real, k, batch);
        checkCount("prdc_precision", pr.precisionCount);
        checkCount("prdc_recall", pr.recallCount);
        checkCount("prdc_density", pr.densityCount);
        checkCount("prdc_coverage", pr.coverageCount);
        checkValue("prdc", "precision", pr.precisionCount / n);
        checkValue("prdc", "recall", pr.recallCount / m);
        checkValue("prdc", "density", (1.0 / k) * (pr.densityCount / n));
        checkValue("prdc", "coverage", pr.coverageCount / m);
        checkRadii("prdc", "generated", pr.radiiGenerated);
        checkRadii("prdc", "real", pr.radiiReal);
    }

    // The whole computation, torch-fidelity's k = 3 and clovaai's k = 5, as the FID job and the
    // torch-free API give it.
    void defaultsAreTorchFidelitysAndClovaais() {
        const fid::NpzFile npz(kFixture);
        const auto c = loadCase(npz, "basic");
        const auto r = fid::precisionRecallDensityCoverage(c.generated, c.real);
        QCOMPARE(r.generatedCount, int64_t(300));
        QCOMPARE(r.realCount, int64_t(250));
        QCOMPARE(r.dims, 64);
        QCOMPARE(r.neighbourhood, 3);
        QCOMPARE(r.nearestK, 5);
        QVERIFY(r.hasDensityCoverage);
        using Row = std::tuple<const char*, double, const char*>;
        for (const auto& [metric, ours, key] : {Row{"precision", r.precision, "tf_k3_precision"},
                                                {"recall", r.recall, "tf_k3_recall"},
                                                {"f_score", r.fScore, "tf_k3_f_score"},
                                                {"density", r.density, "prdc_k5_density"},
                                                {"coverage", r.coverage, "prdc_k5_coverage"},
                                                {"prdc_precision", r.prdcPrecision, "prdc_k5_precision"},
                                                {"prdc_recall", r.prdcRecall, "prdc_k5_recall"}})
            DS_CHECK_TOLERANCE(std::string("prdc/api/") + metric,
                               std::abs(ours - scalar(npz, std::string("basic_") + key)), kValueTol);

        // The same through core/api, on borrowed float32 rows, with progress in distances.
        RecordingSink sink;
        StopToken stop;
        const auto g = c.generated.contiguous(), re = c.real.contiguous();
        api::PrdcOptions options;
        options.batchSize = 100;
        const auto viaApi =
            api::computePrdc({g.data_ptr<float>(), 300, 64}, {re.data_ptr<float>(), 250, 64}, options, sink, stop);
        QCOMPARE(viaApi.precisionCount, r.precisionCount);
        QCOMPARE(viaApi.recallCount, r.recallCount);
        QCOMPARE(viaApi.densityCount, r.densityCount);
        QCOMPARE(viaApi.coverageCount, r.coverageCount);
        const int64_t distances = 2 * (300 * 300 + 250 * 250 + 300 * 250);
        QCOMPARE(sink.last.total, distances);
        QCOMPARE(sink.last.done, distances);
        QCOMPARE(sink.last.unit, std::string("distances"));
        QCOMPARE(sink.calls, 1 + 2 * (9 + 9 + 9));  // the start, then every 100 x 100 block

        options.densityCoverage = false;
        const auto prOnly =
            api::computePrdc({g.data_ptr<float>(), 300, 64}, {re.data_ptr<float>(), 250, 64}, options, sink, stop);
        QVERIFY(!prOnly.hasDensityCoverage);
        QCOMPARE(prOnly.precision, r.precision);
        QCOMPARE(prOnly.density, 0.0);
    }

    // On exact ties torch-fidelity's <= and clovaai's < differ, at the same k: the comparison
    // operators are not interchangeable.
    void tiesTellLessOrEqualFromLess() {
        const fid::NpzFile npz(kFixture);
        const auto c = loadCase(npz, "ties");
        const auto tf = fid::torchFidelityPrecisionRecall(c.generated, c.real, 3, 10000);
        const auto pr = fid::clovaaiPrdc(c.generated, c.real, 3, 10000);
        QCOMPARE(tf.radiiReal.equal(pr.radiiReal), true);  // exact arithmetic: the same radii
        QVERIFY2(tf.precisionCount > pr.precisionCount,
                 qPrintable(QString("%1 vs %2").arg(tf.precisionCount).arg(pr.precisionCount)));
        QVERIFY(tf.recallCount > pr.recallCount);
    }

    // A set against itself: every point lies in its own ball. Against a shifted copy the metrics
    // fall (the negative control: the test can tell a good generator from a bad one).
    void selfIsOneShiftedIsLower() {
        const fid::NpzFile npz(kFixture);
        const auto real = loadCase(npz, "basic").real;
        const auto self = fid::precisionRecallDensityCoverage(real, real);
        DS_CHECK_TOLERANCE("prdc/self/precision", std::abs(self.precision - 1), 0);
        DS_CHECK_TOLERANCE("prdc/self/recall", std::abs(self.recall - 1), 0);
        DS_CHECK_TOLERANCE("prdc/self/coverage", std::abs(self.coverage - 1), 0);
        DS_CHECK_TOLERANCE("prdc/self/prdc_precision", std::abs(self.prdcPrecision - 1), 0);
        DS_CHECK_TOLERANCE("prdc/self/prdc_recall", std::abs(self.prdcRecall - 1), 0);
        // Strictly inside each real ball: its centre and the k - 1 nearer neighbours (the k-th
        // sits on the boundary: the same distance, formed the same way in both matrices), so a
        // set against itself has density k M / (k N) = 1 exactly.
        QCOMPARE(self.densityCount, int64_t(5 * 250));
        QCOMPARE(self.density, 1.0);

        // Shifted by 0.5 in every feature (|shift| = 4, against k-NN radii of about 8 in 64
        // dimensions): every shifted point still lies in some ball, so precision, recall and
        // coverage stay 1, but fewer balls hold each one: density, which counts them, falls.
        const auto near = fid::precisionRecallDensityCoverage(real + 0.5, real);
        QCOMPARE(near.precision, 1.0);
        DS_CHECK_NEGATIVE_CONTROL("prdc/shifted_0.5/density", 1 - near.density, 1e-6, 1e5);
        // Shifted by 1.5 (|shift| = 12, beyond the radii): all four collapse.
        const auto far = fid::precisionRecallDensityCoverage(real + 1.5, real);
        for (const auto& [metric, value] : {std::pair<const char*, double>{"precision", far.precision},
                                            {"recall", far.recall},
                                            {"density", far.density},
                                            {"coverage", far.coverage}}) {
            DS_CHECK_NEGATIVE_CONTROL(std::string("prdc/shifted_1.5/") + metric, 1 - value, 1e-6, 9e5);
        }
    }

    // Our blocks against torch.cdist (the same formula; the product rounds with the matrix
    // shapes) and against float64 distances of differences.
    void distanceBlocksAgree() {
        const fid::NpzFile npz(kFixture);
        const auto c = loadCase(npz, "basic");
        const auto exact = exactDistances(c.real, c.generated);
        const auto tf = fid::torchFidelityDistances(c.real, c.generated);
        QCOMPARE(tf.scalar_type(), torch::kFloat);
        DS_CHECK_TOLERANCE("prdc/distances/tf_vs_cdist", maxRelativeDiff(tf, torch::cdist(c.real, c.generated)), 1e-6);
        DS_CHECK_TOLERANCE("prdc/distances/tf_vs_exact", maxRelativeDiff(tf, exact), 1e-6);
        const auto pr = fid::clovaaiDistances(c.real, c.generated);
        QCOMPARE(pr.scalar_type(), torch::kFloat);
        // float64 products rounded once to float32, then a float32 square root: within 2 ulps.
        DS_CHECK_TOLERANCE("prdc/distances/prdc_vs_exact", maxRelativeDiff(pr, exact), 2.5e-7);
        const auto pr64 = fid::clovaaiDistances(c.real.to(torch::kDouble), c.generated.to(torch::kDouble));
        DS_CHECK_TOLERANCE("prdc/distances/prdc_f64_vs_exact", maxRelativeDiff(pr64, exact), 1e-12);
        // A set against itself: sklearn's zero diagonal, wherever it falls in the block.
        const auto self = fid::clovaaiDistances(c.real.slice(0, 10, 40), c.real.slice(0, 0, 50), 10);
        QCOMPARE(self.diagonal(10).abs().max().item<double>(), 0.0);
        QVERIFY(self.diagonal(0).min().item<double>() > 1.0);
        // The direct formula of small blocks.
        const auto small = fid::torchFidelityDistances(c.real.slice(0, 0, 20), c.generated.slice(0, 0, 25));
        QCOMPARE(small.equal(torch::cdist(c.real.slice(0, 0, 20), c.generated.slice(0, 0, 25))), true);
    }

    void rejectsBadInput() {
        const auto a = torch::randn({10, 8}), b = torch::randn({12, 8});
        QVERIFY(test::errorOf([&] {
                    fid::precisionRecallDensityCoverage(a, torch::randn({12, 9}));
                }).contains("different dimensions (8 and 9)"));
        const auto few = test::errorOf([&] { fid::precisionRecallDensityCoverage(a, b.slice(0, 0, 5)); });
        QVERIFY2(few.contains("k = 5") && few.contains("at least 6") && few.contains("5 real"), qPrintable(few));
        api::PrdcOptions options;
        options.densityCoverage = false;  // k = 3 alone: 5 rows are enough
        QCOMPARE(fid::precisionRecallDensityCoverage(a, b.slice(0, 0, 5), options).realCount, int64_t(5));
        auto nan = b.clone();
        nan[3][2] = NAN;
        QVERIFY(test::errorOf([&] { fid::precisionRecallDensityCoverage(a, nan); }).contains("NaN"));
        options.neighbourhood = 0;
        QVERIFY(test::errorOf([&] { fid::precisionRecallDensityCoverage(a, b, options); }).contains("at least 1"));
        QVERIFY(test::errorOf([&] { fid::precisionRecallDensityCoverage(a[0], b); }).contains("feature matrices"));
        RecordingSink sink;
        StopToken stop;
        QVERIFY(test::errorOf([&] {
                    api::computePrdc({nullptr, 0, 8}, {b.data_ptr<float>(), 12, 8}, {}, sink, stop);
                }).contains("no generated features"));
    }

    void stops() {
        const auto a = torch::randn({60, 8}), b = torch::randn({70, 8});
        StopToken stop;
        int calls = 0;
        const auto progress = [&](int64_t done, int64_t) {
            if (done > 0 && ++calls == 2) stop.requestStop();
        };
        api::PrdcOptions options;
        options.batchSize = 10;
        QVERIFY_THROWS_EXCEPTION(Cancelled, fid::precisionRecallDensityCoverage(a, b, options, progress, &stop));
        QCOMPARE(calls, 2);
    }

    // Blocks over 512 rows are formed in chunks of rows, spread over LibTorch's threads when
    // OpenBLAS runs on the calling thread (the app's and CLI's setting), else in turn with
    // OpenBLAS's own threads. Small integer coordinates make every sum exact, whatever the
    // order: both ways must then give the counts of exact distances, ties included.
    void chunksOnThreadsAgree() {
        torch::manual_seed(7);
        const auto g = torch::randint(-2, 5, {1100, 8}).to(torch::kFloat);
        const auto r = torch::randint(-3, 4, {1300, 8}).to(torch::kFloat);
        const auto exact = [&](const torch::Tensor& a, const torch::Tensor& b) { return exactDistances(a, b); };
        const auto d = exact(r, g);
        const auto radii = [&](const torch::Tensor& set, int k) {
            return std::get<0>(exact(set, set).kthvalue(k + 1, 1));
        };
        const auto rr3 = radii(r, 3).unsqueeze(1), rg3 = radii(g, 3).unsqueeze(0);
        const auto rr5 = radii(r, 5), rg5 = radii(g, 5).unsqueeze(0);
        const auto countOf = [](const torch::Tensor& t) { return t.sum().item<int64_t>(); };

        const auto check = [&](const char* how) {
            const auto result = fid::precisionRecallDensityCoverage(g, r);
            const std::string name = std::string("prdc/chunks_") + how + "/";
            DS_CHECK_TOLERANCE(name + "tf_precision_count",
                               double(std::abs(result.precisionCount - countOf(d.le(rr3).any(0)))), 0);
            DS_CHECK_TOLERANCE(name + "tf_recall_count",
                               double(std::abs(result.recallCount - countOf(d.le(rg3).any(1)))), 0);
            const auto inside = d.lt(rr5.unsqueeze(1));
            DS_CHECK_TOLERANCE(name + "prdc_precision_count",
                               double(std::abs(result.prdcPrecisionCount - countOf(inside.any(0)))), 0);
            DS_CHECK_TOLERANCE(name + "prdc_recall_count",
                               double(std::abs(result.prdcRecallCount - countOf(d.lt(rg5).any(1)))), 0);
            DS_CHECK_TOLERANCE(name + "prdc_density_count", double(std::abs(result.densityCount - countOf(inside))), 0);
            DS_CHECK_TOLERANCE(name + "prdc_coverage_count",
                               double(std::abs(result.coverageCount - countOf(std::get<0>(d.min(1)).lt(rr5)))), 0);
            // Ties abound (integer squared distances): at the same k, < would have counted fewer.
            QVERIFY(result.precisionCount > countOf(d.lt(rr3).any(0)));
            QVERIFY(result.recallCount > countOf(d.lt(rg3).any(1)));
            const auto tf = fid::torchFidelityPrecisionRecall(g, r, 3, 10000);
            QCOMPARE(tf.radiiReal.equal(std::get<0>(exact(r, r).kthvalue(4, 1)).to(torch::kFloat)), true);
        };
        check("in_turn");  // this test process: LibTorch on one thread, OpenBLAS on its own
        const int previous = at::get_num_threads();
        at::set_num_threads(2);
        keepBlasOnCallingThread();  // from here on OpenBLAS stays on the calling thread
        QVERIFY(openBlasThreads() <= 1);
        check("on_threads");
        at::set_num_threads(previous);
    }

    // DS_PRDC_BENCH=1: 10,000 generated and 10,000 real 2048-d features (Inception-like:
    // non-negative), both packages, as the CLI runs it (LibTorch on every core, OpenBLAS on the
    // calling thread). Prints the seconds of each part. DS_PRDC_BENCH_N and DS_PRDC_BENCH_DIMS
    // change the sizes; past QtTest's 5 minutes per function, raise QTEST_FUNCTION_TIMEOUT (ms).
    void benchmark10000() {
        if (!std::getenv("DS_PRDC_BENCH")) QSKIP("set DS_PRDC_BENCH=1 to time 10,000 x 10,000 x 2048");
        const auto setting = [](const char* name, int64_t fallback) {
            return std::getenv(name) ? std::atoll(std::getenv(name)) : fallback;
        };
        const int64_t n = setting("DS_PRDC_BENCH_N", 10000), dims = setting("DS_PRDC_BENCH_DIMS", 2048);
        const int threads = configureThreads(0);
        torch::manual_seed(0);
        const auto g = torch::randn({n, dims}).abs_().mul_(0.4);
        const auto r = torch::randn({n, dims}).abs_().mul_(0.4).add_(0.01);
        const auto time = [](const auto& fn) {
            const auto start = std::chrono::steady_clock::now();
            fn();
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        };
        fid::TorchFidelityPrc tf;
        fid::ClovaaiPrdc pr;
        const double tfSeconds = time([&] { tf = fid::torchFidelityPrecisionRecall(g, r, 3, 10000); });
        const double prSeconds = time([&] { pr = fid::clovaaiPrdc(g, r, 5, 10000); });
        qInfo(
            "prdc bench: %lld x %lld x %lld, %d threads: torch-fidelity P/R %.1f s (P %.4f R %.4f), "
            "clovaai PRDC %.1f s (D %.4f C %.4f), total %.1f s",
            static_cast<long long>(n), static_cast<long long>(n), static_cast<long long>(dims), threads, tfSeconds,
            double(tf.precisionCount) / n, double(tf.recallCount) / n, prSeconds, pr.densityCount / 5.0 / n,
            double(pr.coverageCount) / n, tfSeconds + prSeconds);
    }
};

QTEST_GUILESS_MAIN(TestPrdc)
#include "test_prdc.moc"
