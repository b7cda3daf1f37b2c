#pragma once
// documentText: the text of something the user attaches to the context — a text or source
// file, a PDF (page by page), or a folder (its text files, recursively, hidden entries and .git
// skipped) — from the agents' document service (atelier/agents/document_service.h) as a
// QString. Capped so that a huge folder cannot exhaust memory. Blocking I/O: call it on a worker
// thread (EngineBridge does), never the GUI thread.

#include <QString>

#include "atelier/agents/document_service.h"
#include "atelier/base/result.h"

namespace atelier::ui {

struct DocumentText {
    QString text;      // each file as "<document path=...>\n...\n</document>"
    int files = 0;
    bool truncated = false;  // the cap was reached: something was left out
};

inline constexpr qint64 kMaxDocumentBytes = qint64(agents::kMaxDocumentBytes);  // of UTF-8 text

Result<DocumentText> documentText(const QString& path, qint64 maxBytes = kMaxDocumentBytes);

}  // namespace atelier::ui
