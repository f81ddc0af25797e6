// The interface language: English (the source strings) or Simplified Chinese
// (translations/microfer_zh_CN.ts, compiled by lrelease and embedded in the program as the
// Qt resource :/i18n/microfer_zh_CN.qm, so the build tree and an installed copy find it alike).
#pragma once

#include <QLocale>
#include <QString>
#include <QStringList>

namespace microfer::gui {

/// The interface languages offered: "en" (the source strings) and "zh_CN".
QStringList uiLanguages();

/// The interface language for a locale: the first of its UI languages (QLocale::uiLanguages,
/// which follow LANGUAGE, LC_ALL, LC_MESSAGES and LANG) that is English or Chinese decides:
/// Simplified Chinese (zh_CN, zh_SG, zh-Hans) gives "zh_CN"; everything else, Traditional
/// Chinese included, gives "en".
QString uiLanguageFor(const QLocale& locale);

/// Makes `language` (one of uiLanguages()) the interface language of the running application:
/// removes the translators an earlier call installed, then installs MicroFER's and, where Qt's
/// own translations are installed (Debian: qt6-translations-l10n), qtbase_<language>.qm for
/// Qt's standard buttons and dialogs. Widgets made afterwards show the language.
/// Returns false, and leaves the interface English, where `language` has no translation (a
/// build without Qt's LinguistTools). Requires a QCoreApplication; GUI thread only.
bool setUiLanguage(const QString& language);

}  // namespace microfer::gui
