// Tests of the main window (QtTest, offscreen): pages, menus, settings, opening files, language.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/api/image_file.h"
#include "tests/support/isolated_settings.h"
#include "ui/explorer_run_panel.h"
#include "ui/fid_page.h"
#include "ui/generate_page.h"
#include "ui/main_window.h"
#include "ui/path_field.h"
#include "ui/sampler_explorer_page.h"
#include "ui/train_page.h"
#include "ui/trajectory_page.h"
#include "ui/translations.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

using ds::ui::MainWindow;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;

private Q_SLOTS:
    void initTestCase() { QVERIFY(ds::test::isolateSettings(settingsDir_)); }

    void init() {
        ds::ui::installLanguage(QStringLiteral("en"));
        ds::test::clearAppSettings();
    }

    void pagesInTheSidebar() {
        MainWindow window;
        QCOMPARE(window.windowTitle(), QStringLiteral("Diffusion Studio"));
        auto* sidebar = window.findChild<QListWidget*>(QStringLiteral("sidebar"));
        QVERIFY(sidebar);
        QCOMPARE(sidebar->count(), 5);
        QCOMPARE(sidebar->item(0)->text(), QStringLiteral("Train"));
        QCOMPARE(sidebar->item(1)->text(), QStringLiteral("Sampler Explorer"));
        QCOMPARE(sidebar->item(2)->text(), QStringLiteral("Generate"));
        QCOMPARE(sidebar->item(3)->text(), QStringLiteral("FID"));
        QCOMPARE(sidebar->item(4)->text(), QStringLiteral("Trajectories"));
        auto* pages = window.findChild<QStackedWidget*>(QStringLiteral("pages"));
        QVERIFY(pages);
        // The app opens on the Train page with the built-in Fashion-MNIST and the tiny preset.
        QCOMPARE(pages->currentWidget(), static_cast<QWidget*>(window.trainPage()));
        auto* data = window.trainPage()->findChild<QComboBox*>(QStringLiteral("trainData"));
        QCOMPARE(data->currentData().toString(), QStringLiteral("fashion-mnist"));
        QCOMPARE(window.trainPage()->formConfig().preset, std::string("tiny"));
        sidebar->setCurrentRow(1);
        QCOMPARE(pages->currentWidget(), static_cast<QWidget*>(window.explorerPage()));
        QVERIFY(window.findChild<QStatusBar*>(QStringLiteral("statusBar")));
    }

    void menusAndActions() {
        MainWindow window;
        for (const char* name :
             {"fileMenu", "recentRunsMenu", "recentCheckpointsMenu", "settingsMenu", "languageMenu", "helpMenu"})
            QVERIFY2(window.findChild<QMenu*>(QString::fromLatin1(name)), name);
        auto* quit = window.findChild<QAction*>(QStringLiteral("actionQuit"));
        QVERIFY(quit);
        QCOMPARE(quit->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Q));
        QVERIFY(window.findChild<QAction*>(QStringLiteral("actionOpenCheckpoint")));
        QVERIFY(window.findChild<QAction*>(QStringLiteral("actionOpenRun")));
        QVERIFY(window.findChild<QAction*>(QStringLiteral("actionImportLmdb")));
        QVERIFY(window.aboutText().contains(QStringLiteral("GPL-3.0-or-later")));
        QVERIFY(window.aboutText().contains(QStringLiteral(DS_VERSION)));
    }

    void quitClosesWindow() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QAction*>(QStringLiteral("actionQuit"))->trigger();
        QVERIFY(!window.isVisible());
    }

    void geometryAndPagePersist() {
        QSize size;
        {
            MainWindow first;
            first.resize(900, 640);
            first.show();
            QVERIFY(QTest::qWaitForWindowExposed(&first));
            size = first.size();
            first.showPage(first.generatePage());
            first.close();
        }
        MainWindow second;
        QCOMPARE(second.size(), size);
        QCOMPARE(second.findChild<QStackedWidget*>(QStringLiteral("pages"))->currentWidget(),
                 static_cast<QWidget*>(second.generatePage()));
    }

    // On a 1366x768 screen (CTest gives this test one) the window opens within the available
    // area, also after a geometry saved on a larger screen, and every page's primary actions are
    // in view without scrolling.
    void windowOpensWithinTheScreenWithItsActionsInView() {
        {
            MainWindow big;
            big.resize(1900, 1060);  // as saved on a 1920x1080 screen
            big.move(200, 100);
            big.close();
        }
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QRect available = window.screen()->availableGeometry();
        QVERIFY2(available.contains(window.frameGeometry()),
                 qPrintable(QStringLiteral("window %1x%2+%3+%4 on a %5x%6 screen")
                                .arg(window.frameGeometry().width())
                                .arg(window.frameGeometry().height())
                                .arg(window.frameGeometry().x())
                                .arg(window.frameGeometry().y())
                                .arg(available.width())
                                .arg(available.height())));
        const auto inView = [&](QWidget* page, const char* name) {
            window.showPage(page);
            QCoreApplication::processEvents();
            auto* button = page->findChild<QPushButton*>(QString::fromLatin1(name));
            QVERIFY2(button && button->isVisibleTo(&window), name);
            const QRect r(button->mapTo(&window, QPoint(0, 0)), button->size());
            QVERIFY2(window.rect().contains(r),
                     qPrintable(QStringLiteral("%1 at %2,%3 outside the window").arg(name).arg(r.x()).arg(r.y())));
        };
        inView(window.trainPage(), "trainStart");
        inView(window.trainPage(), "trainStop");
        inView(window.explorerPage(), "explorerRun");
        inView(window.generatePage(), "generatePreview");
        inView(window.generatePage(), "generateToFolder");
        inView(window.fidPage(), "fidCompute");
        inView(window.trajectoryPage(), "trajectoryRun");
    }

    void openingACheckpointFillsExplorerAndGenerateAndRecents() {
        MainWindow window;
        const QString checkpoint = QStringLiteral(DS_TEST_FIXTURES "/ddpm_lucidrains_tiny/model-1.pt");
        QCOMPARE(window.openPath(checkpoint), QString());
        QCOMPARE(window.findChild<QStackedWidget*>(QStringLiteral("pages"))->currentWidget(),
                 static_cast<QWidget*>(window.explorerPage()));
        QCOMPARE(window.explorerPage()->panelA()->checkpointField()->path(), checkpoint);
        QCOMPARE(window.generatePage()->findChild<ds::ui::PathField*>(QStringLiteral("generateCheckpoint"))->path(),
                 checkpoint);
        auto* recent = window.findChild<QMenu*>(QStringLiteral("recentCheckpointsMenu"));
        QMetaObject::invokeMethod(window.findChild<QMenu*>(QStringLiteral("fileMenu")), "aboutToShow");
        QCOMPARE(recent->actions().size(), 1);
        QCOMPARE(recent->actions().first()->text(), QFileInfo(checkpoint).absoluteFilePath());
    }

    void openingBadPathsSaysWhy() {
        MainWindow window;
        QTemporaryDir dir;
        QVERIFY(window.openPath(dir.filePath(QStringLiteral("missing.pt"))).contains(QStringLiteral("does not exist")));
        QVERIFY(window.openPath(dir.path()).contains(QStringLiteral("not a run directory")));
        // A PNG without our settings in it.
        const QString png = dir.filePath(QStringLiteral("plain.png"));
        ds::api::Image image{2, 2, 1, {0, 64, 128, 255}};
        ds::api::writeImagePng(png.toStdString(), image, {});
        QVERIFY(window.openPath(png).contains(QStringLiteral("not an image made by Diffusion Studio")));
        QFile bad(dir.filePath(QStringLiteral("bad.png")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("not a png");
        bad.close();
        QVERIFY(window.openPath(bad.fileName()).contains(QStringLiteral("bad.png")));
    }

    void openingAGeneratedPngRestoresItsSettings() {
        MainWindow window;
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("grid.png"));
        ds::api::Image image{2, 2, 1, {0, 64, 128, 255}};
        ds::api::writeImagePng(png.toStdString(), image,
                               {{"ds.seed", "1234"},
                                {"ds.sampler", "ddim"},
                                {"ds.steps", "17"},
                                {"ds.eta", "0.5"},
                                {"ds.weights", "online"},
                                {"ds.grid_rows", "3"},
                                {"ds.grid_columns", "5"},
                                {"ds.checkpoint_path", "/somewhere/model-9.pt"}});
        QCOMPARE(window.openPath(png), QString());
        auto* page = window.generatePage();
        QCOMPARE(window.findChild<QStackedWidget*>(QStringLiteral("pages"))->currentWidget(),
                 static_cast<QWidget*>(page));
        QCOMPARE(page->findChild<QSpinBox*>(QStringLiteral("generateSeed"))->value(), 1234);
        QCOMPARE(page->findChild<QSpinBox*>(QStringLiteral("generateSteps"))->value(), 17);
        QCOMPARE(page->findChild<QDoubleSpinBox*>(QStringLiteral("generateEta"))->value(), 0.5);
        QCOMPARE(page->findChild<QComboBox*>(QStringLiteral("generateWeights"))->currentData().toString(),
                 QStringLiteral("online"));
        QCOMPARE(page->findChild<QSpinBox*>(QStringLiteral("generateRows"))->value(), 3);
        QCOMPARE(page->findChild<QSpinBox*>(QStringLiteral("generateColumns"))->value(), 5);
        QCOMPARE(page->findChild<ds::ui::PathField*>(QStringLiteral("generateCheckpoint"))->path(),
                 QStringLiteral("/somewhere/model-9.pt"));
    }

    void switchingLanguageShowsChinese() {
        MainWindow window;
        QVERIFY(window.setLanguage(QStringLiteral("zh_CN")));
        auto* sidebar = window.findChild<QListWidget*>(QStringLiteral("sidebar"));
        QCOMPARE(sidebar->item(0)->text(), QStringLiteral("训练"));
        QCOMPARE(sidebar->item(2)->text(), QStringLiteral("生成"));
        QCOMPARE(window.trainPage()->findChild<QPushButton*>(QStringLiteral("trainStart"))->text(),
                 QStringLiteral("开始"));
        QCOMPARE(window.findChild<QMenu*>(QStringLiteral("fileMenu"))->title(), QStringLiteral("文件(&F)"));
        QCOMPARE(ds::ui::preferredLanguage(), QStringLiteral("zh_CN"));
        // A new window starts in the saved language once it is installed (main() does this).
        QVERIFY(window.setLanguage(QStringLiteral("en")));
        QCOMPARE(window.findChild<QListWidget*>(QStringLiteral("sidebar"))->item(0)->text(), QStringLiteral("Train"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
