// The Generate page (QtTest, offscreen) on the lucidrains fixture checkpoint: a previewed grid
// saved with its settings, and N images written into a folder.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/image_file.h"
#include "core/api/train_form.h"
#include "core/api/training.h"
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/tiny_train_config.h"
#include "ui/class_condition_fields.h"
#include "ui/generate_page.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using ds::ui::GeneratePage;

class TestGeneratePage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir work_;
    const QString checkpoint_ = QStringLiteral(DS_TEST_FIXTURES "/ddpm_lucidrains_tiny/model-1.pt");

private Q_SLOTS:
    void initTestCase() { QVERIFY(ds::test::isolateSettings(settingsDir_)); }
    // Every test starts from the defaults: pages save their fields when they close.
    void init() { ds::test::clearAppSettings(); }

    void previewThenSaveCarriesTheSettings() {
        GeneratePage page;
        page.setCheckpoint(checkpoint_);
        page.setImageSize(16);  // lucidrains checkpoints do not record it
        page.setGridSize(2, 3);
        page.setSeed(77);
        // A fast solver with options of its own: the saved PNG must carry them all.
        auto* sampler = page.findChild<QComboBox*>(QStringLiteral("generateSampler"));
        sampler->setCurrentIndex(sampler->findData(QStringLiteral("unipc")));
        page.findChild<QSpinBox*>(QStringLiteral("generateSteps"))->setValue(5);
        page.findChild<QSpinBox*>(QStringLiteral("generateOrder"))->setValue(3);
        auto* skip = page.findChild<QComboBox*>(QStringLiteral("generateSkip"));
        skip->setCurrentIndex(skip->findData(QStringLiteral("logsnr")));
        QVERIFY(!page.findChild<QDoubleSpinBox*>(QStringLiteral("generateEta"))->isEnabled());  // DDIM's only
        QCOMPARE(page.saveGrid(work_.filePath(QStringLiteral("early.png"))), QStringLiteral("Preview a grid first."));
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        page.preview();
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
        const QImage grid = page.previewImage();
        QVERIFY(!grid.isNull());
        // 2 rows x 3 columns of 16-pixel images with 2-pixel padding.
        QCOMPARE(grid.width(), 3 * 16 + 4 * 2);
        QCOMPARE(grid.height(), 2 * 16 + 3 * 2);

        const QString path = work_.filePath(QStringLiteral("grid.png"));
        QCOMPARE(page.saveGrid(path), QString());
        const auto metadata = ds::api::readImageMetadata(path.toStdString());
        QCOMPARE(ds::api::metadataValue(metadata, "ds.seed"), std::string("77"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.sampler"), std::string("unipc"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.steps"), std::string("5"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.order"), std::string("3"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.skip"), std::string("logsnr"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.unipc_variant"), std::string("bh2"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.nfe"), std::string("5"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.num"), std::string("6"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.grid_columns"), std::string("3"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.checkpoint"), std::string("model-1.pt"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.checkpoint_path"),
                 QFileInfo(checkpoint_).absoluteFilePath().toStdString());
        QCOMPARE(QImage(path).convertToFormat(grid.format()), grid);

        // The same settings again give the same grid (the seed fixes the noise), from a page whose
        // own settings differ.
        GeneratePage again;
        auto* otherSampler = again.findChild<QComboBox*>(QStringLiteral("generateSampler"));
        otherSampler->setCurrentIndex(otherSampler->findData(QStringLiteral("ddim")));
        again.findChild<QSpinBox*>(QStringLiteral("generateOrder"))->setValue(1);
        again.restoreFrom(metadata);
        QCOMPARE(again.findChild<QSpinBox*>(QStringLiteral("generateOrder"))->value(), 3);
        again.preview();
        QVERIFY(again.runner()->waitForFinished(ds::test::kHangMs));
        QCOMPARE(again.previewImage(), grid);
    }

    void classConditionalCheckpointsOfferClassesAndGuidance() {
        // lucidrains' classifier-free guidance model: the class rows appear, the chosen class and
        // scale reach the sampler and the saved grid, and restoring the PNG brings them back.
        GeneratePage page;
        page.show();
        auto* classes = page.findChild<QComboBox*>(QStringLiteral("generateClass"));
        auto* scale = page.findChild<QDoubleSpinBox*>(QStringLiteral("generateCondScale"));
        QVERIFY(classes && scale);
        page.setCheckpoint(checkpoint_);  // unconditional: no class rows
        QVERIFY(!classes->isVisibleTo(&page));
        page.setCheckpoint(QStringLiteral(DS_TEST_FIXTURES "/lucidrains_cfg/model_a.trainer.pt"));
        QVERIFY(classes->isVisibleTo(&page));
        QCOMPARE(classes->count(), 6);  // every class in turn, one row per class, then 0..3
        QCOMPARE(classes->itemData(1).toInt(), ds::ui::ClassConditionFields::kRowPerClass);
        classes->setCurrentIndex(classes->findData(2));
        // The slider moves the scale in half steps, and follows what is typed.
        auto* slider = page.findChild<QSlider*>(QStringLiteral("generateCondScaleSlider"));
        QVERIFY(slider && slider->isVisibleTo(&page));
        slider->setValue(5);
        QCOMPARE(scale->value(), 2.5);
        scale->setValue(3.0);
        QCOMPARE(slider->value(), 6);
        page.setImageSize(16);
        page.setGridSize(1, 2);
        page.findChild<QSpinBox*>(QStringLiteral("generateSteps"))->setValue(4);
        page.preview();
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY(!page.previewImage().isNull());
        const QString path = work_.filePath(QStringLiteral("classes.png"));
        QCOMPARE(page.saveGrid(path), QString());
        const auto metadata = ds::api::readImageMetadata(path.toStdString());
        QCOMPARE(ds::api::metadataValue(metadata, "ds.classes"), std::string("2,2"));
        QCOMPARE(ds::api::metadataValue(metadata, "ds.cond_scale"), std::string("3"));
        GeneratePage again;
        again.restoreFrom(metadata);
        auto* restored = again.findChild<QComboBox*>(QStringLiteral("generateClass"));
        QCOMPARE(again.findChild<QDoubleSpinBox*>(QStringLiteral("generateCondScale"))->value(), 3.0);
        // The restored page has no checkpoint of its own yet: the class waits for its classes.
        again.setCheckpoint(QStringLiteral(DS_TEST_FIXTURES "/lucidrains_cfg/model_a.trainer.pt"));
        QCOMPARE(restored->currentData().toInt(), 2);
    }

    // Flows: torchcfm's conditional UNetModel learned no null class, so the page offers the class
    // but no guidance; our conditional flows learned one: the scale, without lucidrains'
    // rescaling and CFG++ (which the flow sampler refuses: none of them reaches it).
    void conditionalFlowsOfferTheGuidanceTheyAllow() {
        GeneratePage page;
        page.show();
        auto* classes = page.findChild<QComboBox*>(QStringLiteral("generateClass"));
        auto* scale = page.findChild<QDoubleSpinBox*>(QStringLiteral("generateCondScale"));
        auto* phi = page.findChild<QDoubleSpinBox*>(QStringLiteral("generateRescaledPhi"));
        QVERIFY(classes && scale && phi);
        page.setCheckpoint(QStringLiteral(DS_TEST_FIXTURES "/torchcfm_conditional/mnist_notebook.pt"));
        QVERIFY(classes->isVisibleTo(&page));
        QCOMPARE(classes->count(), 12);  // every class in turn, one row per class, then 0..9
        QVERIFY(!scale->isVisibleTo(&page) && !phi->isVisibleTo(&page));
        // Our conditional flow (a class embedding with a null class), trained for one step.
        auto config = ds::test::tinyFlowConfig(1, "icfm");
        config.saveEvery = 1;
        auto form = ds::api::trainFormFromConfig(config.toJson());
        form.conditional = true;
        ds::StopToken stop;
        ds::api::JobSink quiet;
        const auto run =
            ds::api::startTraining(form, work_.filePath(QStringLiteral("flow-run")).toStdString(), quiet, stop);
        QVERIFY(run.finished);
        page.setCheckpoint(QString::fromStdString(run.lastCheckpoint));
        QVERIFY(classes->isVisibleTo(&page) && scale->isVisibleTo(&page) && !phi->isVisibleTo(&page));
        classes->setCurrentIndex(classes->findData(7));
        scale->setValue(2.5);
        page.setImageSize(16);
        page.setGridSize(1, 2);
        page.findChild<QSpinBox*>(QStringLiteral("generateSteps"))->setValue(2);
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        page.preview();
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY2(finished.last().at(0).toBool(), qPrintable(finished.last().at(2).toString()));
        const QString guided = work_.filePath(QStringLiteral("flow-classes.png"));
        QCOMPARE(page.saveGrid(guided), QString());
        const auto guidedMetadata = ds::api::readImageMetadata(guided.toStdString());
        QCOMPARE(ds::api::metadataValue(guidedMetadata, "ds.classes"), std::string("7,7"));
        QCOMPARE(ds::api::metadataValue(guidedMetadata, "ds.cond_scale"), std::string("2.5"));
        QCOMPARE(ds::api::metadataValue(guidedMetadata, "ds.rescaled_phi"), std::string());
    }

    void imagesIntoAFolder() {
        GeneratePage page;
        page.setCheckpoint(checkpoint_);
        page.setImageSize(16);  // lucidrains checkpoints do not record it
        page.findChild<QSpinBox*>(QStringLiteral("generateSteps"))->setValue(3);
        page.findChild<QSpinBox*>(QStringLiteral("generateCount"))->setValue(5);
        const QString folder = work_.filePath(QStringLiteral("generated"));
        page.findChild<ds::ui::PathField*>(QStringLiteral("generateFolder"))->setPath(folder);
        // Stop is offered only while a job runs.
        auto* stop = page.findChild<QPushButton*>(QStringLiteral("generateStop"));
        QVERIFY(!stop->isEnabled());
        page.generateToFolder();
        QVERIFY(stop->isEnabled());
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY(!stop->isEnabled());
        const QStringList files = QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
        QCOMPARE(files, QStringList({"00000.png", "00001.png", "00002.png", "00003.png", "00004.png"}));
        QCOMPARE(QImage(QDir(folder).filePath(files.first())).size(), QSize(16, 16));

        // The folder now holds images: a second run refuses to overwrite them and says so.
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        page.generateToFolder();
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QVERIFY(finished.first().at(2).toString().contains(QStringLiteral("already exists")));
    }
};

QTEST_MAIN(TestGeneratePage)
#include "test_generate_page.moc"
