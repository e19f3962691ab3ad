// The job runner (QtTest): reports reach the UI thread in batches, errors and cancellation are
// told apart, and a paused job waits.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/util/error.h"
#include "tests/support/hang_limits.h"
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"

#include <QSignalSpy>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>

using ds::ui::JobRunner;

using ds::test::kHangMs;

class TestJobRunner : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aFloodOfReportsArrivesInFewBatches() {
        JobRunner runner(QStringLiteral("flood"));
        QSignalSpy metrics(&runner, &JobRunner::metrics);
        QSignalSpy progress(&runner, &JobRunner::progress);
        QSignalSpy finished(&runner, &JobRunner::finished);
        constexpr int kReports = 200000;
        std::promise<void> reported;
        auto allReported = reported.get_future();
        QVERIFY(runner.start([&reported](ds::api::JobSink& sink, const ds::StopToken&, const ds::PauseGate&) {
            for (int i = 1; i <= kReports; ++i) {
                ds::api::TrainMetrics m;
                m.step = i;
                sink.onMetrics(m);
                ds::api::JobProgress p;
                p.done = i;
                p.total = kReports;
                sink.onProgress(p);
            }
            reported.set_value();
        }));
        QVERIFY(!runner.start([](ds::api::JobSink&, const ds::StopToken&, const ds::PauseGate&) {}));  // one at a time
        // The whole flood is reported while the UI thread is busy (no event loop runs): however
        // fast or slow the job was, it reaches the UI as one batch, not as 200,000 signals.
        QVERIFY(allReported.wait_for(std::chrono::milliseconds(kHangMs)) == std::future_status::ready);
        QVERIFY(runner.waitForFinished(kHangMs));
        int total = 0;
        int64_t last = 0;
        for (const auto& call : metrics) {
            const auto batch = call.at(0).value<QVector<ds::api::TrainMetrics>>();
            for (const auto& m : batch) {
                QCOMPARE(m.step, last + 1);  // in order, none lost
                last = m.step;
            }
            total += batch.size();
        }
        QCOMPARE(total, kReports);
        QCOMPARE(metrics.size(), 1);
        QCOMPARE(progress.size(), 1);  // only the latest progress matters
        QCOMPARE(progress.last().at(0).value<ds::api::JobProgress>().done, int64_t(kReports));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().at(0).toBool(), true);
    }

    // Previews reported faster than the delivery interval all arrive, in order: the Train page
    // keeps every one (a multi-process run replays several at once).
    void everyPreviewArrives() {
        JobRunner runner(QStringLiteral("previews"));
        QSignalSpy previews(&runner, &JobRunner::preview);
        QVERIFY(runner.start([](ds::api::JobSink& sink, const ds::StopToken&, const ds::PauseGate&) {
            ds::api::Image grid{2, 2, 1, std::vector<uint8_t>(4, 7)};
            for (int64_t step = 1; step <= 5; ++step) sink.onPreview(step, grid, 0.5);
        }));
        QVERIFY(runner.waitForFinished(kHangMs));
        QCOMPARE(previews.size(), 5);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(previews.at(i).at(0).toLongLong(), qint64(i + 1));
            QCOMPARE(previews.at(i).at(1).value<QImage>().size(), QSize(2, 2));
        }
    }

    void errorsAndCancellationAreToldApart() {
        JobRunner runner(QStringLiteral("failing"));
        QSignalSpy finished(&runner, &JobRunner::finished);
        runner.start([](ds::api::JobSink&, const ds::StopToken&, const ds::PauseGate&) {
            throw ds::fileError("/data/x.pt", "not a checkpoint\nbacktrace that nobody wants");
        });
        QVERIFY(runner.waitForFinished(kHangMs));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QCOMPARE(finished.first().at(1).toBool(), false);
        QCOMPARE(finished.first().at(2).toString(), QStringLiteral("/data/x.pt: not a checkpoint"));

        finished.clear();
        std::atomic<bool> looping{false};
        runner.start([&looping](ds::api::JobSink&, const ds::StopToken& stop, const ds::PauseGate&) {
            looping = true;
            while (true) ds::throwIfStopped(&stop);
        });
        QTRY_VERIFY_WITH_TIMEOUT(looping.load(), kHangMs);  // cancel the job in its loop, not before it began
        runner.cancel();
        QVERIFY(runner.waitForFinished(kHangMs));
        QCOMPARE(finished.first().at(0).toBool(), false);
        QCOMPARE(finished.first().at(1).toBool(), true);
    }

    void pausedJobsWaitAndStopStillWorks() {
        JobRunner runner(QStringLiteral("pausable"));
        QSignalSpy holding(&runner, &JobRunner::holdingChanged);
        std::atomic<int> steps{0};
        runner.start([&steps](ds::api::JobSink& sink, const ds::StopToken& stop, const ds::PauseGate& pause) {
            while (!stop.stopRequested()) {
                pause.waitWhilePaused(stop);
                ++steps;
                ds::api::JobProgress p;
                p.done = steps.load();
                sink.onProgress(p);
                QThread::msleep(1);
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(steps.load() > 5, kHangMs);
        QVERIFY(!runner.isHolding());
        runner.setPaused(true);
        QVERIFY(runner.isPaused());
        // The job reaches the gate at its next step boundary; then everything it reported is here.
        QTRY_VERIFY_WITH_TIMEOUT(runner.isHolding(), kHangMs);
        QCOMPARE(holding.size(), 1);
        QCOMPARE(holding.first().at(0).toBool(), true);
        const int held = steps.load();
        QSignalSpy deliveries(&runner, &JobRunner::delivered);
        QTRY_VERIFY_WITH_TIMEOUT(deliveries.size() >= 3, kHangMs);
        QCOMPARE(steps.load(), held);  // nothing moves while it holds
        QVERIFY(runner.isHolding());

        runner.setPaused(false);
        QTRY_VERIFY_WITH_TIMEOUT(steps.load() > held, kHangMs);
        QTRY_VERIFY_WITH_TIMEOUT(!runner.isHolding(), kHangMs);
        QCOMPARE(holding.size(), 2);

        runner.setPaused(true);
        QTRY_VERIFY_WITH_TIMEOUT(runner.isHolding(), kHangMs);
        QSignalSpy finished(&runner, &JobRunner::finished);
        runner.cancel();  // a paused job can be stopped
        QVERIFY(runner.waitForFinished(kHangMs));
        QCOMPARE(finished.size(), 1);
        QVERIFY(finished.first().at(1).toBool());
        QVERIFY(!runner.isHolding());
    }

    void etaFormatting() {
        QCOMPARE(ds::ui::JobProgressView::formatDuration(-1), QString());
        QCOMPARE(ds::ui::JobProgressView::formatDuration(65), QStringLiteral("1:05"));
        QCOMPARE(ds::ui::JobProgressView::formatDuration(3 * 3600 + 62), QStringLiteral("3:01:02"));
        ds::api::JobProgress p;
        p.done = 120;
        p.total = 2000;
        p.unit = "steps";
        p.ratePerSecond = 3.14159;
        p.etaSeconds = 605;
        QCOMPARE(ds::ui::JobProgressView::describe(p), QStringLiteral("120 / 2000 steps · 3.14/s · ETA 10:05"));
        // The distances of precision/recall on 10,000 x 1,000 images: abbreviated, not 9 digits.
        p.done = 111000000;
        p.total = 222000000;
        p.unit = "distances";
        p.ratePerSecond = 50459599.6;
        p.etaSeconds = 2;
        QCOMPARE(ds::ui::JobProgressView::describe(p),
                 QStringLiteral("111.0 M / 222.0 M distances · 50.5 M/s · ETA 0:02"));
        QCOMPARE(ds::ui::JobProgressView::compactNumber(60000, 0), QStringLiteral("60000"));
        QCOMPARE(ds::ui::JobProgressView::compactNumber(250000, 0), QStringLiteral("250 k"));
    }
};

QTEST_MAIN(TestJobRunner)
#include "test_job_runner.moc"
