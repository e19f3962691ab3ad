// Diffusion Studio - the desktop application (wiring only).
// SPDX-License-Identifier: GPL-3.0-or-later
//
//   diffusion-studio [PATH]                        open the app (PATH: a checkpoint, run or PNG)
//   diffusion-studio --bench startup               JSON: milliseconds to a visible window
//   diffusion-studio --bench responsiveness [S]    JSON: UI-thread stalls while training S seconds
#include "core/util/allocator_tuning.h"
#include "core/util/thread_config.h"
#include "ui/main_window.h"
#include "ui/translations.h"
#include "ui/ui_benchmark.h"

#include <QApplication>
#include <QJsonDocument>
#include <QTimer>
#include <QWindow>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace {

void printJson(const QJsonObject& o) {
    std::printf("%s", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    std::fflush(stdout);
}

// Waits for the window to be exposed (mapped and painted), then reports the time since start.
int benchStartup(ds::ui::MainWindow& window) {
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        if (window.windowHandle() && window.windowHandle()->isExposed()) {
            poll.stop();
            QJsonObject o;
            o[QStringLiteral("benchmark")] = QStringLiteral("start-up to a visible main window");
            o[QStringLiteral("startup_ms")] = ds::ui::millisecondsSinceProcessStart();
            printJson(o);
            QCoreApplication::quit();
        }
    });
    poll.start(1);
    return QApplication::exec();
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("DiffusionStudio"));
    QApplication::setApplicationName(QStringLiteral("Diffusion Studio"));
    QApplication::setApplicationVersion(QStringLiteral(DS_VERSION));
    // Wayland's app id: lets the desktop match the window to the installed .desktop file and icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.diffusion_studio.DiffusionStudio"));
    QApplication::setWindowIcon(ds::ui::MainWindow::applicationIcon());
    // Debian's LibTorch starts with one thread: use OMP_NUM_THREADS, else every core but one. The
    // UI thread needs a core of its own: with every core busy in LibTorch's spinning workers the
    // window stalls (75 ms measured on 2 cores) and training itself gets slower (24 against 56
    // steps in 30 s on 2 cores), so the app leaves one free.
    const bool ompSet = qEnvironmentVariableIntValue("OMP_NUM_THREADS") > 0;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    ds::configureThreads(ompSet ? 0 : std::max(1, cores - 1));
    ds::keepTensorMemoryInHeap();
    ds::ui::installLanguage(ds::ui::preferredLanguage());

    const QStringList args = QCoreApplication::arguments();
    ds::ui::MainWindow window;
    window.show();
    if (args.size() >= 3 && args.at(1) == QLatin1String("--bench")) {
        if (args.at(2) == QLatin1String("startup")) return benchStartup(window);
        if (args.at(2) == QLatin1String("responsiveness")) {
            const double seconds = args.size() >= 4 ? args.at(3).toDouble() : 20.0;
            printJson(ds::ui::benchResponsiveness(window, seconds > 0 ? seconds : 20.0));
            return 0;
        }
        std::fprintf(stderr, "unknown benchmark '%s' (startup, responsiveness)\n", qPrintable(args.at(2)));
        return 2;
    }
    if (args.size() >= 2 && !args.at(1).startsWith(QLatin1Char('-'))) {
        const QString error = window.openPath(args.at(1));
        if (!error.isEmpty()) std::fprintf(stderr, "%s\n", qPrintable(error));
    }
    return app.exec();
}
