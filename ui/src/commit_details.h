#pragma once
// commitDetails: one git commit as the document viewer shows it (id, author, date, message and
// the patch against its first parent), from the agents' document service
// (atelier/agents/document_service.h) as Qt strings.
// Blocking I/O: call it on a worker thread, never the GUI thread. Any thread may call it.

#include <QString>

#include "atelier/base/result.h"

namespace atelier::ui {

struct CommitDetails {
    QString id;        // 40 hex digits
    QString author;    // "Name <email>"
    QString date;      // ISO 8601 with the author's offset
    QString message;
    QString patch;     // unified diff against the first parent (or the empty tree)
    bool truncated = false;  // the patch was cut at agents::kMaxPatchBytes
};

// `repository` is a work tree or git folder (not searched upward); `revision` anything
// git rev-parse accepts ("" = HEAD). Errors name the repository and the revision.
Result<CommitDetails> commitDetails(const QString& repository, const QString& revision);

}  // namespace atelier::ui
