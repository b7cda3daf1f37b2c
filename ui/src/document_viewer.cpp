#include "atelier/ui/document_viewer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "atelier/ui/code_highlighter.h"
#include "commit_details.h"
#include "commit_html.h"
#include "pdf_page_render.h"
#include "atelier/ui/pdf_page_view.h"

namespace atelier::ui {
namespace {

constexpr qint64 kMaxTextBytes = 8 * 1024 * 1024;
constexpr qsizetype kMaxHighlightChars = 1024 * 1024;
constexpr double kMinZoom = 0.25;
constexpr double kMaxZoom = 4.0;

struct TextLoad {
    QString text;
    QString error;
};

// Runs on a worker thread: the file's text, or why it cannot be shown.
TextLoad loadText(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {{}, QObject::tr("%1: %2").arg(path, f.errorString())};
    const QByteArray bytes = f.read(kMaxTextBytes);
    if (bytes.left(8000).contains('\0')) return {{}, QObject::tr("%1: a binary file, not shown").arg(path)};
    TextLoad t{QString::fromUtf8(bytes), {}};
    if (!f.atEnd()) t.text += QObject::tr("\n[… the file is longer than %1 MiB; the rest is not shown]").arg(kMaxTextBytes >> 20);
    return t;
}

struct CommitLoad {
    QString html;
    QString error;
};

// `work` on the global thread pool; `done` on `owner`'s (the GUI) thread, unless `owner` is
// gone by then.
template <typename T, typename Work, typename Done>
void runInWorker(QObject* owner, Work work, Done done) {
    auto* watcher = new QFutureWatcher<T>(owner);
    QObject::connect(watcher, &QFutureWatcher<T>::finished, owner, [watcher, done] {
        done(watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

QToolButton* toolButton(const QString& text, const QString& tip, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}

}  // namespace

DocumentViewer::DocumentViewer(QWidget* parent) : QWidget(parent), m_baseFolder(QDir::currentPath()) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QWidget(this);
    buildToolbar(bar);
    layout->addWidget(bar);

    m_stack = new QStackedWidget(this);
    m_message = new QLabel(tr("Click a source in the conversation to open it here."), m_stack);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_pdfScroll = new QScrollArea(m_stack);
    m_pdfScroll->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_pdf = new PdfPageView(m_pdfScroll);
    m_pdfScroll->setWidget(m_pdf);
    m_text = new QPlainTextEdit(m_stack);
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_highlighter = new CodeHighlighter(m_text->document(), CodeLanguage::None, isDark());
    m_commit = new QTextBrowser(m_stack);
    m_commit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    for (QWidget* w : {static_cast<QWidget*>(m_message), static_cast<QWidget*>(m_pdfScroll),
                       static_cast<QWidget*>(m_text), static_cast<QWidget*>(m_commit)})
        m_stack->addWidget(w);
    layout->addWidget(m_stack, 1);
    setMode(Mode::Empty);
    // A resized viewer fits the page again once the user stops dragging.
    m_refit = new QTimer(this);
    m_refit->setSingleShot(true);
    m_refit->setInterval(150);
    connect(m_refit, &QTimer::timeout, this, [this] {
        const double fit = fitZoom();
        if (m_mode != Mode::Pdf || !m_fitWidth || qAbs(fit - m_zoom) <= 0.02 * m_zoom) return;
        m_zoom = fit;
        requestPage();
    });
}

DocumentViewer::~DocumentViewer() = default;

void DocumentViewer::buildToolbar(QWidget* bar) {
    auto* row = new QHBoxLayout(bar);
    row->setContentsMargins(4, 2, 4, 2);
    m_title = new QLabel(bar);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // A long file name is cut, not a reason for the dock (and the window) to grow: at 1024 px
    // the Viewer's column would push the window past the screen and squeeze the other docks.
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_title->setMinimumWidth(60);
    row->addWidget(m_title, 1);
    m_pdfControls = new QWidget(bar);
    auto* pdfRow = new QHBoxLayout(m_pdfControls);
    pdfRow->setContentsMargins(0, 0, 0, 0);
    auto* prev = toolButton(QStringLiteral("◀"), tr("Previous page"), m_pdfControls);
    m_pageBox = new QSpinBox(m_pdfControls);
    m_pageBox->setRange(1, 1);
    m_pageBox->setKeyboardTracking(false);
    m_pageTotal = new QLabel(m_pdfControls);
    auto* next = toolButton(QStringLiteral("▶"), tr("Next page"), m_pdfControls);
    auto* zoomOut = toolButton(QStringLiteral("−"), tr("Zoom out"), m_pdfControls);
    m_zoomLabel = new QLabel(m_pdfControls);
    auto* zoomIn = toolButton(QStringLiteral("+"), tr("Zoom in"), m_pdfControls);
    for (QWidget* w : {static_cast<QWidget*>(prev), static_cast<QWidget*>(m_pageBox), static_cast<QWidget*>(m_pageTotal),
                       static_cast<QWidget*>(next), static_cast<QWidget*>(zoomOut), static_cast<QWidget*>(m_zoomLabel),
                       static_cast<QWidget*>(zoomIn)})
        pdfRow->addWidget(w);
    row->addWidget(m_pdfControls);
    connect(prev, &QToolButton::clicked, this, [this] { showPage(m_page - 1); });
    connect(next, &QToolButton::clicked, this, [this] { showPage(m_page + 1); });
    connect(m_pageBox, &QSpinBox::valueChanged, this, [this](int p) {
        if (p != m_page) showPage(p);
    });
    connect(zoomOut, &QToolButton::clicked, this, [this] { setZoom(m_zoom / 1.25); });
    connect(zoomIn, &QToolButton::clicked, this, [this] { setZoom(m_zoom * 1.25); });
}

QString DocumentViewer::resolved(const QString& path) const {
    return QFileInfo(path).isAbsolute() ? path : QDir(m_baseFolder).filePath(path);
}

void DocumentViewer::open(const SourceLink& link) {
    m_link = link;
    m_link.path = resolved(link.path.isEmpty() ? QStringLiteral(".") : link.path);
    m_title->setToolTip(m_link.path);
    if (link.kind == QLatin1String("pdf")) {
        m_page = qMax(1, link.page);
        m_pageCount = 0;
        updateTitle();
        requestPage();
    } else if (link.kind == QLatin1String("git")) {
        openCommit(m_link.path, link.commit);
    } else {
        openText(m_link.path);
    }
    if (link.kind != QLatin1String("pdf")) updateTitle();
}

// The label names the page on screen (m_page, 1-based like SourceLink::page), not the cited one.
void DocumentViewer::updateTitle() {
    SourceLink shown = m_link;
    shown.path = QFileInfo(m_link.path).fileName().isEmpty() ? m_link.path : QFileInfo(m_link.path).fileName();
    if (m_link.kind == QLatin1String("pdf") && m_page > 0) shown.page = m_page;
    m_title->setText(sourceLabel(shown));
}

QString DocumentViewer::title() const { return m_title->text(); }

void DocumentViewer::showPage(int page) {
    if (m_link.kind != QLatin1String("pdf") || m_pageCount <= 0) return;
    const int p = qBound(1, page, m_pageCount);
    if (p == m_page) return;
    m_page = p;
    requestPage();
}

void DocumentViewer::setZoom(double zoom) {
    m_fitWidth = false;
    const double z = qBound(kMinZoom, zoom, kMaxZoom);
    if (qFuzzyCompare(z, m_zoom)) return;
    m_zoom = z;
    if (m_link.kind == QLatin1String("pdf") && m_pageCount > 0) requestPage();
}

// The passage is only searched on the cited page; elsewhere the page is shown plain.
void DocumentViewer::requestPage() {
    const quint64 generation = ++m_generation;
    const QString path = m_link.path;
    const int page = m_page;
    const QString snippet = m_page == qMax(1, m_link.page) ? m_link.snippet : QString();
    const double dpi = 72.0 * PdfPageView::pixelsPerPoint(m_zoom) * devicePixelRatioF();
    runInWorker<PdfPageRender>(
        this, [path, page, dpi, snippet] { return renderPdfPage(path, page, dpi, snippet); },
        [this, generation](const PdfPageRender& r) {
            if (generation == m_generation) showRender(r);
        });
}

void DocumentViewer::showRender(const PdfPageRender& r) {
    if (!r.error.isEmpty()) return showMessage(r.error);
    m_page = r.page;
    m_pageCount = r.pageCount;
    // Fitting to the width needs the page's size and the laid-out viewer: a second render at
    // most twice per page (the first one also makes the scroll bar appear).
    m_pageWidth = r.pageSize.width();
    const double fit = fitZoom();
    if (m_fitWidth && m_refits < 2 && qAbs(fit - m_zoom) > 0.02 * m_zoom) {
        ++m_refits;
        m_zoom = fit;
        return requestPage();
    }
    m_refits = 0;
    QImage image = r.image;
    image.setDevicePixelRatio(devicePixelRatioF());
    m_pdf->setPage(image, r.pageSize, m_zoom, r.highlights);
    {
        const QSignalBlocker block(m_pageBox);
        m_pageBox->setRange(1, r.pageCount);
        m_pageBox->setValue(r.page);
    }
    m_pageTotal->setText(tr("of %1").arg(r.pageCount));
    updateTitle();
    m_zoomLabel->setText(QStringLiteral("%1 %").arg(qRound(m_zoom * 100)));
    setMode(Mode::Pdf);
    if (!r.highlights.isEmpty()) {
        const QRectF first = m_pdf->toWidget(r.highlights.first());
        const QSize view = m_pdfScroll->viewport()->size();
        m_pdfScroll->ensureVisible(qRound(first.center().x()), qRound(first.center().y()), view.width() / 3, view.height() / 3);
    }
    emit shown();
}

void DocumentViewer::openText(const QString& path) {
    const quint64 generation = ++m_generation;
    runInWorker<TextLoad>(this, [path] { return loadText(path); }, [this, generation](const TextLoad& t) {
        if (generation != m_generation) return;
        if (!t.error.isEmpty()) return showMessage(t.error);
        showText(t.text);
    });
}

void DocumentViewer::showText(const QString& text) {
    // Colouring runs on this thread over the whole text: large files are shown plain.
    m_highlighter->setLanguage(text.size() > kMaxHighlightChars ? CodeLanguage::None : languageForPath(m_link.path));
    m_text->setPlainText(text);
    setMode(Mode::Text);
    QList<QTextEdit::ExtraSelection> marks;
    const int first = m_link.firstLine;
    const int last = qMax(first, m_link.lastLine);
    const QColor shade = isDark() ? QColor(90, 80, 20) : QColor(255, 243, 176);
    for (int line = first; line >= 1 && line <= last; ++line) {
        const QTextBlock block = m_text->document()->findBlockByNumber(line - 1);
        if (!block.isValid()) break;
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(block);
        mark.format.setBackground(shade);
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        marks << mark;
    }
    m_text->setExtraSelections(marks);
    if (!marks.isEmpty()) {
        m_text->setTextCursor(marks.first().cursor);
        m_text->centerCursor();
    }
    emit shown();
}

void DocumentViewer::openCommit(const QString& repository, const QString& revision) {
    const quint64 generation = ++m_generation;
    const bool dark = isDark();
    runInWorker<CommitLoad>(
        this,
        [repository, revision, dark] {
            auto details = commitDetails(repository, revision);
            if (!details) return CommitLoad{{}, QString::fromStdString(details.error().message)};
            return CommitLoad{commitHtml(*details, dark), {}};
        },
        [this, generation](const CommitLoad& c) {
            if (generation != m_generation) return;
            if (!c.error.isEmpty()) return showMessage(c.error);
            m_commit->setHtml(c.html);
            setMode(Mode::Commit);
            emit shown();
        });
}

void DocumentViewer::showMessage(const QString& text) {
    m_message->setText(text);
    m_pdf->clear();
    m_page = 0;
    m_pageCount = 0;
    setMode(Mode::Message);
    emit shown();
}

// The zoom at which the page fills the viewer's width beside a vertical scroll bar (the stack's
// width: a hidden scroll area's viewport has no size yet).
double DocumentViewer::fitZoom() const {
    const int room = m_stack->width() - m_pdfScroll->verticalScrollBar()->sizeHint().width() - 2 * m_pdfScroll->frameWidth() - 2;
    if (room < 100 || m_pageWidth <= 0) return m_zoom;
    return qBound(kMinZoom, room / PdfPageView::pixelsPerPoint(1.0) / m_pageWidth, kMaxZoom);
}

void DocumentViewer::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (m_mode == Mode::Pdf && m_fitWidth) m_refit->start();
}

void DocumentViewer::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_highlighter) m_highlighter->setDark(isDark());
}

QString DocumentViewer::message() const { return m_mode == Mode::Message ? m_message->text() : QString(); }

QList<QRectF> DocumentViewer::highlightRects() const {
    return m_mode == Mode::Pdf ? m_pdf->highlights() : QList<QRectF>();
}

void DocumentViewer::setMode(Mode mode) {
    m_mode = mode;
    m_pdfControls->setVisible(mode == Mode::Pdf);
    switch (mode) {
        case Mode::Empty:
        case Mode::Message: m_stack->setCurrentWidget(m_message); break;
        case Mode::Pdf: m_stack->setCurrentWidget(m_pdfScroll); break;
        case Mode::Text: m_stack->setCurrentWidget(m_text); break;
        case Mode::Commit: m_stack->setCurrentWidget(m_commit); break;
    }
}

bool DocumentViewer::isDark() const { return palette().color(QPalette::Base).lightness() < 128; }

}  // namespace atelier::ui
