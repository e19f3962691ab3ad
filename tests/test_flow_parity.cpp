// Parity with the seed project's flow matching (tests/fixtures/cfm_g4vrel_tiny, made by the
// original Python code: g4vrel/CFM's Unet, its OptimalTransportFlow and torchdiffeq's odeint):
// the velocity field (online and EMA), the training loss of the OT path, torchdiffeq's
// fixed-grid trajectories and dopri5, at the fixture README's tolerances.
#include "core/checkpoint/diffusion_checkpoint.h"
#include "core/checkpoint/flow_checkpoint.h"
#include "core/flow/flow_matching_loss.h"
#include "core/flow/ode_solver.h"
#include "core/io/torch_file.h"
#include "core/util/error.h"
#include "tests/support/reference_tensors.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ds;

namespace {

const std::string kCheckpoint = "cfm_g4vrel_tiny/ckpt.tar";

flow::VelocityField velocityOf(flow::FlowUnet& unet) {
    return [&unet](double t, const torch::Tensor& x) { return unet->forward(x, torch::full({x.size(0)}, t)); };
}

// A copy of `dict` with `prefix` inserted after `keep` in every tensor key (torch.compile's
// `_orig_mod.` inside AveragedModel's `module.`).
io::PyValuePtr withKeyPrefix(const io::PyValue& dict, const std::string& keep, const std::string& prefix) {
    auto out = io::PyValue::dict(true);
    for (const auto& [k, v] : dict.asDict()) {
        std::string name = k->asString();
        if (v->is(io::PyValue::Kind::Tensor) && name != "n_averaged") name = keep + prefix + name.substr(keep.size());
        out->set(name, v);
    }
    return out;
}

}  // namespace

class TestFlowParity : public QObject {
    Q_OBJECT

    std::map<std::string, torch::Tensor> ref_;
    checkpoint::FlowCheckpoint ckpt_;

    flow::FlowUnet unet(const std::string& weights, int groups = 8) {
        checkpoint::FlowBuildOptions o;
        o.weights = weights;
        o.groups = groups;
        return checkpoint::buildVelocityNetwork(ckpt_, o).seedUnet();
    }

    void compareTrajectory(const flow::OdeTrajectory& got, const std::string& key, double tolerance) {
        const double diff = test::maxAbsDiff(torch::stack(got.states, 0), ref_.at(key));
        qInfo("%s: max abs diff %.3g (tolerance %.0e)", key.c_str(), diff, tolerance);
        QVERIFY2(diff < tolerance, qPrintable(QString("%1: max abs diff %2").arg(key.c_str()).arg(diff)));
    }

    static std::vector<double> timesOf(const torch::Tensor& t) {
        const auto d = t.to(torch::kDouble).contiguous();
        return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        ref_ = test::loadReferenceTensors(test::fixturePath("cfm_g4vrel_tiny/reference.pt"));
        ckpt_ = checkpoint::readFlowCheckpoint(test::fixturePath(kCheckpoint));
    }

    void inferredConfigurationMatchesFixture() {
        QCOMPARE(ckpt_.format, std::string("cfm-seed"));
        QCOMPARE(ckpt_.step, int64_t(3));
        QCOMPARE(ckpt_.unet.ch, 16);
        QCOMPARE(ckpt_.unet.chMul, (std::vector<int>{1, 2}));
        QCOMPARE(ckpt_.unet.attChannels, (std::vector<int>{0, 1}));
        QCOMPARE(ckpt_.unet.channels, 3);
        QVERIFY(ckpt_.unet.scaleShift);
        QVERIFY(!ckpt_.groupsRecorded);
        QCOMPARE(ckpt_.unet.groups, 32);  // the seed's default, which this fixture did not use
        QVERIFY(ckpt_.hasEma());
        QCOMPARE(ckpt_.emaUpdates, int64_t(3));
        QCOMPARE(ckpt_.ema.size(), ckpt_.online.size());
    }

    void stateDictKeysAndOrderMatchSeed() {
        auto m = unet("online");
        const auto ours = checkpoint::StateDict::fromModule(*m);
        QCOMPARE(ours.size(), ckpt_.online.size());
        for (size_t i = 0; i < ours.size(); ++i) {
            QCOMPARE(ours.entries()[i].first, ckpt_.online.entries()[i].first);
            QCOMPARE(ours.entries()[i].second.sizes().vec(), ckpt_.online.entries()[i].second.sizes().vec());
        }
    }

    void velocity_data() {
        QTest::addColumn<QString>("weights");
        QTest::addColumn<QString>("key");
        QTest::newRow("online") << "online" << "v_out";
        QTest::newRow("ema") << "ema" << "v_out_ema";
    }
    void velocity() {
        QFETCH(QString, weights);
        QFETCH(QString, key);
        c10::InferenceMode guard;
        auto m = unet(weights.toStdString());
        const auto out = m->forward(ref_.at("v_x"), ref_.at("v_t"));
        const double diff = test::maxAbsDiff(out, ref_.at(key.toStdString()));
        qInfo("velocity (%s): max abs diff %.3g", qPrintable(weights), diff);
        QVERIFY2(diff < 1e-4, qPrintable(QString("max abs diff %1").arg(diff)));
    }

    void channelsLastGivesTheSameField() {
        c10::InferenceMode guard;
        auto m = unet("online");
        m->setChannelsLast(true);
        const auto out = m->forward(ref_.at("v_x"), ref_.at("v_t"));
        QVERIFY(out.is_contiguous());
        QVERIFY(test::maxAbsDiff(out, ref_.at("v_out")) < 1e-4);
    }

    void wrongGroupCountChangesTheField() {
        // Not readable from the weights, but it matters: the seed's default 32 is not this model.
        c10::InferenceMode guard;
        auto m = unet("online", 16);
        const double diff = test::maxAbsDiff(m->forward(ref_.at("v_x"), ref_.at("v_t")), ref_.at("v_out"));
        QVERIFY2(diff > 1e-2, qPrintable(QString("max abs diff %1").arg(diff)));
    }

    void groupsThatDoNotDivideAreRejected() {
        try {
            unet("online", 12);
            QFAIL("no error");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("ckpt.tar") && msg.contains("--groups 12 does not divide the 16 channels"), qPrintable(msg));
        }
    }

    void compiledAndWrappedKeysOpen() {
        QTemporaryDir dir;
        const auto root = io::loadTorchFile(test::fixturePath(kCheckpoint));
        auto compiled = io::PyValue::dict(true);
        for (const auto& [k, v] : root->asDict()) {
            const auto key = k->asString();
            if (key == "model_state_dict") compiled->set(key, withKeyPrefix(*v, "", "_orig_mod."));
            else if (key == "ema_model_state_dict") compiled->set(key, withKeyPrefix(*v, "module.", "_orig_mod."));
            else compiled->set(key, v);
        }
        const auto path = dir.filePath("compiled.tar").toStdString();
        io::saveTorchFile(path, compiled);
        QVERIFY(compiled->at("ema_model_state_dict").contains("module._orig_mod.input_proj.weight"));
        const auto ck = checkpoint::readFlowCheckpoint(path);
        QCOMPARE(ck.unet.summary(), ckpt_.unet.summary());
        checkpoint::FlowBuildOptions o;
        o.groups = 8;
        c10::InferenceMode guard;
        auto m = checkpoint::buildVelocityNetwork(ck, o).seedUnet();
        QVERIFY(test::maxAbsDiff(m->forward(ref_.at("v_x"), ref_.at("v_t")), ref_.at("v_out_ema")) < 1e-4);
    }

    void trainingLoss() {
        c10::InferenceMode guard;
        auto m = unet("online");
        const auto path = flow::ProbabilityPath::make("ot", 0.01);
        const auto terms = flow::flowMatchingLoss([&](const torch::Tensor& x, const torch::Tensor& t) { return m->forward(x, t); },
                                                  *path, ref_.at("loss_x0"), ref_.at("loss_x1"), ref_.at("loss_t"),
                                                  torch::Tensor());
        QVERIFY(test::maxAbsDiff(terms.xt, ref_.at("loss_xt")) < 1e-5);
        QVERIFY(test::maxAbsDiff(terms.target, ref_.at("loss_target")) < 1e-5);
        const double expected = ref_.at("loss_value").item<double>();
        const double rel = std::abs(terms.loss.item<double>() - expected) / std::abs(expected);
        qInfo("loss %.7f vs %.7f: relative difference %.3g", terms.loss.item<double>(), expected, rel);
        QVERIFY2(rel < 1e-5, qPrintable(QString("loss %1 vs %2 (rel %3)").arg(terms.loss.item<double>()).arg(expected).arg(rel)));
    }

    void fixedGridTrajectory_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("key");
        QTest::addColumn<int>("evaluationsPerStep");
        QTest::newRow("euler") << "euler" << "euler" << 1;
        QTest::newRow("midpoint") << "midpoint" << "midpoint" << 2;
        QTest::newRow("rk4-38 (torchdiffeq's rk4)") << "rk4-38" << "rk4_38" << 4;
    }
    void fixedGridTrajectory() {
        QFETCH(QString, method);
        QFETCH(QString, key);
        QFETCH(int, evaluationsPerStep);
        c10::InferenceMode guard;
        auto m = unet("online");
        flow::OdeOptions o;
        o.method = flow::parseOdeMethod(method.toStdString());
        const auto grid = timesOf(ref_.at("ode_grid"));
        const auto got = flow::OdeSolver::make(o)->solve(velocityOf(m), ref_.at("ode_y0"), grid);
        QCOMPARE(got.times, grid);
        QCOMPARE(got.nfe, int64_t(8 * evaluationsPerStep));
        compareTrajectory(got, key.toStdString(), 1e-4);
        // --steps 8 builds the same grid from the end points and records at its steps.
        o.steps = 8;
        const auto stepped = flow::OdeSolver::make(o)->solve(velocityOf(m), ref_.at("ode_y0"), {0.0, 1.0}, true);
        QCOMPARE(int(stepped.states.size()), 9);
        compareTrajectory(stepped, key.toStdString(), 1e-4);
    }

    void dopri5MatchesTorchdiffeq() {
        c10::InferenceMode guard;
        auto m = unet("online");
        flow::OdeOptions o;
        o.method = flow::OdeMethod::Dopri5;
        o.atol = o.rtol = 1e-5;
        const auto times = timesOf(ref_.at("dopri5_times"));
        const auto got = flow::OdeSolver::make(o)->solve(velocityOf(m), ref_.at("ode_y0"), times);
        QCOMPARE(got.times, times);
        compareTrajectory(got, "dopri5", 1e-3);
        // Initial step selection (2) plus 6 per attempted step (first same as last).
        QCOMPARE(got.nfe, 2 + 6 * (got.acceptedSteps + got.rejectedSteps));
        QVERIFY(got.acceptedSteps >= 2);
        qInfo("dopri5: %lld NFE, %lld accepted, %lld rejected steps", static_cast<long long>(got.nfe),
              static_cast<long long>(got.acceptedSteps), static_cast<long long>(got.rejectedSteps));
    }

    void readingItAsDiffusionSaysWhatItIs() {
        try {
            checkpoint::readDiffusionCheckpoint(test::fixturePath(kCheckpoint));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("flow-matching checkpoint"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestFlowParity)
#include "test_flow_parity.moc"
