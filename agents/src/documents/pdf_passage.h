#pragma once
// findPassage: where a cited snippet lies on a PDF page, as renderPdfPage reports it
// (document_service.h). Any thread; reads only the page it is given.

#include <string>
#include <vector>

#include "atelier/agents/document_service.h"

namespace poppler {
class page;
}

namespace atelier::agents::documents {

// Poppler's case-insensitive search for the whole (whitespace-simplified) snippet, every match
// on the page; when it finds nothing (odd spacing, punctuation, hyphenation, a passage over
// several lines), the first run of text boxes whose words equal the snippet's words, ignoring
// case and punctuation at word edges, joined into one rectangle per line.
std::vector<PdfRect> findPassage(const poppler::page& page, const std::string& snippet);

}  // namespace atelier::agents::documents
