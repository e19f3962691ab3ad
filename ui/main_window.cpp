// Diffusion Studio - the main window.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "core/api/checkpoint_info.h"
#include "core/api/image_file.h"
#include "core/api/run_info.h"
#include "ui/app_settings.h"
#include "ui/explorer_run_panel.h"
#include "ui/fid_page.h"
#include "ui/file_dialogs.h"
#include "ui/generate_page.h"
#include "ui/job_runner.h"
#include "ui/job_status_widget.h"
#include "ui/lmdb_import_dialog.h"
#include "ui/sampler_explorer_page.h"
#include "ui/train_page.h"
#include "ui/trajectory_page.h"
#include "ui/translations.h"

#include <QAction>
#include <QActionGroup>
#include <QByteArray>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QImageReader>
#include <QKeySequence>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QUrl>
#include <QtGlobal>

#ifndef DS_VERSION
#error "DS_VERSION must be defined (ds_core exports it)"
#endif

// Q_INIT_RESOURCE must be expanded outside any namespace. The resources live in a static library,
// so nothing would pull their registration into the executable without this explicit call.
static void dsInitResources() { Q_INIT_RESOURCE(resources); }

namespace ds::ui {
namespace {

void ensureResources() {
    static const bool done = [] {
        dsInitResources();
        return true;
    }();
    (void)done;
}

QString versionString() { return QString::fromUtf8(DS_VERSION); }

// Flow-matching checkpoints open on the trajectory page; anything unreadable is left to the
// pages' own sampling errors.
bool isFlowCheckpoint(const QString& path) {
    try {
        return api::checkpointFamily(path.toStdString()) == api::ModelFamily::Flow;
    } catch (const std::exception&) {
        return false;
    }
}

const QString kRecentRuns = QStringLiteral("recent/runs");
const QString kRecentCheckpoints = QStringLiteral("recent/checkpoints");

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    ensureResources();
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Diffusion Studio"));
    setWindowIcon(applicationIcon());
    setAcceptDrops(true);

    statusBar()->setObjectName(QStringLiteral("statusBar"));
    jobStatus_ = new JobStatusWidget(statusBar());
    jobStatus_->setObjectName(QStringLiteral("jobStatus"));
    statusBar()->addPermanentWidget(jobStatus_);

    buildPages();
    buildMenus();
    statusBar()->showMessage(tr("Ready"));

    // The first time: as much of the screen as the pages like, up to 1400x900.
    if (const QScreen* s = screen()) resize(QSize(1400, 900).boundedTo(s->availableGeometry().size()));
    else resize(1200, 800);
    restoreSettings();
    fitToScreen();
}

// The window opens within the screen's available area: a 1366x768 laptop has about 730 pixels
// of height, and a geometry saved on a larger screen must not push the buttons out of view.
void MainWindow::fitToScreen() {
    const QScreen* s = screen();
    if (!s) return;
    const QRect available = s->availableGeometry();
    // Room for the window manager's frame, which frameless geometry() does not count.
    const QSize frame(16, 40);
    const QSize fitted =
        size().boundedTo(available.size() - frame).expandedTo(minimumSizeHint().boundedTo(available.size()));
    if (fitted != size()) resize(fitted);
    QRect g = geometry();
    if (!available.contains(g)) {
        g.moveLeft(std::clamp(g.left(), available.left(),
                              std::max(available.left(), available.right() - g.width() - frame.width())));
        g.moveTop(std::clamp(g.top(), available.top() + frame.height() / 2,
                             std::max(available.top(), available.bottom() - g.height() - frame.height() / 2)));
        move(g.topLeft());
    }
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
    // The pages' job runners stop their jobs as they are destroyed; training saves a checkpoint.
    QMainWindow::closeEvent(event);
}

void MainWindow::buildMenus() {
    // Rebuilt on a language switch: the old menus go (setLanguage never runs inside their signals).
    qDeleteAll(menuBar()->findChildren<QMenu*>(QString(), Qt::FindDirectChildrenOnly));
    menuBar()->clear();
    menuBar()->setObjectName(QStringLiteral("menuBar"));

    QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->setObjectName(QStringLiteral("fileMenu"));
    QAction* openCheckpoint = fileMenu->addAction(tr("Open &checkpoint…"));
    openCheckpoint->setObjectName(QStringLiteral("actionOpenCheckpoint"));
    openCheckpoint->setShortcut(QKeySequence::Open);
    connect(openCheckpoint, &QAction::triggered, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open a checkpoint"), lastFolder(QStringLiteral("checkpoints")),
                                         tr("Checkpoints (*.pt *.pth *.tar);;All files (*)"));
        if (path.isEmpty()) return;
        rememberFolder(QStringLiteral("checkpoints"), path);
        const QString error = openPath(path);
        if (!error.isEmpty()) statusBar()->showMessage(error);
    });
    QAction* openRun = fileMenu->addAction(tr("Open &run directory…"));
    openRun->setObjectName(QStringLiteral("actionOpenRun"));
    connect(openRun, &QAction::triggered, this, [this] {
        const QString dir = askFolder(this, tr("Open a run directory"), QStringLiteral("runs"));
        if (dir.isEmpty()) return;
        const QString error = openPath(dir);
        if (!error.isEmpty()) statusBar()->showMessage(error);
    });
    QAction* importLmdb = fileMenu->addAction(tr("Import LSUN &LMDB…"));
    importLmdb->setObjectName(QStringLiteral("actionImportLmdb"));
    connect(importLmdb, &QAction::triggered, this, &MainWindow::showLmdbImport);
    fileMenu->addSeparator();
    recentRuns_ = fileMenu->addMenu(tr("Recent runs"));
    recentRuns_->setObjectName(QStringLiteral("recentRunsMenu"));
    recentCheckpoints_ = fileMenu->addMenu(tr("Recent checkpoints"));
    recentCheckpoints_->setObjectName(QStringLiteral("recentCheckpointsMenu"));
    connect(fileMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenus);
    rebuildRecentMenus();
    fileMenu->addSeparator();
    QAction* quit = fileMenu->addAction(tr("&Quit"));
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);
    // close() runs closeEvent (which saves the settings); the application ends with its last window.
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* settingsMenu = menuBar()->addMenu(tr("&Settings"));
    settingsMenu->setObjectName(QStringLiteral("settingsMenu"));
    QMenu* languageMenu = settingsMenu->addMenu(tr("&Language"));
    languageMenu->setObjectName(QStringLiteral("languageMenu"));
    auto* group = new QActionGroup(languageMenu);
    const QString current = preferredLanguage();
    for (const auto& [code, name] : availableLanguages()) {
        QAction* action = languageMenu->addAction(name);
        action->setObjectName(QStringLiteral("actionLanguage_") + code);
        action->setCheckable(true);
        action->setChecked(code == current);
        group->addAction(action);
        connect(action, &QAction::triggered, this, [this, code = code] {
            // Deferred: switching rebuilds the menus, and this action's menu is still emitting.
            QTimer::singleShot(0, this, [this, code] {
                if (!setLanguage(code)) statusBar()->showMessage(tr("The language changes at the next start."));
            });
        });
    }

    QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
    helpMenu->setObjectName(QStringLiteral("helpMenu"));
    QAction* about = helpMenu->addAction(tr("&About Diffusion Studio"));
    about->setObjectName(QStringLiteral("actionAbout"));
    about->setMenuRole(QAction::AboutRole);
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::rebuildRecentMenus() {
    auto fill = [this](QMenu* menu, const QString& key) {
        menu->clear();
        const QStringList files = recentFiles(key);
        for (const QString& file : files) {
            QAction* action = menu->addAction(file);
            connect(action, &QAction::triggered, this, [this, file] {
                const QString error = openPath(file);
                if (!error.isEmpty()) statusBar()->showMessage(error);
            });
        }
        menu->setEnabled(!files.isEmpty());
    };
    fill(recentRuns_, kRecentRuns);
    fill(recentCheckpoints_, kRecentCheckpoints);
}

void MainWindow::buildPages() {
    auto* central = new QWidget(this);
    central->setObjectName(QStringLiteral("centralWidget"));
    auto* layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    sidebar_ = new QListWidget(central);
    sidebar_->setObjectName(QStringLiteral("sidebar"));
    sidebar_->setFixedWidth(170);
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

    train_ = new TrainPage(pages_);
    explorer_ = new SamplerExplorerPage(pages_);
    generate_ = new GeneratePage(pages_);
    fid_ = new FidPage(pages_);
    trajectory_ = new TrajectoryPage(pages_);
    const struct {
        QWidget* page;
        QString title;
        QStyle::StandardPixmap icon;
    } entries[] = {
        {train_, tr("Train"), QStyle::SP_MediaPlay},
        {explorer_, tr("Sampler Explorer"), QStyle::SP_FileDialogContentsView},
        {generate_, tr("Generate"), QStyle::SP_DialogSaveButton},
        {fid_, tr("FID"), QStyle::SP_FileDialogDetailedView},
        {trajectory_, tr("Trajectories"), QStyle::SP_ArrowRight},
    };
    for (const auto& e : entries) {
        auto* item = new QListWidgetItem(style()->standardIcon(e.icon), e.title, sidebar_);
        item->setData(Qt::UserRole, e.page->objectName());
        pages_->addWidget(e.page);
    }
    jobStatus_->watch(train_->runner());
    jobStatus_->watch(explorer_->panelA()->runner());
    jobStatus_->watch(explorer_->panelB()->runner());
    jobStatus_->watch(explorer_->sweepRunner());
    jobStatus_->watch(generate_->runner());
    jobStatus_->watch(fid_->runner());
    jobStatus_->watch(trajectory_->runner());
    connect(train_, &TrainPage::importLmdbRequested, this, &MainWindow::showLmdbImport);
    connect(generate_, &GeneratePage::fidRequested, this, [this](const QString& reference, const QString& generated) {
        showPage(fid_);
        fid_->computeFor(reference, generated);
    });

    connect(sidebar_, &QListWidget::currentRowChanged, pages_, &QStackedWidget::setCurrentIndex);
    sidebar_->setCurrentRow(0);

    QWidget* old = centralWidget();
    setCentralWidget(central);
    delete old;
}

void MainWindow::showPage(QWidget* page) {
    const int index = pages_->indexOf(page);
    if (index >= 0) sidebar_->setCurrentRow(index);
}

QString MainWindow::openPath(const QString& path) {
    const QFileInfo info(path);
    if (!info.exists()) return tr("%1: does not exist").arg(path);
    if (info.isDir()) {
        if (!api::isRunDirectory(path.toStdString())) return tr("%1: not a run directory (no config.json)").arg(path);
        const QString error = train_->openRun(path);
        if (error.isEmpty()) showPage(train_);
        return error;
    }
    if (info.suffix().compare(QLatin1String("png"), Qt::CaseInsensitive) == 0) {
        api::ImageMetadata metadata;
        try {
            metadata = api::readImageMetadata(path.toStdString());
        } catch (const std::exception& e) {
            return QString::fromUtf8(e.what());
        }
        if (api::metadataValue(metadata, "ds.seed").empty())
            return tr("%1: not an image made by Diffusion Studio (no settings in it)").arg(path);
        generate_->restoreFrom(metadata);
        showPage(generate_);
        return {};
    }
    // Anything else is taken for a checkpoint; sampling reports clearly when it is not one.
    addRecentFile(kRecentCheckpoints, path);
    explorer_->openCheckpoint(path);
    generate_->setCheckpoint(path);
    if (isFlowCheckpoint(path)) {
        trajectory_->openCheckpoint(path);
        showPage(trajectory_);
    } else {
        showPage(explorer_);
    }
    return {};
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    const QString error = openPath(urls.first().toLocalFile());
    if (!error.isEmpty()) statusBar()->showMessage(error);
    event->acceptProposedAction();
}

void MainWindow::showLmdbImport() {
    auto* dialog = new LmdbImportDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    jobStatus_->watch(dialog->runner());
    connect(dialog, &LmdbImportDialog::useForTraining, this, [this](const QString& folder) {
        train_->setDataFolder(folder);
        showPage(train_);
    });
    connect(dialog, &LmdbImportDialog::useForFid, this, [this](const QString& folder) {
        fid_->setPaths(folder, QString());
        showPage(fid_);
    });
    dialog->show();
}

bool MainWindow::anyJobRunning() const {
    return train_->runner()->isRunning() || generate_->runner()->isRunning() || fid_->runner()->isRunning() ||
           explorer_->panelA()->runner()->isRunning() || explorer_->panelB()->runner()->isRunning() ||
           explorer_->sweepRunner()->isRunning();
}

bool MainWindow::setLanguage(const QString& code) {
    appSettings().setValue(QStringLiteral("language"), code);
    if (anyJobRunning()) return false;
    installLanguage(code);
    // Rebuild in the new language: every page keeps its settings across the rebuild.
    const int page = sidebar_->currentRow();
    buildPages();
    buildMenus();
    setWindowTitle(tr("Diffusion Studio"));
    sidebar_->setCurrentRow(page);
    statusBar()->showMessage(tr("Ready"));
    return true;
}

void MainWindow::restoreSettings() {
    QSettings settings = appSettings();
    const QByteArray geometry = settings.value(geometryKey()).toByteArray();
    if (!geometry.isEmpty()) restoreGeometry(geometry);
    const QByteArray state = settings.value(stateKey()).toByteArray();
    if (!state.isEmpty()) restoreState(state);
    sidebar_->setCurrentRow(
        std::clamp(settings.value(QStringLiteral("mainWindow/page"), 0).toInt(), 0, sidebar_->count() - 1));
}

void MainWindow::saveSettings() const {
    QSettings settings = appSettings();
    settings.setValue(geometryKey(), saveGeometry());
    settings.setValue(stateKey(), saveState());
    settings.setValue(QStringLiteral("mainWindow/page"), sidebar_->currentRow());
}

}  // namespace ds::ui
