// The shipped translations are complete: every message of every .ts file is translated, keeps
// the placeholders (%1, %2...) of its source, and the compiled .qm is embedded in the app.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
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
      m.translation = xml.readElementText();
      out << m;
    }
  }
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
        QVERIFY2(!m.unfinished && !m.translation.isEmpty(), qPrintable(QStringLiteral("untranslated: ") + where));
        QVERIFY2(placeholders(m.source) == placeholders(m.translation), qPrintable(QStringLiteral("placeholders differ: ") + where));
      }
    }
  }

  void compiledTranslationIsEmbedded() {
    QTranslator translator;
    QVERIFY(translator.load(QStringLiteral(":/i18n/diffusion-studio_zh_CN.qm")));
    QCOMPARE(translator.translate("ds::ui::MainWindow", "Train"), QStringLiteral("训练"));
  }
};

QTEST_MAIN(TestTranslations)
#include "test_translations.moc"
