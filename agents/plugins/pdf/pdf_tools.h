#pragma once
// The PDF plugin's tools. Each is stateless; paths go through ToolContext::resolve. Every
// result cites the pages it came from (SourceRef kind "pdf", page 1-based).

#include <memory>

#include "atelier/agents/tool.h"
#include "pdf_document.h"

namespace atelier::agents::pdf {

std::unique_ptr<Tool> makePdfInfo();
std::unique_ptr<Tool> makePdfRead();
std::unique_ptr<Tool> makePdfSearch();

inline constexpr int kMaxInfoPageSizes = 200;  // page sizes listed by pdf_info
inline constexpr int kMaxSearchHits = 50;
// Pages pdf_search and pdf_read scan in one call (a 5,000-page PDF is searched in pages), and
// both stop earlier at the call's deadline (ToolContext::expired) with a way to continue.
inline constexpr int kMaxSearchPages = 500;
inline constexpr std::size_t kExcerptBytes = 240;

// Resolves args["path"] for reading and opens the PDF; `shown` receives the path as results
// name it (relative to the workspace when inside it).
Result<PdfDocument> openPdf(const nlohmann::json& args, const ToolContext& ctx, std::string& shown);

SourceRef pdfSource(const std::string& shown, int page);

}  // namespace atelier::agents::pdf
