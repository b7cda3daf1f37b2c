#pragma once
// The keyword and type names the code highlighter colours, per language.

#include <QSet>
#include <QString>

#include "atelier/ui/code_highlighter.h"

namespace atelier::ui {

struct CodeKeywords {
    QSet<QString> keywords;
    QSet<QString> types;
};

const CodeKeywords& codeKeywords(CodeLanguage language);

}  // namespace atelier::ui
