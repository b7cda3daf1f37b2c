#pragma once
// commitHtml: a commit as rich text for the viewer: id, author, date, message, and the patch
// with added lines green, removed lines red and hunk headers blue.

#include <QString>

#include "commit_details.h"

namespace atelier::ui {

QString commitHtml(const CommitDetails& commit, bool dark);

}  // namespace atelier::ui
