// SPDX-License-Identifier: GPL-3.0-or-later
// torchcfm's class-conditional UNetModel (UNetModel(..., num_classes, class_cond=True), as its
// examples/images/conditional_mnist.ipynb trains and samples it; tests/fixtures/
// torchcfm_conditional, made by tests/tools/make_torchcfm_conditional_fixtures.py from torchcfm's
// own code): the checkpoints open with their class count, the conditional velocity of both
// weight sets matches (label_emb added to the time MLP's output), and the notebook's dopri5
// sample (atol = rtol = 1e-4, the whole batch one state) takes the same steps (NFE and accepted
// steps exactly) to the same images; a 4-step Euler run through the CLI with --classes. Then the
// errors: no labels, labels out of range, guidance without a null class.
//
// Tolerances: the velocity is float32 with a few hundred accumulated products per output: 1e-5
// of its magnitude (measured up to 2.7e-6 relative over the kernel matrix, docs/testing.md). dopri5
// integrates that field over [0, 1] in 3 steps: the sample is a combination of its 20
// evaluations, each within that bound: NFE x 1e-5 of the sample's magnitude. Euler's 4 steps
// through the CLI: 1e-4, as the unconditional flows' parity (test_torchcfm_parity).
#include "core/checkpoint/flow_checkpoint.h"
#include "core/flow/ode_solver.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"
#include "tests/support/cli_runner.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ds;

namespace {

std::string fixture(const std::string& name) { return test::fixturePath("torchcfm_conditional/" + name); }

// What torchcfm built each model with that its file does not record.
checkpoint::FlowBuildOptions optionsOf(const std::string& model, const std::string& weights) {
    checkpoint::FlowBuildOptions o;
    o.weights = *api::parseWeights(weights);
    if (model == "mnist_notebook") {
        o.heads = 1;  // the wrapper's num_heads=1, num_head_channels=-1
    } else {
        o.heads = 2;
        o.attentionOrder = "new";
    }
    return o;
}

double magnitude(const torch::Tensor& t) { return std::max(1.0, t.abs().max().item<double>()); }

constexpr double kSolverTolerance = 1e-4;

}  // namespace

class TestTorchCfmConditional : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void velocityMatches_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("weights");
        for (const char* m : {"mnist_notebook", "rgb16_options"})
            for (const char* w : {"online", "ema"}) QTest::newRow((std::string(m) + " " + w).c_str()) << m << w;
    }

    void velocityMatches() {
        QFETCH(QString, model);
        QFETCH(QString, weights);
        const std::string m = model.toStdString(), w = weights.toStdString(), p = w == "ema" ? "ema_" : "net_";
        const auto ck = checkpoint::readFlowCheckpoint(fixture(m + ".pt"));
        QVERIFY(ck.network.backbone() == flow::Backbone::TorchCfm);
        QCOMPARE(ck.numClasses(), m == "mnist_notebook" ? 10 : 4);
        const auto net = checkpoint::buildVelocityNetwork(ck, optionsOf(m, w));
        QCOMPARE(net.numClasses(), ck.numClasses());
        const auto ref = test::loadReferenceTensors(fixture(m + ".reference.pt"));
        c10::InferenceMode guard;
        const auto &x = ref.at("x"), &t = ref.at("t");
        const auto v = net.forward(x, t, ref.at("y"));
        DS_CHECK_TOLERANCE(m + "/" + p + "v", test::maxAbsDiff(v, ref.at(p + "v")), 1e-5 * magnitude(ref.at(p + "v")));
        const auto alt = net.forward(x, t, ref.at("y_alt"));
        DS_CHECK_TOLERANCE(m + "/" + p + "v_alt", test::maxAbsDiff(alt, ref.at(p + "v_alt")),
                           1e-5 * magnitude(ref.at(p + "v_alt")));
        // The label matters (rows 0, 1, 3 have new labels).
        DS_CHECK_NEGATIVE_CONTROL(m + "/" + p + "v_with_other_labels", test::maxAbsDiff(alt, ref.at(p + "v")),
                                  1e-5 * magnitude(ref.at(p + "v")), 10);
        if (w == "ema") {
            const auto scalar = net.forward(x, ref.at("t_scalar").expand({x.size(0)}), ref.at("y"));
            DS_CHECK_TOLERANCE(m + "/ema_v_scalar_t", test::maxAbsDiff(scalar, ref.at("ema_v_scalar_t")),
                               1e-5 * magnitude(ref.at("ema_v_scalar_t")));
            const auto all = net.forward(ref.at("x_all_labels"), ref.at("t_all_labels"), ref.at("y_all_labels"));
            DS_CHECK_TOLERANCE(m + "/ema_v_all_labels", test::maxAbsDiff(all, ref.at("ema_v_all_labels")),
                               1e-5 * magnitude(ref.at("ema_v_all_labels")));
        }
        // Upstream's assertions, as errors: no labels, labels out of range.
        QVERIFY_THROWS_EXCEPTION(Error, net.forward(x, t));
        QVERIFY_THROWS_EXCEPTION(std::exception, net.forward(x, t, torch::full({x.size(0)}, int64_t(ck.numClasses()))));
    }

    // The notebook's call on the EMA weights (10 images, one per class) and both rgb16 runs. The
    // fixture's batch of 100 on the online weights (the notebook's exact grid) costs a minute of
    // one quiet core (attention over 784 tokens, 20 evaluations of 100 images) and several under
    // load; it checks nothing the batch of 10 does not (the same protocol, step sizes from the
    // whole batch's RMS error), so the suite leaves it to the fixture.
    void dopri5TakesTheNotebooksSteps_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("weights");
        QTest::newRow("mnist_notebook ema") << "mnist_notebook"
                                            << "ema";
        QTest::newRow("rgb16_options online") << "rgb16_options"
                                              << "online";
        QTest::newRow("rgb16_options ema") << "rgb16_options"
                                           << "ema";
    }

    void dopri5TakesTheNotebooksSteps() {
        QFETCH(QString, model);
        QFETCH(QString, weights);
        const std::string m = model.toStdString(), w = weights.toStdString(), p = w == "ema" ? "ema_" : "net_";
        const auto ck = checkpoint::readFlowCheckpoint(fixture(m + ".pt"));
        const auto net = checkpoint::buildVelocityNetwork(ck, optionsOf(m, w));
        const auto ref = test::loadReferenceTensors(fixture(m + ".reference.pt"));
        c10::InferenceMode guard;
        const auto labels = ref.at(p + "dopri5_labels");
        flow::OdeOptions o;
        o.method = flow::parseOdeMethod("dopri5");
        o.atol = o.rtol = 1e-4;
        const auto solver = flow::OdeSolver::make(o);
        const flow::VelocityField field = [&](double t, const torch::Tensor& x) {
            return net.forward(x, torch::full({x.size(0)}, t, x.options()), labels);
        };
        const auto trajectory = solver->solve(field, ref.at(p + "dopri5_noise"), {0.0, 1.0});
        QCOMPARE(trajectory.nfe, ref.at(p + "dopri5_nfe").item<int64_t>());
        QCOMPARE(trajectory.acceptedSteps, ref.at(p + "dopri5_accept_t0").size(0));
        QCOMPARE(trajectory.rejectedSteps, ref.at(p + "dopri5_reject_t0").size(0));
        // The sample is a linear combination of the NFE evaluations, each weighted by at most the
        // span; each evaluation is within 1e-5 of the field's magnitude (velocityMatches).
        const auto& final = ref.at(p + "dopri5_final");
        DS_CHECK_TOLERANCE(m + "/" + p + "dopri5_final", test::maxAbsDiff(trajectory.states.back(), final),
                           double(trajectory.nfe) * 1e-5 * magnitude(final));
    }

    void commandLineSamplesClasses() {
        // The notebook's grid, one class per column: --classes 0,...,9 on a 4-step Euler run
        // from the reference's noise, against its Euler states.
        QTemporaryDir dir;
        const auto ref = test::loadReferenceTensors(fixture("mnist_notebook.reference.pt"));
        const QString noise = dir.filePath("noise.pt"), out = dir.filePath("euler.pt"), grid = dir.filePath("grid.png");
        io::saveTorchFile(noise.toStdString(), io::PyValue::tensor(ref.at("euler_noise")));
        QStringList classes;
        for (int64_t i = 0; i < ref.at("euler_labels").size(0); ++i)
            classes << QString::number(ref.at("euler_labels")[i].item<int64_t>());
        auto r = test::runCli({"--threads", "1", "sample", "--checkpoint",
                               QString::fromStdString(fixture("mnist_notebook.pt")), "--heads", "1", "--solver",
                               "euler", "--steps", "4", "--init-noise", noise, "--classes", classes.join(','),
                               "--save-tensors", out, "--grid", grid});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto got = test::loadReferenceTensors(out.toStdString());
        DS_CHECK_TOLERANCE("mnist_notebook/cli_euler4",
                           test::maxAbsDiff(got.at("trajectory")[4], ref.at("ema_euler4_states")[4]), kSolverTolerance);
        r = test::runCli({"info", QString::fromStdString(fixture("mnist_notebook.pt"))});
        QVERIFY2(r.exitCode == 0 && r.out.contains("classes:      10"), qPrintable(r.out + r.err));

        const auto refused = [&](const QStringList& extra, const QString& expected) {
            const auto res = test::runCli(QStringList{"--threads", "1", "sample", "--checkpoint",
                                                      QString::fromStdString(fixture("mnist_notebook.pt")), "--heads",
                                                      "1", "--image-size", "28", "--solver", "euler", "--steps", "2",
                                                      "--num", "2", "--grid", dir.filePath("bad.png")} +
                                          extra);
            QVERIFY2(res.exitCode != 0 && res.err.contains(expected), qPrintable(res.err));
            QVERIFY2(res.err.contains("mnist_notebook.pt"), qPrintable(res.err));
        };
        refused({"--cond-scale", "3"}, "no null class");
        refused({"--class", "10"}, "outside 0..9");
        refused({"--cfg-plus-plus"}, "lucidrains");
        QVERIFY(!QFile::exists(dir.filePath("bad.png")));
    }
};

QTEST_GUILESS_MAIN(TestTorchCfmConditional)
#include "test_torchcfm_conditional.moc"
