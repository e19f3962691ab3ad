// Diffusion Studio - the main window.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QMainWindow>
#include <QString>

class QAction;
class QCloseEvent;
class QDragEnterEvent;
class QDropEvent;
class QListWidget;
class QMenu;
class QStackedWidget;

namespace ds::ui {

class SamplerExplorerPage;
class FidPage;
class TrajectoryPage;
class GeneratePage;
class JobStatusWidget;
class TrainPage;

// The application's main window: a sidebar of pages (Train, Sampler Explorer, Generate, FID) next to a
// stack that shows the current one; File (open, recent runs and checkpoints, quit), Settings
// (language) and Help menus; a status bar that shows the running job with its progress, ETA and
// a Cancel button. Dropping a checkpoint, a run directory or a PNG the app made opens it (the
// PNG restores the settings that made it). Geometry, the current page and the language persist
// in QSettings (organization "DiffusionStudio", application "Diffusion Studio").
//
// Object names for tests: "sidebar", "pages", "trainPage", "explorerPage", "generatePage", "fidPage",
// "actionImportLmdb",
// "fileMenu", "recentRunsMenu", "recentCheckpointsMenu", "settingsMenu", "languageMenu",
// "helpMenu", "actionQuit", "actionAbout", "actionOpenCheckpoint", "actionOpenRun", "statusBar",
// "jobStatus".
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    static QString geometryKey();
    static QString stateKey();
    static QIcon applicationIcon();
    QString aboutText() const;

    TrainPage* trainPage() const { return train_; }
    SamplerExplorerPage* explorerPage() const { return explorer_; }
    GeneratePage* generatePage() const { return generate_; }
    FidPage* fidPage() const { return fid_; }
    TrajectoryPage* trajectoryPage() const { return trajectory_; }
    void showPage(QWidget* page);

    // Opens a run directory (Train), a checkpoint (Sampler Explorer and Generate) or a PNG made by
    // the app (Generate, with its settings). Returns an error message, or "" when opened.
    QString openPath(const QString& path);

    // Switches the interface language ("en", "zh_CN"), saved in the settings. The pages are
    // rebuilt in the new language when no job runs; otherwise it applies at the next start.
    // Returns false when it could only be saved for the next start.
    bool setLanguage(const QString& code);

    // File > Import LSUN LMDB…: the import dialog, whose result can feed the Train or FID page.
    void showLmdbImport();

public Q_SLOTS:
    void showAbout();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void buildPages();
    void rebuildRecentMenus();
    bool anyJobRunning() const;
    void restoreSettings();
    void fitToScreen();
    void saveSettings() const;

    QListWidget* sidebar_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    TrainPage* train_ = nullptr;
    SamplerExplorerPage* explorer_ = nullptr;
    GeneratePage* generate_ = nullptr;
    FidPage* fid_ = nullptr;
    TrajectoryPage* trajectory_ = nullptr;
    JobStatusWidget* jobStatus_ = nullptr;
    QMenu* recentRuns_ = nullptr;
    QMenu* recentCheckpoints_ = nullptr;
};

}  // namespace ds::ui
