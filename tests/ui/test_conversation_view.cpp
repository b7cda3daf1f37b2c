// ctest-labels: unit gui
// The conversation renders each turn as Markdown: reasoning collapsed until its link is
// clicked, tool calls as cards that expand to their arguments and result, code blocks with a
// Copy link that copies exactly the block. The sessions search keeps sessions whose title or
// messages (full-text hits) match, and passes Qt's model checks.

#include <QAbstractItemModelTester>
#include <QClipboard>
#include <QGuiApplication>
#include <QSignalSpy>
#include <QtTest>

#include "atelier/ui/conversation_view.h"
#include "atelier/ui/session_list_model.h"
#include "atelier/ui/session_filter_proxy.h"

using namespace atelier::ui;

namespace {
QList<ChatTurn> sampleTurns() {
    ChatTurn user{atelier::engine::ChatRole::User, QStringLiteral("How do I exit?"), {}, {}, {}, 1, false};
    ChatTurn answer;
    answer.role = atelier::engine::ChatRole::Assistant;
    answer.reasoning = QStringLiteral("The user wants a C program that exits");
    answer.content = QStringLiteral("Use this:\n\n```c\nint main() { return 0; }\n```\n\nDone.");
    answer.toolCalls.append({QStringLiteral("file_read"), QStringLiteral("{\"path\": \"a.c\"}"),
                             QStringLiteral("int x;")});
    return {user, answer};
}
}  // namespace

class TestConversationView : public QObject {
    Q_OBJECT
private slots:
    void reasoningAndToolCardsExpandOnlyWhenAsked() {
        const auto turns = sampleTurns();
        const auto closed = renderConversation(turns, {}, {}, QStringLiteral("demo"));
        QVERIFY(closed.markdown.contains(QStringLiteral("Reasoning (8 words)")));
        QVERIFY(!closed.markdown.contains(QStringLiteral("C program that exits")));
        QVERIFY(closed.markdown.contains(QStringLiteral("file_read")));
        QVERIFY(!closed.markdown.contains(QStringLiteral("\"path\"")));
        const auto open = renderConversation(turns, {1}, {QStringLiteral("1.0")}, QStringLiteral("demo"));
        QVERIFY(open.markdown.contains(QStringLiteral("> The user wants a C program that exits")));
        QVERIFY(open.markdown.contains(QStringLiteral("{\"path\": \"a.c\"}")));
        QVERIFY(open.markdown.contains(QStringLiteral("int x;")));
        QCOMPARE(open.codeBlocks, QStringList{QStringLiteral("int main() { return 0; }")});
    }

    void clickingLinksTogglesAndCopies() {
        ConversationView view;
        view.setTurns(sampleTurns(), true);
        QVERIFY(!view.toPlainText().contains(QStringLiteral("C program that exits")));
        emit view.anchorClicked(QUrl(QStringLiteral("reasoning:1")));
        QVERIFY(view.toPlainText().contains(QStringLiteral("C program that exits")));
        emit view.anchorClicked(QUrl(QStringLiteral("reasoning:1")));
        QVERIFY(!view.toPlainText().contains(QStringLiteral("C program that exits")));
        QSignalSpy copied(&view, &ConversationView::codeCopied);
        emit view.anchorClicked(QUrl(QStringLiteral("copy:0")));
        QCOMPARE(copied.size(), 1);
        QCOMPARE(copied.first().first().toString(), QStringLiteral("int main() { return 0; }"));
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("int main() { return 0; }"));
        // The code block itself is rendered as code, not as literal fences.
        QVERIFY(!view.toPlainText().contains(QStringLiteral("```")));
    }

    void streamingRendersAreThrottled() {
        ConversationView view;
        QList<ChatTurn> turns = sampleTurns();
        const int before = view.renderCount();
        for (int i = 0; i < 200; ++i) {
            turns.last().content += QStringLiteral("x");
            view.setTurns(turns);
        }
        QVERIFY(view.renderCount() - before <= 1);
        QTRY_VERIFY(view.toPlainText().contains(QStringLiteral("xxxxxxxxxx")));
    }

    void searchKeepsTitleAndFullTextMatches() {
        SessionListModel model;
        SessionFilterProxy proxy;
        proxy.setSourceModel(&model);
        proxy.setRecursiveFilteringEnabled(true);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto row = [](qint64 id, const char* title, bool fav) {
            SessionRow r;
            r.id = id;
            r.title = QString::fromUtf8(title);
            r.favourite = fav;
            r.kind = QStringLiteral("chat");
            return r;
        };
        model.setSessions({row(1, "Contract review", true), row(2, "Weather", false), row(3, "Taxes", false)});
        auto visible = [&] {
            QList<qint64> ids;
            for (int g = 0; g < proxy.rowCount(); ++g)
                for (int r = 0; r < proxy.rowCount(proxy.index(g, 0)); ++r)
                    ids << proxy.index(r, 0, proxy.index(g, 0)).data(SessionListModel::SessionIdRole).toLongLong();
            std::sort(ids.begin(), ids.end());
            return ids;
        };
        QCOMPARE(visible(), (QList<qint64>{1, 2, 3}));
        proxy.setQuery(QStringLiteral("weath"));  // title match
        QCOMPARE(visible(), (QList<qint64>{2}));
        proxy.setQuery(QStringLiteral("invoice"));  // no title matches until the index answers
        QCOMPARE(visible(), (QList<qint64>{}));
        proxy.setMatches(QStringLiteral("invoice"), {1, 3});
        QCOMPARE(visible(), (QList<qint64>{1, 3}));
        proxy.setMatches(QStringLiteral("stale query"), {2});  // an answer to an older query
        QCOMPARE(visible(), (QList<qint64>{1, 3}));
        proxy.setQuery({});
        QCOMPARE(visible(), (QList<qint64>{1, 2, 3}));
    }
};

QTEST_MAIN(TestConversationView)
#include "test_conversation_view.moc"
