#include "translations.hpp"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QPointer>
#include <QTranslator>

namespace microfer::gui {

namespace {

const QString kEnglish = QStringLiteral("en");
const QString kSimplifiedChinese = QStringLiteral("zh_CN");

/// The translators installed by the last setUiLanguage(), owned by the application.
QPointer<QTranslator>& ownTranslator() {
  static QPointer<QTranslator> t;
  return t;
}
QPointer<QTranslator>& qtTranslator() {
  static QPointer<QTranslator> t;
  return t;
}

void removeTranslator(QPointer<QTranslator>& t) {
  if (!t) return;
  QCoreApplication::removeTranslator(t);
  delete t;
}

}  // namespace

QStringList uiLanguages() {
  return {kEnglish, kSimplifiedChinese};
}

QString uiLanguageFor(const QLocale& locale) {
  for (const QString& name : locale.uiLanguages()) {
    const QLocale l(name);
    if (l.language() == QLocale::English) return kEnglish;
    if (l.language() == QLocale::Chinese)
      return l.script() == QLocale::TraditionalHanScript ? kEnglish : kSimplifiedChinese;
  }
  return kEnglish;
}

bool setUiLanguage(const QString& language) {
  removeTranslator(ownTranslator());
  removeTranslator(qtTranslator());
  if (language == kEnglish) return true;
  if (!uiLanguages().contains(language)) return false;
  auto* own = new QTranslator(QCoreApplication::instance());
  if (!own->load(QStringLiteral(":/i18n/microfer_%1.qm").arg(language))) {
    delete own;
    return false;
  }
  QCoreApplication::installTranslator(own);
  ownTranslator() = own;
  auto* qt = new QTranslator(QCoreApplication::instance());
  if (qt->load(QStringLiteral("qtbase_%1").arg(language),
               QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
    QCoreApplication::installTranslator(qt);
    qtTranslator() = qt;
  } else {
    delete qt;  // optional: Qt's own buttons then stay English
  }
  return true;
}

}  // namespace microfer::gui
