// SPDX-License-Identifier: GPL-3.0-or-later
// The layers of docs/architecture.md, checked on the sources' include graph (the project's own quoted
// includes, followed through every header): ui/ and the app's window reach the engine through
// core/api (and core/util's small tools) only, so a form never spells a run's configuration or a
// network's options; nothing they include may reach a LibTorch header, not even through core's
// headers (Qt's keywords break LibTorch's headers, and each file that includes them takes about
// 45 s to compile); core's public API (core/api) is torch-free and reaches no other part of
// core; core/ never includes Qt.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QRegularExpression>
#include <QtTest>

#include <optional>

namespace {

// Not a raw string: moc's preprocessor would read the directive inside it.
const QRegularExpression kInclude(QStringLiteral("^\\s*#\\s*include\\s*([<\"])([^>\"]+)[>\"]"),
                                  QRegularExpression::MultilineOption);
// Matched against "<path>" for a system include and "path" for a project one.
const QRegularExpression kLibTorch(QStringLiteral("^<(torch|ATen|c10|caffe2)/"));
const QRegularExpression kQt(QStringLiteral("^<Q[A-Za-z]*(/|>)"));
const QRegularExpression kCoreBeyondApi(QStringLiteral("^core/(?!api/|util/)"));

struct Include {
    bool angled;
    QString path;
};

QList<Include> includesOf(const QString& file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QList<Include> out;
    auto it = kInclude.globalMatch(QString::fromUtf8(f.readAll()));
    while (it.hasNext()) {
        const auto m = it.next();
        out.push_back({m.captured(1) == QLatin1String("<"), m.captured(2)});
    }
    return out;
}

// The chain of includes from `file` (relative to the source root) to a header that `forbidden`
// matches, or nothing. Each project file is visited once.
class IncludeGraph {
public:
    explicit IncludeGraph(QString root) : root_(std::move(root)) {}

    std::optional<QStringList> chainTo(const QString& file, const QRegularExpression& forbidden) {
        QHash<QString, bool> visited;
        return walk(file, forbidden, visited);
    }

private:
    std::optional<QStringList> walk(const QString& file, const QRegularExpression& forbidden,
                                    QHash<QString, bool>& visited) {
        if (visited.contains(file)) return std::nullopt;
        visited.insert(file, true);
        for (const Include& inc : includesOf(root_ + QLatin1Char('/') + file)) {
            const QString spelled = inc.angled ? QLatin1Char('<') + inc.path + QLatin1Char('>') : inc.path;
            if (forbidden.match(spelled).hasMatch()) return QStringList{file, spelled};
            if (inc.angled) continue;
            if (!QFile::exists(root_ + QLatin1Char('/') + inc.path)) continue;  // moc output, generated files
            if (auto chain = walk(inc.path, forbidden, visited)) {
                chain->prepend(file);
                return chain;
            }
        }
        return std::nullopt;
    }

    QString root_;
};

QStringList sourcesUnder(const QString& root, const QString& folder, bool recursive) {
    QStringList out;
    QDirIterator it(root + QLatin1Char('/') + folder, {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files,
                    recursive ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
    while (it.hasNext()) out.push_back(QDir(root).relativeFilePath(it.next()));
    out.sort();
    return out;
}

}  // namespace

class TestLayering : public QObject {
    Q_OBJECT

    const QString root_ = QStringLiteral(DS_SOURCE_DIR);

    void expectNone(const QStringList& files, const QRegularExpression& forbidden, const char* rule) {
        QVERIFY2(!files.isEmpty(), "no sources found: is DS_SOURCE_DIR right?");
        IncludeGraph graph(root_);
        QStringList problems;
        for (const QString& file : files)
            if (const auto chain = graph.chainTo(file, forbidden)) problems << chain->join(QStringLiteral(" -> "));
        QVERIFY2(problems.isEmpty(), qPrintable(QString::fromLatin1(rule) + QStringLiteral(":\n  ") +
                                                problems.join(QStringLiteral("\n  "))));
    }

private Q_SLOTS:
    void uiNeverReachesLibTorch() {
        expectNone(sourcesUnder(root_, QStringLiteral("ui"), false) + QStringList{QStringLiteral("app/main_gui.cpp")},
                   kLibTorch, "ui/ reaches a LibTorch header");
    }

    void uiReachesCoreThroughItsApiOnly() {
        expectNone(sourcesUnder(root_, QStringLiteral("ui"), false) + QStringList{QStringLiteral("app/main_gui.cpp")},
                   kCoreBeyondApi, "ui/ includes core beyond core/api and core/util");
    }

    void coreApiReachesNoOtherPartOfCore() {
        expectNone(sourcesUnder(root_, QStringLiteral("core/api"), false).filter(QStringLiteral(".h")), kCoreBeyondApi,
                   "core/api includes core beyond core/api and core/util");
    }

    void coreApiIsTorchFree() {
        expectNone(sourcesUnder(root_, QStringLiteral("core/api"), false).filter(QStringLiteral(".h")), kLibTorch,
                   "core/api reaches a LibTorch header");
    }

    void coreNeverIncludesQt() {
        expectNone(sourcesUnder(root_, QStringLiteral("core"), true), kQt, "core/ includes Qt");
    }

    void theCheckFindsAChain() {
        // The walker itself, on a header that does reach LibTorch (through state_dict.h).
        IncludeGraph graph(root_);
        const auto chain = graph.chainTo(QStringLiteral("core/checkpoint/flow_checkpoint.h"), kLibTorch);
        QVERIFY(chain.has_value());
        QCOMPARE(chain->first(), QStringLiteral("core/checkpoint/flow_checkpoint.h"));
        QVERIFY(chain->last().startsWith(QStringLiteral("<torch/")) ||
                chain->last().startsWith(QStringLiteral("<ATen/")));
        // ... and one from a header outside core/api into the rest of core.
        const auto inner = graph.chainTo(QStringLiteral("core/jobs/train_jobs.h"), kCoreBeyondApi);
        QVERIFY(inner.has_value());
        QCOMPARE(inner->last(), QStringLiteral("core/train/train_config.h"));
    }
};

QTEST_GUILESS_MAIN(TestLayering)
#include "test_layering.moc"
