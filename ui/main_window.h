// Diffusion Studio - the main window.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QMainWindow>
#include <QString>

class QAction;
class QCloseEvent;
class QListWidget;
class QStackedWidget;

namespace ds::ui {

// The application's main window: a sidebar of pages next to a stack that shows the current one,
// a File and a Help menu and a status bar. Its geometry and dock/toolbar state persist through
// QSettings (organization "DiffusionStudio", application "Diffusion Studio").
//
// Widgets carry object names so that tests can find them:
//   "sidebar" (QListWidget), "pages" (QStackedWidget), "homePage", "homeTitle", "homeVersion",
//   "homeDescription", "fileMenu", "helpMenu", "actionQuit", "actionAbout", "statusBar".
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // The settings keys under which geometry and state are stored.
  static QString geometryKey();
  static QString stateKey();

  // The application icon (PNG renditions, plus the SVG where Qt can render SVG).
  static QIcon applicationIcon();

  // The text of Help > About (version and license).
  QString aboutText() const;

 public Q_SLOTS:
  void showAbout();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildMenus();
  void buildPages();
  QWidget* buildHomePage();
  void restoreSettings();
  void saveSettings() const;

  QListWidget* sidebar_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  QAction* quitAction_ = nullptr;
  QAction* aboutAction_ = nullptr;
};

}  // namespace ds::ui
