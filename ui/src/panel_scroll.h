#pragma once
// The scroll area around a dock's panel (Context, Team): the panel is laid out at the dock's
// size and scrolls only below its true minimum for that width. QScrollArea's own resizing
// (widgetResizable) takes a word-wrapped label's layout at its *preferred* height for the
// width, lists and trees included, so a panel with one wrapped line scrolled in a dock that
// had room for everything (#19, the right column at 1280×800).
#include <QScrollArea>

namespace atelier::ui {

class PanelScroll : public QScrollArea {
public:
    // Takes `panel`; the area is named after it ("<panel>Scroll").
    explicit PanelScroll(QWidget* panel, QWidget* parent = nullptr);

    // The least height `panel` can be laid out at when `width` wide: its layout's minimum for
    // that width (wrapped labels at their wrapped heights, lists and trees at their minimum).
    static int minimumHeight(const QWidget* panel, int width);

protected:
    void resizeEvent(QResizeEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void fit();
};

}  // namespace atelier::ui
