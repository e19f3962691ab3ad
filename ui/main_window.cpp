// Diffusion Studio - the main window.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include <QAction>
#include <QByteArray>
#include <QCloseEvent>
#include <QFont>
#include <QFrame>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>
#include <QtGlobal>

#ifndef DS_VERSION
#error "DS_VERSION must be defined (ds_core exports it)"
#endif

// Q_INIT_RESOURCE must be expanded outside any namespace. The resources live in a static library,
// so nothing would pull their registration into the executable without this explicit call.
static void dsInitResources() { Q_INIT_RESOURCE(resources); }

namespace ds::ui {
namespace {

const char* const kOrganization = "DiffusionStudio";
const char* const kApplication = "Diffusion Studio";

void ensureResources() {
  static const bool done = [] {
    dsInitResources();
    return true;
  }();
  (void)done;
}

QString versionString() { return QString::fromUtf8(DS_VERSION); }

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  ensureResources();
  setObjectName(QStringLiteral("mainWindow"));
  setWindowTitle(tr("Diffusion Studio"));
  setWindowIcon(applicationIcon());

  buildMenus();
  buildPages();

  statusBar()->setObjectName(QStringLiteral("statusBar"));
  statusBar()->showMessage(tr("Ready"));

  resize(1000, 680);
  restoreSettings();
}

MainWindow::~MainWindow() = default;

QString MainWindow::geometryKey() { return QStringLiteral("mainWindow/geometry"); }
QString MainWindow::stateKey() { return QStringLiteral("mainWindow/state"); }

QIcon MainWindow::applicationIcon() {
  ensureResources();
  QIcon icon;
  for (int size : {32, 64, 256}) {
    icon.addFile(QStringLiteral(":/icons/diffusion-studio-%1.png").arg(size), QSize(size, size));
  }
  // The SVG only helps where the svg image format plugin is installed.
  if (QImageReader::supportedImageFormats().contains(QByteArrayLiteral("svg"))) {
    icon.addFile(QStringLiteral(":/icons/diffusion-studio.svg"));
  }
  return icon;
}

QString MainWindow::aboutText() const {
  return tr("<h3>Diffusion Studio %1</h3>"
            "<p>A workbench for diffusion and flow-matching image models.</p>"
            "<p>Licensed under the GNU General Public License, version 3 or (at your option) "
            "any later version (GPL-3.0-or-later). It comes with no warranty.</p>"
            "<p>Built with Qt %2.</p>")
      .arg(versionString(), QString::fromLatin1(qVersion()));
}

void MainWindow::showAbout() { QMessageBox::about(this, tr("About Diffusion Studio"), aboutText()); }

void MainWindow::closeEvent(QCloseEvent* event) {
  saveSettings();
  QMainWindow::closeEvent(event);
}

void MainWindow::buildMenus() {
  menuBar()->setObjectName(QStringLiteral("menuBar"));

  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  fileMenu->setObjectName(QStringLiteral("fileMenu"));
  quitAction_ = fileMenu->addAction(tr("&Quit"));
  quitAction_->setObjectName(QStringLiteral("actionQuit"));
  quitAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
  quitAction_->setMenuRole(QAction::QuitRole);
  // close() runs closeEvent (which saves the settings); the application ends with its last window.
  connect(quitAction_, &QAction::triggered, this, &QWidget::close);

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  helpMenu->setObjectName(QStringLiteral("helpMenu"));
  aboutAction_ = helpMenu->addAction(tr("&About Diffusion Studio"));
  aboutAction_->setObjectName(QStringLiteral("actionAbout"));
  aboutAction_->setMenuRole(QAction::AboutRole);
  connect(aboutAction_, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::buildPages() {
  auto* central = new QWidget(this);
  central->setObjectName(QStringLiteral("centralWidget"));
  auto* layout = new QHBoxLayout(central);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);

  sidebar_ = new QListWidget(central);
  sidebar_->setObjectName(QStringLiteral("sidebar"));
  sidebar_->setFixedWidth(180);
  sidebar_->setFrameShape(QFrame::NoFrame);
  sidebar_->setIconSize(QSize(20, 20));
  sidebar_->setSelectionMode(QAbstractItemView::SingleSelection);
  sidebar_->setStyleSheet(QStringLiteral("QListWidget#sidebar::item { padding: 8px 12px; }"));

  pages_ = new QStackedWidget(central);
  pages_->setObjectName(QStringLiteral("pages"));

  auto* separator = new QFrame(central);
  separator->setFrameShape(QFrame::VLine);
  separator->setFrameShadow(QFrame::Sunken);

  layout->addWidget(sidebar_);
  layout->addWidget(separator);
  layout->addWidget(pages_, 1);

  auto* homeItem = new QListWidgetItem(tr("Home"), sidebar_);
  homeItem->setData(Qt::UserRole, QStringLiteral("home"));
  pages_->addWidget(buildHomePage());

  connect(sidebar_, &QListWidget::currentRowChanged, pages_, &QStackedWidget::setCurrentIndex);
  sidebar_->setCurrentRow(0);

  setCentralWidget(central);
}

QWidget* MainWindow::buildHomePage() {
  auto* page = new QWidget(pages_);
  page->setObjectName(QStringLiteral("homePage"));
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(48, 48, 48, 48);
  layout->setSpacing(12);

  auto* icon = new QLabel(page);
  icon->setObjectName(QStringLiteral("homeIcon"));
  icon->setPixmap(applicationIcon().pixmap(96, 96));

  auto* title = new QLabel(tr("Diffusion Studio"), page);
  title->setObjectName(QStringLiteral("homeTitle"));
  QFont titleFont = title->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 2.0);
  titleFont.setBold(true);
  title->setFont(titleFont);

  auto* version = new QLabel(tr("Version %1").arg(versionString()), page);
  version->setObjectName(QStringLiteral("homeVersion"));
  version->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* description = new QLabel(
      tr("Use diffusion-studio-cli for sampling and inspection; the training cockpit and the "
         "DDIM explorer come in the next versions."),
      page);
  description->setObjectName(QStringLiteral("homeDescription"));
  description->setWordWrap(true);
  description->setMaximumWidth(640);
  description->setTextInteractionFlags(Qt::TextSelectableByMouse);

  layout->addWidget(icon);
  layout->addWidget(title);
  layout->addWidget(version);
  layout->addSpacing(12);
  layout->addWidget(description);
  layout->addStretch(1);
  return page;
}

void MainWindow::restoreSettings() {
  QSettings settings(QString::fromLatin1(kOrganization), QString::fromLatin1(kApplication));
  const QByteArray geometry = settings.value(geometryKey()).toByteArray();
  if (!geometry.isEmpty()) restoreGeometry(geometry);
  const QByteArray state = settings.value(stateKey()).toByteArray();
  if (!state.isEmpty()) restoreState(state);
}

void MainWindow::saveSettings() const {
  QSettings settings(QString::fromLatin1(kOrganization), QString::fromLatin1(kApplication));
  settings.setValue(geometryKey(), saveGeometry());
  settings.setValue(stateKey(), saveState());
}

}  // namespace ds::ui
