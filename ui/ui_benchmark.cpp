// Diffusion Studio - benchmarks of what a person feels: start-up time and UI-thread stalls.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/ui_benchmark.h"

#include "ui/job_runner.h"
#include "ui/main_window.h"
#include "ui/plot_widget.h"
#include "ui/train_page.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <vector>

namespace ds::ui {

double millisecondsSinceProcessStart() {
    // Field 22 of /proc/self/stat: start time in clock ticks after boot; /proc/uptime: now.
    QFile stat(QStringLiteral("/proc/self/stat")), uptime(QStringLiteral("/proc/uptime"));
    if (!stat.open(QIODevice::ReadOnly) || !uptime.open(QIODevice::ReadOnly)) return -1;
    const QByteArray s = stat.readAll();
    const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');  // after "(comm) "
    if (fields.size() < 20) return -1;
    const double startTicks = fields.at(19).toDouble();  // field 22 is the 20th after comm
    const double now = uptime.readAll().split(' ').value(0).toDouble();
    // Both clocks tick in 10 ms: the figure is good to about 10 ms.
    return std::round((now - startTicks / double(sysconf(_SC_CLK_TCK))) * 1000.0);
}

QJsonObject benchResponsiveness(MainWindow& window, double seconds) {
    QTemporaryDir runs;
    TrainPage* page = window.trainPage();
    window.showPage(page);
    page->selectPreset(QStringLiteral("tiny"));
    page->setRunDirectory(runs.filePath(QStringLiteral("bench-run")));

    int metricBatches = 0;
    qint64 steps = 0;
    QObject::connect(page->runner(), &JobRunner::metrics, page, [&](const QVector<api::TrainMetrics>& batch) {
        ++metricBatches;
        if (!batch.isEmpty()) steps = batch.last().step;
    });

    constexpr int kTickMs = 2;
    std::vector<double> lateness;
    // The UI thread's own CPU time between ticks: a late tick with little of it was the scheduler
    // (other processes, the training threads), one with much of it was our UI work.
    std::vector<double> busy;
    const auto threadCpuMs = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
    };
    double lastCpu = 0;
    QElapsedTimer clock;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(kTickMs);
    double last = 0;
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const double now = clock.nsecsElapsed() / 1e6;
        lateness.push_back(std::max(0.0, now - last - kTickMs));
        last = now;
        const double cpu = threadCpuMs();
        busy.push_back(cpu - lastCpu);
        lastCpu = cpu;
    });

    page->start();
    // Measure from the first metrics on: model building and data loading come before.
    QElapsedTimer waitStart;
    waitStart.start();
    while (metricBatches == 0 && page->runner()->isRunning() && waitStart.elapsed() < 120000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(5);
    }
    clock.start();
    lastCpu = threadCpuMs();
    ticker.start();
    while (clock.elapsed() < seconds * 1000.0 && page->runner()->isRunning())
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    ticker.stop();
    page->stop();
    page->runner()->waitForFinished(120000);

    std::vector<double> sorted = lateness;
    std::sort(sorted.begin(), sorted.end());
    auto percentile = [&](double q) {
        return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, size_t(q * double(sorted.size())))];
    };
    const auto ms = [](double v) { return std::round(v * 100.0) / 100.0; };
    QJsonObject out;
    out[QStringLiteral("benchmark")] = QStringLiteral("ui responsiveness while training (tiny preset, Fashion-MNIST)");
    out[QStringLiteral("seconds")] = clock.elapsed() / 1000.0;
    out[QStringLiteral("tick_ms")] = kTickMs;
    out[QStringLiteral("ticks")] = static_cast<qint64>(lateness.size());
    out[QStringLiteral("max_stall_ms")] = ms(sorted.empty() ? 0.0 : sorted.back());
    out[QStringLiteral("p99_stall_ms")] = ms(percentile(0.99));
    out[QStringLiteral("p50_stall_ms")] = ms(percentile(0.5));
    out[QStringLiteral("max_ui_work_ms")] = ms(busy.empty() ? 0.0 : *std::max_element(busy.begin(), busy.end()));
    out[QStringLiteral("training_steps")] = steps;
    out[QStringLiteral("metrics_batches")] = metricBatches;
    out[QStringLiteral("loss_points")] = page->lossPlot()->pointCount(page->currentSeries());
    return out;
}

}  // namespace ds::ui
