// Diffusion Studio - the interface languages.
// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/translations.h"

#include "ui/app_settings.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace ds::ui {
namespace {

QTranslator* appTranslator() {
    static QTranslator* t = new QTranslator(QCoreApplication::instance());
    return t;
}

QTranslator* qtTranslator() {
    static QTranslator* t = new QTranslator(QCoreApplication::instance());
    return t;
}

}  // namespace

QList<QPair<QString, QString>> availableLanguages() {
    return {{QStringLiteral("en"), QStringLiteral("English")}, {QStringLiteral("zh_CN"), QStringLiteral("简体中文")}};
}

QString preferredLanguage() {
    const QString saved = appSettings().value(QStringLiteral("language")).toString();
    if (!saved.isEmpty()) return saved;
    const QString system = QLocale::system().name();
    for (const auto& [code, name] : availableLanguages())
        if (code == system) return code;
    return QStringLiteral("en");
}

bool installLanguage(const QString& code) {
    QCoreApplication::removeTranslator(appTranslator());
    QCoreApplication::removeTranslator(qtTranslator());
    if (code == QLatin1String("en")) return true;
    // The .qm files are embedded under :/i18n by qt_add_translations.
    if (!appTranslator()->load(QStringLiteral(":/i18n/diffusion-studio_%1.qm").arg(code))) return false;
    QCoreApplication::installTranslator(appTranslator());
    if (qtTranslator()->load(QStringLiteral("qtbase_%1").arg(code), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qtTranslator());
    return true;
}

}  // namespace ds::ui
