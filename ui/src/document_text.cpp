#include "document_text.h"

namespace atelier::ui {

Result<DocumentText> documentText(const QString& path, qint64 maxBytes) {
    if (maxBytes <= 0) return unexpected(Error::usage("reading " + path.toStdString() + ": the byte cap must be positive"));
    auto read = agents::documentText(path.toStdString(), std::size_t(maxBytes));
    if (!read) return unexpected(read.error());
    DocumentText out;
    out.text = QString::fromStdString(read->text);
    out.files = read->files;
    out.truncated = read->truncated;
    return out;
}

}  // namespace atelier::ui
