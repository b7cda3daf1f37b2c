#include "commit_details.h"

#include "atelier/agents/document_service.h"

namespace atelier::ui {

Result<CommitDetails> commitDetails(const QString& repository, const QString& revision) {
    auto read = agents::commitDetails(repository.toStdString(), revision.toStdString());
    if (!read) return unexpected(read.error());
    CommitDetails d;
    d.id = QString::fromStdString(read->id);
    d.author = QString::fromStdString(read->author);
    d.date = QString::fromStdString(read->date);
    d.message = QString::fromStdString(read->message);
    d.patch = QString::fromStdString(read->patch);
    d.truncated = read->truncated;
    return d;
}

}  // namespace atelier::ui
