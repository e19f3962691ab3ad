// The FID page (QtTest, offscreen) on the fid_formula fixture: the number it shows is
// pytorch-fid's, the history persists, and bad input is reported.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/support/hang_limits.h"
#include "tests/support/fid_formula_weights.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/reference_tensors.h"
#include "ui/fid_page.h"
#include "ui/job_runner.h"

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
    const double expected = QJsonDocument::fromJson(referenceFile.readAll()).object().value(QStringLiteral("fid_64")).toDouble();
    {
      FidPage page;
      page.setWeights(weights_);
      page.setDims(64);
      page.setKid(true);
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
      QCOMPARE(page.historyRows(), 1);
    }
    // A new page (the next start of the app) shows the history.
    FidPage again;
    QCOMPARE(again.historyRows(), 1);
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
