// The shipped translations are complete: every message of every .ts file is translated, keeps
// the placeholders (%1, %2...) of its source, and the compiled .qm is embedded in the app.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/job_progress_view.h"
#include "ui/job_runner.h"
#include "ui/job_status_widget.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QtTest>

namespace {

struct Message {
    QString context, source, translation;
    bool unfinished = false;
};

QList<Message> readTs(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    QXmlStreamReader xml(&file);
    QList<Message> out;
    QString context;
    Message m;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) continue;
        if (xml.name() == QLatin1String("name")) context = xml.readElementText();
        else if (xml.name() == QLatin1String("message")) m = Message{context, {}, {}, false};
        else if (xml.name() == QLatin1String("source")) m.source = xml.readElementText();
        else if (xml.name() == QLatin1String("translation")) {
            m.unfinished = xml.attributes().value(QLatin1String("type")) == QLatin1String("unfinished");
            // Plural messages hold their forms in <numerusform> children: their text, joined.
            m.translation = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            out << m;
        }
    }
    if (xml.hasError()) return {};  // a file read only in part must not pass as complete
    return out;
}

QSet<QString> placeholders(const QString& text) {
    QSet<QString> found;
    static const QRegularExpression re(QStringLiteral("%\\d"));
    for (auto it = re.globalMatch(text); it.hasNext();) found << it.next().captured();
    return found;
}

}  // namespace

class TestTranslations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyMessageIsTranslated() {
        const QDir dir(QStringLiteral(DS_SOURCE_DIR "/translations"));
        const QStringList files = dir.entryList({QStringLiteral("*.ts")});
        QVERIFY(files.contains(QStringLiteral("diffusion-studio_zh_CN.ts")));
        for (const QString& name : files) {
            const auto messages = readTs(dir.filePath(name));
            QVERIFY2(messages.size() > 100, qPrintable(name));
            for (const Message& m : messages) {
                const QString where = name + QLatin1Char(' ') + m.context + QStringLiteral(": ") + m.source;
                QVERIFY2(!m.unfinished && !m.translation.isEmpty(),
                         qPrintable(QStringLiteral("untranslated: ") + where));
                QVERIFY2(placeholders(m.source) == placeholders(m.translation),
                         qPrintable(QStringLiteral("placeholders differ: ") + where));
            }
        }
    }

    // The shipped .ts holds every message the sources have today (lupdate found nothing new):
    // a string added without running update_translations fails here, not in front of a user.
    void translationsAreUpToDateWithTheSources() {
        const QString lupdate = QStringLiteral(DS_LUPDATE);
        if (!QFileInfo::exists(lupdate)) QSKIP("lupdate is not installed (qt6-l10n-tools)");
        QTemporaryDir dir;
        const QString fresh = dir.filePath(QStringLiteral("fresh_zh_CN.ts"));
        QProcess p;
        p.start(lupdate, {QStringLiteral("-no-obsolete"), QStringLiteral("-locations"), QStringLiteral("none"),
                          QStringLiteral(DS_SOURCE_DIR "/ui"), QStringLiteral("-ts"), fresh});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        // Contexts by class name: lupdate run on the folder alone does not always resolve the
        // namespace that the build's run (with include paths) does.
        const auto key = [](const Message& m) {
            return m.context.section(QStringLiteral("::"), -1) + QLatin1Char('\x1f') + m.source;
        };
        QSet<QString> shipped;
        const auto shippedMessages = readTs(QStringLiteral(DS_SOURCE_DIR "/translations/diffusion-studio_zh_CN.ts"));
        for (const Message& m : shippedMessages) shipped << key(m);
        QCOMPARE(shipped.size(), int(shippedMessages.size()));
        const auto found = readTs(fresh);
        QVERIFY(found.size() > 100);
        for (const Message& m : found)
            QVERIFY2(
                shipped.contains(key(m)),
                qPrintable(QStringLiteral("not in the shipped translation (run the update_translations target): ") +
                           m.context + QStringLiteral(": ") + m.source));
    }

    // The status bar outlives the pages a language switch rebuilds: it follows the switch, and
    // the units of progress are translated too.
    void statusBarFollowsALanguageSwitch() {
        ds::ui::JobStatusWidget status;
        auto* cancel = status.findChild<QToolButton*>(QStringLiteral("jobStatusCancel"));
        QCOMPARE(cancel->text(), QStringLiteral("Cancel"));
        QTranslator translator;
        QVERIFY(translator.load(QStringLiteral(":/i18n/diffusion-studio_zh_CN.qm")));
        QCoreApplication::installTranslator(&translator);  // sends LanguageChange to every widget
        QCoreApplication::processEvents();
        QCOMPARE(cancel->text(), QStringLiteral("取消"));
        ds::api::JobProgress p;
        p.done = 3;
        p.total = 10;
        p.unit = "steps";
        p.ratePerSecond = 2.5;
        QVERIFY2(ds::ui::JobProgressView::describe(p).contains(QStringLiteral("3 / 10 步")),
                 qPrintable(ds::ui::JobProgressView::describe(p)));
        QCoreApplication::removeTranslator(&translator);
        QCoreApplication::processEvents();
        QCOMPARE(cancel->text(), QStringLiteral("Cancel"));
    }

    void compiledTranslationIsEmbedded() {
        QTranslator translator;
        QVERIFY(translator.load(QStringLiteral(":/i18n/diffusion-studio_zh_CN.qm")));
        QCOMPARE(translator.translate("ds::ui::MainWindow", "Train"), QStringLiteral("训练"));
    }
};

QTEST_MAIN(TestTranslations)
#include "test_translations.moc"
