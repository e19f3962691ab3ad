// The Generate page (QtTest, offscreen) on the lucidrains fixture checkpoint: a previewed grid
// saved with its settings, and N images written into a folder.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QDir>
#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include "core/api/image_file.h"
#include "tests/support/isolated_settings.h"
#include "ui/generate_page.h"
#include "ui/job_runner.h"
#include "ui/path_field.h"

using ds::ui::GeneratePage;

class TestGeneratePage : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir settingsDir_;
  QTemporaryDir work_;
  const QString checkpoint_ = QStringLiteral(DS_TEST_FIXTURES "/ddpm_lucidrains_tiny/model-1.pt");

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(ds::test::isolateSettings(settingsDir_));
    ds::test::clearAppSettings();
  }

  void previewThenSaveCarriesTheSettings() {
    GeneratePage page;
    page.setCheckpoint(checkpoint_);
    page.setImageSize(16);  // lucidrains checkpoints do not record it
    page.setGridSize(2, 3);
    page.setSeed(77);
    page.findChild<QSpinBox*>(QStringLiteral("generateSteps"))->setValue(5);
    QCOMPARE(page.saveGrid(work_.filePath(QStringLiteral("early.png"))), QStringLiteral("Preview a grid first."));
    QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
    page.preview();
    QVERIFY(page.runner()->waitForFinished(30000));
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
    QCOMPARE(ds::api::metadataValue(metadata, "ds.sampler"), std::string("ddim"));
    QCOMPARE(ds::api::metadataValue(metadata, "ds.steps"), std::string("5"));
    QCOMPARE(ds::api::metadataValue(metadata, "ds.num"), std::string("6"));
    QCOMPARE(ds::api::metadataValue(metadata, "ds.grid_columns"), std::string("3"));
    QCOMPARE(ds::api::metadataValue(metadata, "ds.checkpoint"), std::string("model-1.pt"));
    QCOMPARE(ds::api::metadataValue(metadata, "ds.checkpoint_path"), QFileInfo(checkpoint_).absoluteFilePath().toStdString());
    QCOMPARE(QImage(path).convertToFormat(grid.format()), grid);

    // The same settings again give the same grid (the seed fixes the noise).
    GeneratePage again;
    again.restoreFrom(metadata);
    again.preview();
    QVERIFY(again.runner()->waitForFinished(30000));
    QCOMPARE(again.previewImage(), grid);
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
    QVERIFY(page.runner()->waitForFinished(30000));
    QVERIFY(!stop->isEnabled());
    const QStringList files = QDir(folder).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(files, QStringList({"00000.png", "00001.png", "00002.png", "00003.png", "00004.png"}));
    QCOMPARE(QImage(QDir(folder).filePath(files.first())).size(), QSize(16, 16));

    // The folder now holds images: a second run refuses to overwrite them and says so.
    QSignalSpy finished(page.runner(), &ds::ui::JobRunner::finished);
    page.generateToFolder();
    QVERIFY(page.runner()->waitForFinished(30000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY(finished.first().at(2).toString().contains(QStringLiteral("already exists")));
  }
};

QTEST_MAIN(TestGeneratePage)
#include "test_generate_page.moc"
