// The FID page (QtTest, offscreen) on the fid_formula fixture: the number it shows is
// pytorch-fid's, the history persists, and bad input is reported.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/feature_network.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/reference_tensors.h"
#include "ui/fid_page.h"
#include "ui/job_runner.h"
#include "ui/neighbours_panel.h"

#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using ds::ui::FidPage;

class TestFidPage : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir work_;
    QString weights_;
    QString folderA_, folderB_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ds::test::isolateSettings(settingsDir_));
        qputenv("XDG_CACHE_HOME", work_.filePath(QStringLiteral("cache")).toUtf8());  // the statistics cache
        weights_ = work_.filePath(QStringLiteral("inception.pt"));
        ds::test::writeFormulaInceptionWeights(ds::test::fixturePath("fid_formula/keys.tsv"), weights_.toStdString());
        folderA_ = QString::fromStdString(ds::test::fixturePath("fid_formula/images/A"));
        folderB_ = QString::fromStdString(ds::test::fixturePath("fid_formula/images/B"));
    }
    // Every test starts from the defaults: pages save their fields when they close.
    void init() { ds::test::clearAppSettings(); }

    void computesPytorchFidsNumberAndKeepsHistory() {
        QFile referenceFile(QString::fromStdString(ds::test::fixturePath("fid_formula/reference.json")));
        QVERIFY(referenceFile.open(QIODevice::ReadOnly));
        const double expected =
            QJsonDocument::fromJson(referenceFile.readAll()).object().value(QStringLiteral("fid_64")).toDouble();
        {
            FidPage page;
            page.setWeights(weights_);
            page.setDims(64);
            page.setKid(true);
            page.setPrdc(true);
            page.setPaths(folderA_, folderB_);
            QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
            page.compute();
            QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
            QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
            QVERIFY2(std::abs(page.lastFid() - expected) <= 1e-3 * expected,
                     qPrintable(QStringLiteral("%1 vs %2").arg(page.lastFid()).arg(expected)));
            QVERIFY(page.resultText().contains(QStringLiteral("FID")));
            QVERIFY(page.resultText().contains(QStringLiteral("KID")));
            QVERIFY(page.resultText().contains(QStringLiteral("100 images")));
            // Precision/recall and density/coverage of the generated folder (B) against the reference (A).
            const auto metric = [&](const QString& name) {
                const auto m = QRegularExpression(name + QStringLiteral(" <b>([0-9.]+)</b>")).match(page.resultText());
                return m.hasMatch() ? m.captured(1).toDouble() : -1.0;
            };
            for (const QString& name :
                 {QStringLiteral("Precision"), QStringLiteral("Recall"), QStringLiteral("Coverage")})
                QVERIFY2(metric(name) >= 0.0 && metric(name) <= 1.0,
                         qPrintable(name + QStringLiteral(": ") + page.resultText()));
            QVERIFY2(metric(QStringLiteral("Density")) >= 0.0, qPrintable(page.resultText()));
            QCOMPARE(page.historyRows(), 1);
        }
        // A new page (the next start of the app) shows the history.
        FidPage again;
        QCOMPARE(again.historyRows(), 1);
    }

    // The offline feature network: a small classifier file, the built-in Fashion-MNIST test set as
    // the reference; the card names the distance by its feature space, not FID.
    void classifierFeaturesAgainstTheBuiltinTestSet() {
        ds::api::ClassifierTrainRequest train;
        train.trainImages = 500;
        train.testImages = 200;
        train.epochs = 1;
        train.out = work_.filePath(QStringLiteral("classifier.pt")).toStdString();
        ds::api::JobSink quiet;
        ds::StopToken stop;
        try {
            ds::api::trainClassifier(train, quiet, stop);
        } catch (const std::exception& e) {
            QSKIP(qPrintable(QStringLiteral("no Fashion-MNIST here: %1").arg(QString::fromUtf8(e.what()))));
        }
        {
            FidPage page;
            page.setFeatures(QString::fromStdString(train.out));
            QCOMPARE(page.features(), QString::fromStdString(train.out));
            QVERIFY(!page.findChild<QWidget*>(QStringLiteral("fidDims"))->isEnabled());
            const auto* status = page.findChild<QLabel*>(QStringLiteral("fidFeaturesStatus"));
            QVERIFY2(status->text().contains(QStringLiteral("fashion-mnist classifier, 128-d: test accuracy")),
                     qPrintable(status->text()));
            page.setPaths(QStringLiteral("fashion-mnist-test"), folderA_);
            QCOMPARE(page.referencePath(), QStringLiteral("fashion-mnist-test"));
            QVERIFY(!page.findChild<QWidget*>(QStringLiteral("fidPath1"))->isEnabled());
            QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
            page.compute();
            QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
            QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
            QVERIFY2(page.resultText().contains(QStringLiteral("FD ")) &&
                         page.resultText().contains(QStringLiteral("fashion-mnist classifier, 128-d")) &&
                         page.resultText().contains(QStringLiteral("10000 images")),
                     qPrintable(page.resultText()));
            QVERIFY(!page.resultText().contains(QStringLiteral("FID")));
            QVERIFY(page.lastFid() > 0);
            page.setFeatures(QStringLiteral("fashion-mnist"));
        }
        // The choices persist (the next start of the app).
        FidPage again;
        QCOMPARE(again.features(), QStringLiteral("fashion-mnist"));
        QCOMPARE(again.referencePath(), QStringLiteral("fashion-mnist-test"));
        again.setFeatures(QStringLiteral("inception"));
        again.setPaths(folderA_, folderB_);
    }

    // The nearest neighbours tab: the Generated folder against a training folder in the page's
    // feature network; the sheet shows, exports as a PNG, and the choices persist.
    void neighboursSheetShowsAndExports() {
        QTemporaryDir out;
        {
            FidPage page;
            page.setWeights(weights_);
            page.setDims(64);
            page.setPaths(folderA_, folderB_);
            auto* panel = page.neighbours();
            auto* find = page.findChild<QPushButton*>(QStringLiteral("neighboursFind"));
            auto* exportButton = page.findChild<QPushButton*>(QStringLiteral("neighboursExport"));
            QVERIFY(find && exportButton && !exportButton->isEnabled());
            QTest::mouseClick(find, Qt::LeftButton);
            QVERIFY2(panel->summaryText().contains(QStringLiteral("training images")),
                     qPrintable(panel->summaryText()));
            panel->setTraining(folderA_);
            panel->setK(2);
            QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
            QTest::mouseClick(find, Qt::LeftButton);
            QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
            QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(2).toString()));
            QVERIFY2(panel->summaryText().startsWith(QStringLiteral("100 generated against 100 training images, "
                                                                    "Inception (64-d)")),
                     qPrintable(panel->summaryText()));
            const auto* sheet = page.findChild<QLabel*>(QStringLiteral("neighboursSheet"));
            QVERIFY(!sheet->pixmap().isNull());
            QVERIFY2(sheet->pixmap().height() > 32 * 64, "fewer rows than the 32 asked for");
            QVERIFY(exportButton->isEnabled());
            const QString png = out.filePath(QStringLiteral("sheet.png"));
            QCOMPARE(panel->exportSheet(png), QString());
            const QImage written(png);
            QCOMPARE(written.size(), sheet->pixmap().size());
            QCOMPARE(written.text(QStringLiteral("ds.neighbours.k")), QStringLiteral("2"));
            QCOMPARE(written.text(QStringLiteral("ds.neighbours.generated")), folderB_);
        }
        FidPage again;
        QCOMPARE(again.neighbours()->training(), folderA_);
        again.neighbours()->setTraining(QStringLiteral("fashion-mnist-train"));
        QCOMPARE(again.neighbours()->training(), QStringLiteral("fashion-mnist-train"));
        QVERIFY(!again.findChild<QWidget*>(QStringLiteral("neighboursTraining"))->isVisibleTo(&again));
    }

    void badInputIsReported() {
        FidPage page;
        page.setWeights(weights_);
        page.setDims(64);
        QTemporaryDir empty;
        page.setPaths(empty.path(), folderB_);
        QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
        page.compute();
        QVERIFY(page.runner()->waitForFinished(ds::test::kHangMs));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QVERIFY(finished.first().at(2).toString().contains(empty.path()));
        QVERIFY(page.resultText().contains(QStringLiteral("Failed")));
    }
};

QTEST_MAIN(TestFidPage)
#include "test_fid_page.moc"
