// Tests of the main window (QtTest, offscreen).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include "ui/main_window.h"

using ds::ui::MainWindow;

class TestMainWindow : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir settingsDir_;

 private Q_SLOTS:
  void initTestCase() {
    // Keep the user's real settings out of the tests: test-mode standard paths and an explicit,
    // temporary QSettings location for both formats (native is INI on Unix).
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(settingsDir_.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir_.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir_.path());
  }

  void init() {
    QSettings settings(QStringLiteral("DiffusionStudio"), QStringLiteral("Diffusion Studio"));
    settings.clear();
    settings.sync();
  }

  void titleAndHomePage() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    QCOMPARE(window.windowTitle(), QStringLiteral("Diffusion Studio"));
    QVERIFY(!window.windowIcon().isNull());

    auto* sidebar = window.findChild<QListWidget*>(QStringLiteral("sidebar"));
    QVERIFY(sidebar);
    QCOMPARE(sidebar->count(), 1);
    QCOMPARE(sidebar->item(0)->text(), QStringLiteral("Home"));
    QCOMPARE(sidebar->currentRow(), 0);

    auto* pages = window.findChild<QStackedWidget*>(QStringLiteral("pages"));
    QVERIFY(pages);
    auto* home = window.findChild<QWidget*>(QStringLiteral("homePage"));
    QVERIFY(home);
    QCOMPARE(pages->currentWidget(), home);
    QVERIFY(home->isVisible());

    auto* title = home->findChild<QLabel*>(QStringLiteral("homeTitle"));
    QVERIFY(title);
    QCOMPARE(title->text(), QStringLiteral("Diffusion Studio"));
    QVERIFY(title->isVisible());

    auto* version = home->findChild<QLabel*>(QStringLiteral("homeVersion"));
    QVERIFY(version);
    QVERIFY(version->text().contains(QStringLiteral(DS_VERSION)));

    auto* description = home->findChild<QLabel*>(QStringLiteral("homeDescription"));
    QVERIFY(description);
    QVERIFY(description->text().contains(QStringLiteral("diffusion-studio-cli")));

    auto* status = window.findChild<QStatusBar*>(QStringLiteral("statusBar"));
    QVERIFY(status);
    QVERIFY(status->isVisible());
  }

  void menusAndActions() {
    MainWindow window;
    auto* fileMenu = window.findChild<QMenu*>(QStringLiteral("fileMenu"));
    auto* helpMenu = window.findChild<QMenu*>(QStringLiteral("helpMenu"));
    QVERIFY(fileMenu);
    QVERIFY(helpMenu);

    auto* quit = window.findChild<QAction*>(QStringLiteral("actionQuit"));
    QVERIFY(quit);
    QVERIFY(fileMenu->actions().contains(quit));
    QCOMPARE(quit->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Q));

    auto* about = window.findChild<QAction*>(QStringLiteral("actionAbout"));
    QVERIFY(about);
    QVERIFY(helpMenu->actions().contains(about));
    QVERIFY(about->isEnabled());

    const QString text = window.aboutText();
    QVERIFY(text.contains(QStringLiteral(DS_VERSION)));
    QVERIFY(text.contains(QStringLiteral("GPL-3.0-or-later")));
  }

  void quitClosesWindow() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.findChild<QAction*>(QStringLiteral("actionQuit"))->trigger();
    QVERIFY(!window.isVisible());
    // Closing saved the geometry.
    QSettings settings(QStringLiteral("DiffusionStudio"), QStringLiteral("Diffusion Studio"));
    QVERIFY(!settings.value(MainWindow::geometryKey()).toByteArray().isEmpty());
  }

  void geometryPersists() {
    const QSize size(823, 517);
    {
      MainWindow first;
      first.show();
      QVERIFY(QTest::qWaitForWindowExposed(&first));
      first.resize(size);
      QTRY_COMPARE(first.size(), size);
      QVERIFY(first.close());
    }

    QSettings settings(QStringLiteral("DiffusionStudio"), QStringLiteral("Diffusion Studio"));
    QVERIFY(settings.contains(MainWindow::geometryKey()));
    QVERIFY(settings.contains(MainWindow::stateKey()));
    // The settings went to the temporary location, not to the user's configuration.
    QVERIFY2(settings.fileName().startsWith(settingsDir_.path()), qPrintable(settings.fileName()));

    MainWindow second;
    QCOMPARE(second.size(), size);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QCOMPARE(second.size(), size);
  }

  void defaultSizeWithoutSettings() {
    MainWindow window;
    QCOMPARE(window.size(), QSize(1000, 680));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
