// SPDX-License-Identifier: GPL-3.0-or-later
// lucidrains' classifier-free-guidance Unet (classifier_free_guidance.py, 2.1.1) against its own
// outputs (tests/fixtures/lucidrains_cfg, made by tests/tools/make_cfg_fixtures.py): the
// architecture read from the state_dict's shapes, the conditional and null outputs, and the
// guidance arithmetic of forward_with_cond_scale (parallel-component removal, rescaling).
//
// Tolerances: the network's float32 output differs from PyTorch's by its order of operations:
// kUnetRelativeTolerance (1e-5) of the output's magnitude (tests/support/network_tolerance.h).
// Guidance, cond + (W - 1)(cond - null), weighs the two outputs' errors W and W - 1: (2W - 1)
// times that; rescaling to the conditional output's deviation (phi) divides by a deviation that
// carries the same errors, max |g| / std(g) times them. Negative controls: other classes, the
// wrong head split.
#include "core/checkpoint/state_dict.h"
#include "core/io/torch_file.h"
#include "core/nn/cfg_unet.h"
#include "tests/support/network_tolerance.h"
#include "tests/support/reference_tensors.h"
#include "tests/support/tolerance.h"

#include <QtTest>

using namespace ds;

namespace {

checkpoint::StateDict unetWeights(const std::string& file, const std::string& prefix) {
    const auto root = io::loadTorchFile(test::fixturePath("lucidrains_cfg/" + file));
    auto sd = checkpoint::StateDict::fromPyDict(*root);
    return prefix.empty() ? sd : sd.withPrefix(prefix);
}

// The network's budget for an output whose reference is `ref` (at least 1e-5 absolute).
double outputTolerance(const torch::Tensor& ref) { return test::unetTolerance(std::max(1.0, test::maxAbs(ref))); }

}  // namespace

class TestCfgUnet : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void outputsMatchTheReference_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("prefix");
        QTest::newRow("model_a bare Unet") << "model_a"
                                           << "model_a.unet.pt"
                                           << "";
        QTest::newRow("model_a GaussianDiffusion") << "model_a"
                                                   << "model_a.gd.pt"
                                                   << "model.";
        QTest::newRow("model_b GaussianDiffusion") << "model_b"
                                                   << "model_b.gd.pt"
                                                   << "model.";
    }

    void outputsMatchTheReference() {
        QFETCH(QString, model);
        QFETCH(QString, file);
        QFETCH(QString, prefix);
        const auto ref =
            test::loadReferenceTensors(test::fixturePath("lucidrains_cfg/" + model.toStdString() + ".reference.pt"));
        const auto sd = unetWeights(file.toStdString(), prefix.toStdString());
        auto config = nn::CfgUnetConfig::inferFromStateDict(sd);
        // The middle attention's head split is not in the shapes (2 x 8 and 1 x 16 weigh the
        // same): model_b was built with attn_heads=2, attn_dim_head=8, as config.json says.
        if (model == "model_b") {
            config.attnHeads = 2;
            config.attnDimHead = 8;
        }
        nn::CfgUnet net(config);
        sd.loadInto(*net, "the Unet");
        net->eval();
        c10::InferenceMode guard;
        const auto &x = ref.at("unet_x"), &t = ref.at("unet_t"), &classes = ref.at("classes");
        const std::string m = model.toStdString();
        const auto cond = net->forward(x, t, classes);
        DS_CHECK_TOLERANCE(m + "/unet_cond", test::maxAbsDiff(cond, ref.at("unet_cond")),
                           outputTolerance(ref.at("unet_cond")));
        const auto null = net->forwardNull(x, t, classes);
        DS_CHECK_TOLERANCE(m + "/unet_null", test::maxAbsDiff(null, ref.at("unet_null")),
                           outputTolerance(ref.at("unet_null")));
        // The class matters: a negative control with every class shifted by one.
        DS_CHECK_NEGATIVE_CONTROL(
            m + "/other_classes",
            test::maxAbsDiff(net->forward(x, t, (classes + 1) % config.numClasses), ref.at("unet_cond")),
            outputTolerance(ref.at("unet_cond")), 10);
        // Condition dropout: the rows whose keep mask is false are the null output's.
        const auto dropped = net->forward(x, t, classes, ref.at("unet_drop05_keep").to(torch::kBool));
        DS_CHECK_TOLERANCE(m + "/unet_drop05", test::maxAbsDiff(dropped, ref.at("unet_drop05_out")),
                           outputTolerance(ref.at("unet_drop05_out")));
        const double outputs = std::max(outputTolerance(ref.at("unet_cond")), outputTolerance(ref.at("unet_null")));
        for (double w : {3.0, 6.0})
            for (double phi : {0.0, 0.7})
                for (auto [proj, keep] : {std::pair{1, 0.0}, {1, 0.5}, {0, 0.0}}) {
                    char key[64];
                    std::snprintf(key, sizeof key, "fwcs_w%g_phi%g_proj%d_keep%g", w, phi, proj, keep);
                    nn::GuidanceOptions g{w, phi, proj == 1, keep};
                    const auto [guided, nullOut] = net->forwardWithCondScale(x, t, classes, g);
                    const auto& want = ref.at(key);
                    const double rescaling = phi * test::maxAbs(want) / want.std().item<double>();
                    DS_CHECK_TOLERANCE(m + "/" + key, test::maxAbsDiff(guided, want),
                                       (2 * w - 1) * outputs * (1 + rescaling));
                }
        // W = 1: the conditional model alone, one evaluation.
        const auto [plain, none] = net->forwardWithCondScale(x, t, classes, nn::GuidanceOptions{});
        QVERIFY(!none.defined());
        DS_CHECK_TOLERANCE(m + "/w1_is_the_conditional_output", test::maxAbsDiff(plain, cond), 0.0);  // the same call
    }

    void architectureIsReadFromTheShapes() {
        const auto sd = unetWeights("model_b.gd.pt", "model.");
        const auto c = nn::CfgUnetConfig::inferFromStateDict(sd);
        QCOMPARE(c.dim, 4);
        QCOMPARE(c.numClasses, 4);
        QCOMPARE(c.channels, 3);
        QCOMPARE(c.dimMults, (std::vector<int>{1, 2, 2}));
        QCOMPARE(c.attnHeads * c.attnDimHead, 16);
    }

    // The wrong head split changes the middle attention: the outputs no longer match.
    void headSplitMatters() {
        const auto ref = test::loadReferenceTensors(test::fixturePath("lucidrains_cfg/model_b.reference.pt"));
        const auto sd = unetWeights("model_b.gd.pt", "model.");
        auto config = nn::CfgUnetConfig::inferFromStateDict(sd);
        config.attnHeads = 1;
        config.attnDimHead = 16;
        nn::CfgUnet net(config);
        sd.loadInto(*net, "the Unet");
        net->eval();
        c10::InferenceMode guard;
        DS_CHECK_NEGATIVE_CONTROL(
            "model_b/one_head",
            test::maxAbsDiff(net->forward(ref.at("unet_x"), ref.at("unet_t"), ref.at("classes")), ref.at("unet_cond")),
            outputTolerance(ref.at("unet_cond")), 10);
    }
};

QTEST_GUILESS_MAIN(TestCfgUnet)
#include "test_cfg_unet.moc"
