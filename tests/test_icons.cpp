// Tests of the application icon: the SVG renders through Qt's svg image plugin (package libqt6svg6,
// the one the installed app uses for its window icon) and the PNG renditions have their sizes.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QColor>
#include <QGuiApplication>
#include <QImage>
#include <QImageReader>
#include <QtTest>

class TestIcons : public QObject {
    Q_OBJECT

private:
    static QString icon(const QString& name) { return QStringLiteral(DS_ICON_DIR "/") + name; }

private Q_SLOTS:
    void svgRendersAtEverySize_data() {
        QTest::addColumn<int>("size");
        QTest::newRow("16") << 16;
        QTest::newRow("32") << 32;
        QTest::newRow("256") << 256;
        QTest::newRow("512") << 512;
    }

    void svgRendersAtEverySize() {
        QFETCH(int, size);
        QVERIFY2(QImageReader::supportedImageFormats().contains(QByteArrayLiteral("svg")),
                 "Qt has no svg image plugin: install libqt6svg6 (packaging/install-deps.sh)");
        QImageReader reader(icon(QStringLiteral("diffusion-studio.svg")));
        QCOMPARE(reader.format(), QByteArrayLiteral("svg"));
        reader.setScaledSize(QSize(size, size));
        const QImage image = reader.read();
        QVERIFY2(!image.isNull(), qPrintable(reader.errorString()));
        QCOMPARE(image.size(), QSize(size, size));
        // The corners are transparent (rounded square), the centre is the orange dot (at 16 px the
        // dot is under two pixels wide and blends with the background).
        QCOMPARE(image.pixelColor(0, 0).alpha(), 0);
        if (size < 32) return;
        const QColor centre = image.pixelColor(size / 2, size / 2);
        QCOMPARE(centre.alpha(), 255);
        QVERIFY2(centre.red() > 200 && centre.green() > 130 && centre.blue() < 100, qPrintable(centre.name()));
    }

    void pngRenditionsHaveTheirSizes_data() {
        QTest::addColumn<int>("size");
        QTest::newRow("32") << 32;
        QTest::newRow("64") << 64;
        QTest::newRow("256") << 256;
    }

    void pngRenditionsHaveTheirSizes() {
        QFETCH(int, size);
        const QImage image(icon(QStringLiteral("diffusion-studio-%1.png").arg(size)));
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(size, size));
        QVERIFY(image.hasAlphaChannel());
    }
};

QTEST_MAIN(TestIcons)
#include "test_icons.moc"
