// The Import LSUN LMDB dialog (QtTest, offscreen) on an LMDB built here: it shows the database,
// imports a resized train/test split, and hands the folders on.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/hang_limits.h"
#include "tests/support/isolated_settings.h"
#include "tests/support/lmdb_fixture.h"
#include "ui/job_runner.h"
#include "ui/lmdb_import_dialog.h"

#include <QDir>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using ds::ui::LmdbImportDialog;

class TestLmdbDialog : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir work_;
    QString db_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ds::test::isolateSettings(settingsDir_));
        db_ = work_.filePath(QStringLiteral("cat"));
        ds::test::writeLmdb(db_.toStdString(), ds::test::mixedEntries().all);
    }
    // Every test starts from the defaults: pages save their fields when they close.
    void init() { ds::test::clearAppSettings(); }

    void showsTheDatabaseAndImportsASplit() {
        const auto before = ds::test::hashFolder(db_.toStdString());
        LmdbImportDialog dialog;
        QCOMPARE(dialog.openDatabase(db_), QString());
        const QString info = dialog.findChild<QLabel*>(QStringLiteral("lmdbInfo"))->text();
        QVERIFY2(info.contains(QStringLiteral("12 entries")), qPrintable(info));
        QVERIFY(info.contains(QStringLiteral("JPEG")));
        QVERIFY(dialog.thumbnailCount() == 8);

        const QString out = work_.filePath(QStringLiteral("cat-64"));
        dialog.setOutput(out);
        dialog.setResize(24, QStringLiteral("png"));
        dialog.setSplit(6, 3, 7);
        QSignalSpy training(&dialog, &LmdbImportDialog::useForTraining);
        dialog.startImport();
        QVERIFY(dialog.runner()->waitForFinished(ds::test::kHangMs));
        QVERIFY2(dialog.summary().contains(QStringLiteral("9 written")), qPrintable(dialog.summary()));
        QVERIFY(dialog.summary().contains(QStringLiteral("2 corrupt")));
        QCOMPARE(QDir(out + QStringLiteral("/train")).entryList({QStringLiteral("*.png")}).size(), 6);
        QCOMPARE(QDir(out + QStringLiteral("/test")).entryList({QStringLiteral("*.png")}).size(), 3);
        const QString first =
            QDir(out + QStringLiteral("/train")).entryInfoList({QStringLiteral("*.png")}).first().filePath();
        QCOMPARE(QImage(first).size(), QSize(24, 24));
        QCOMPARE(dialog.trainingFolder(), out + QStringLiteral("/train"));
        QCOMPARE(dialog.testFolder(), out + QStringLiteral("/test"));
        dialog.findChild<QPushButton*>(QStringLiteral("lmdbUseTraining"))->click();
        QCOMPARE(training.size(), 1);
        QCOMPARE(training.first().at(0).toString(), out + QStringLiteral("/train"));
        // The source database is never modified.
        QVERIFY(before == ds::test::hashFolder(db_.toStdString()));
    }

    void aFolderThatIsNotAnLmdbIsReported() {
        LmdbImportDialog dialog;
        QTemporaryDir notDb;
        const QString error = dialog.openDatabase(notDb.path());
        QVERIFY(error.contains(notDb.path()));
        QCOMPARE(dialog.thumbnailCount(), 0);
    }
};

QTEST_MAIN(TestLmdbDialog)
#include "test_lmdb_dialog.moc"
