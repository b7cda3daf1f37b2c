#pragma once
// DocumentViewer: the source a citation points at, opened at its place — a PDF page with the
// cited passage highlighted (page navigation, zoom), a text or source file with the cited lines
// highlighted, syntax-coloured and scrolled into view, or a git commit (message, author, date,
// coloured diff). Files are read and pages rendered on worker threads (QtConcurrent); a result
// that arrives after the user opened something else is dropped. A file that cannot be shown
// (missing, damaged PDF, binary) shows a message instead.
// GUI thread only.

#include <QList>
#include <QRectF>
#include <QWidget>
#include <memory>

#include "atelier/ui/source_link.h"

class QLabel;
class QPlainTextEdit;
class QScrollArea;
class QSpinBox;
class QStackedWidget;
class QTextBrowser;
class QTimer;
class QToolButton;

namespace atelier::ui {

class CodeHighlighter;
class PdfPageView;
struct PdfPageRender;

class DocumentViewer : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Empty, Message, Pdf, Text, Commit };

    explicit DocumentViewer(QWidget* parent = nullptr);
    ~DocumentViewer() override;

    // Relative paths in links are resolved against this folder (default: the current folder).
    void setBaseFolder(const QString& folder) { m_baseFolder = folder; }
    // Opens `link` at its page, lines or commit; shown() follows when it is on screen.
    void open(const SourceLink& link);
    // The current PDF at another page (1-based) or zoom (1.0 = 100 %). Until setZoom is
    // called, PDF pages are fitted to the viewer's width.
    void showPage(int page);
    void setZoom(double zoom);

    Mode mode() const { return m_mode; }
    const SourceLink& current() const { return m_link; }
    QString message() const;            // the error shown, "" in the other modes
    // The toolbar's label: the file and, for a PDF, the page on screen ("paper.pdf, p. 4").
    QString title() const;
    int page() const { return m_page; }  // 1-based, 0 when no PDF is shown
    int pageCount() const { return m_pageCount; }
    double zoom() const { return m_zoom; }
    QList<QRectF> highlightRects() const;  // the passage on the PDF page, points
    PdfPageView* pdfView() const { return m_pdf; }
    QPlainTextEdit* textView() const { return m_text; }
    QTextBrowser* commitView() const { return m_commit; }

protected:
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;  // a theme change recolours the source view

signals:
    // What open(), showPage() or setZoom() asked for is on screen (or its error message is).
    void shown();

private:
    void buildToolbar(QWidget* bar);
    QString resolved(const QString& path) const;
    void requestPage();
    void showRender(const PdfPageRender& render);
    void openText(const QString& path);
    void showText(const QString& text);
    void openCommit(const QString& repository, const QString& revision);
    void showMessage(const QString& text);
    void setMode(Mode mode);
    void updateTitle();
    bool isDark() const;
    double fitZoom() const;

    SourceLink m_link;
    QString m_baseFolder;
    Mode m_mode = Mode::Empty;
    quint64 m_generation = 0;  // bumped per request; older results are dropped
    int m_page = 0;
    int m_pageCount = 0;
    double m_zoom = 1.0;
    bool m_fitWidth = true;
    int m_refits = 0;  // renders in a row that changed the zoom to fit the width
    double m_pageWidth = 0;  // points, of the page shown
    QTimer* m_refit = nullptr;

    QLabel* m_title = nullptr;
    QWidget* m_pdfControls = nullptr;
    QSpinBox* m_pageBox = nullptr;
    QLabel* m_pageTotal = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QScrollArea* m_pdfScroll = nullptr;
    PdfPageView* m_pdf = nullptr;
    QPlainTextEdit* m_text = nullptr;
    CodeHighlighter* m_highlighter = nullptr;
    QTextBrowser* m_commit = nullptr;
};

}  // namespace atelier::ui
