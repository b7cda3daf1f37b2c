// ctest-labels: unit gui
// Checkpoints and activity from the window (#19 item 10): "Save as checkpoint" prefills the
// current context (system prompt, attachments and conversation) with the loaded model and the
// checkpoint shows in the Checkpoints dialog with the token count of the chat's own prompt
// encoding; after a restart the chat takes that context from it instead of prefilling; the Activity
// panel follows the window's events and team runs without a Refresh, and reads as sentences,
// not JSON, for every kind the agents and the window record.

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QJsonObject>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/engine/chat_format.h"
#include "atelier/engine/tokenizer.h"
#include "atelier/ui/attachment_model.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/sampling_settings.h"
#include "atelier/ui/context_panel.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/record_models.h"
#include "atelier/ui/record_views.h"
#include "atelier/ui/team_controller.h"
#include "loaded_tiny_model.h"

using namespace atelier;
using namespace atelier::ui;

namespace {

// Every row's Details as shown (DisplayRole).
QStringList details(const AuditRecordModel* m) {
    QStringList out;
    for (int r = 0; r < m->rowCount(); ++r) out << m->index(r, AuditRecordModel::Payload).data().toString();
    return out;
}

bool anyContains(const QStringList& rows, const QString& text) {
    for (const QString& r : rows)
        if (r.contains(text)) return true;
    return false;
}

}  // namespace

class TestWindowRecords : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AtelierWindowRecordsTest"));
    }

    void activityRowsAreReadable() {
        // The payloads as agents/ writes them (tool_gate.cpp, audited_tool_context.cpp,
        // agent_loop.cpp) and as the window writes them.
        struct Case {
            const char* kind;
            const char* payload;
            QStringList expected;
        };
        const QList<Case> cases = {
            {"tool_call", R"({"tool":"files_read","args":{"path":"notes.txt","start_line":3},"ok":true,"sources":1})",
             {"files_read", "path=notes.txt", "start_line=3", "ok"}},
            {"tool_call", R"({"tool":"shell","args":{"cmd":"ls"},"ok":false,"error":"denied by policy"})",
             {"shell", "failed", "denied by policy"}},
            {"approval", R"({"tool":"file_write","args":{"path":"out.md"},"decision":"allow","by":"user"})",
             {"Approved", "file_write", "path=out.md", "user"}},
            {"approval", R"({"tool":"file_write","args":{},"decision":"deny","by":"no approver"})",
             {"Denied", "file_write"}},
            {"policy_decision", R"({"tool":"file_write","decision":"ask","reason":"approval mode ask-writes"})",
             {"file_write", "ask", "approval mode ask-writes"}},
            {"policy_decision", R"({"path":"/etc/passwd","access":"read","allowed":false,"reason":"outside the grants"})",
             {"/etc/passwd", "deny", "outside the grants"}},
            {"file_read", R"({"path":"/docs/a.pdf"})", {"Read", "/docs/a.pdf"}},
            {"file_read", R"({"path":"/docs/a.pdf","attached":true,"tokens":1234})", {"Attached", "/docs/a.pdf", "1234"}},
            {"model_load", R"({"model":"tiny","path":"/models/tiny"})", {"Loaded", "tiny", "/models/tiny"}},
            {"prompt", R"({"instance":"writer","step":2,"messages":5})", {"step 2", "5 messages"}},
            {"prompt", R"({"text":"What does the contract say?","prompt_tokens":10})", {"What does the contract say?"}},
        };
        for (const Case& c : cases) {
            const QString line = auditSummary(QString::fromLatin1(c.kind), QString::fromUtf8(c.payload));
            QVERIFY2(!line.contains(QLatin1Char('{')) && !line.contains(QLatin1Char('"')), qPrintable(line));
            for (const QString& e : c.expected) QVERIFY2(line.contains(e), qPrintable(line + " lacks " + e));
        }
        QCOMPARE(auditKindLabel(QStringLiteral("tool_call")), QStringLiteral("Tool call"));
        // What is not understood is still shown whole.
        QCOMPARE(auditSummary(QStringLiteral("future_kind"), QStringLiteral(R"({"a":1})")), QStringLiteral(R"({"a":1})"));
        QCOMPARE(auditSummary(QStringLiteral("tool_call"), QStringLiteral("not json")), QStringLiteral("not json"));
        // The model shows the readable line, the tooltip the record itself.
        AuditRecordModel model;
        model.setRows({{1, "2026-01-01T00:00:00.000Z", "approval", "writer", cases[2].payload}});
        QVERIFY(model.index(0, AuditRecordModel::Payload).data().toString().startsWith("Approved"));
        QCOMPARE(model.index(0, AuditRecordModel::Payload).data(Qt::ToolTipRole).toString(), QString::fromUtf8(cases[2].payload));
        QCOMPARE(model.index(0, AuditRecordModel::Kind).data().toString(), QStringLiteral("Approval"));
    }

    void activityFollowsTheWindowAndTeamRuns() {
        QTemporaryDir dir;
        MainWindow window(dir.path());
        AuditPanel* panel = window.auditPanel();
        // A model load and an attachment read appear without a Refresh.
        ModelSummary s;
        s.path = dir.filePath("models/tiny");
        emit window.engineBridge()->loaded(s);
        QTRY_VERIFY_WITH_TIMEOUT(anyContains(details(panel->model()), "Loaded"), 5000);
        AttachmentModel* attachments = window.contextPanel()->attachments();
        QVERIFY(attachments->add(dir.filePath("notes.txt")));
        attachments->setRead(dir.filePath("notes.txt"), QStringLiteral("some text"), 42, 1, false);
        QTRY_VERIFY_WITH_TIMEOUT(anyContains(details(panel->model()), "Attached"), 5000);
        QVERIFY(anyContains(details(panel->model()), "42 tokens"));
        // A team run writes through its own connection; its events make the panel reload.
        {
            auto audit = agents::AuditLog::open(agents::DataPaths{dir.path().toStdString()}.auditDb());
            QVERIFY(audit.has_value());
            QVERIFY(audit->append(agents::AuditKind::Approval, "writer",
                                  {{"tool", "file_write"}, {"args", {{"path", "out.md"}}}, {"decision", "allow"}, {"by", "user"}})
                        .has_value());
        }
        QVERIFY(!anyContains(details(panel->model()), "Approved"));
        emit window.teamController()->eventApplied(QJsonObject{{QStringLiteral("kind"), QStringLiteral("step")}});
        QTRY_VERIFY_WITH_TIMEOUT(anyContains(details(panel->model()), "Approved file_write"), 5000);
        // And the trail they make together still verifies.
        emit panel->verifyRequested();
        QTRY_VERIFY_WITH_TIMEOUT(panel->verificationText().contains(QStringLiteral("chain intact")), 5000);
    }

    void saveAsCheckpointShowsInTheDialog() {
        QTemporaryDir dir;
        const QString modelPath = tiny_model::write(dir);
        QVERIFY(!modelPath.isEmpty());
        const QString context = QStringLiteral("The contract runs until March. Payment is due in 30 days.");
        const QString doc = dir.filePath("contract.txt");
        {
            QFile f(doc);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(context.toUtf8());
        }
        SamplingSettings sampling;
        sampling.systemPrompt = QStringLiteral("Answer from the contract only.");
        sampling.temperature = 0;
        sampling.maxTokens = 2;
        qint64 saved = 0;
        {
            MainWindow window(dir.path());
            QVERIFY(tiny_model::load(*window.engineBridge(), modelPath));
            window.chat()->setSampling(sampling);
            window.contextPanel()->addPath(doc);
            QTRY_VERIFY_WITH_TIMEOUT(window.contextPanel()->attachments()->text().contains(context), 10000);
            window.saveCheckpointAs(QStringLiteral("contract context"));
            CheckpointListModel* rows = window.checkpointsDialog()->model();
            QTRY_VERIFY2_WITH_TIMEOUT(rows->rowCount() == 1, qPrintable(window.statusBar()->currentMessage()), 60000);
            QCOMPARE(rows->rows().first().name, QStringLiteral("contract context"));
            // The tokens are the chat's own prompt: the session's system prompt and the attached
            // document in one system message (the system prompt was left out before).
            const std::vector<engine::ChatMessage> messages = window.chat()->chatMessages();
            QCOMPARE(messages.size(), std::size_t(1));
            QVERIFY(QString::fromStdString(messages[0].content.value_or("")).startsWith(sampling.systemPrompt));
            QVERIFY(QString::fromStdString(messages[0].content.value_or("")).contains(context));
            auto tok = engine::Tokenizer::forModel(modelPath.toStdString());
            QVERIFY(tok.has_value());
            auto ids = engine::encodeChatTokens(*tok, messages, engine::ChatEncodeOptions{});
            QVERIFY(ids.has_value());
            saved = qint64(ids->size());
            QCOMPARE(rows->rows().first().tokens, saved);
            QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().contains("saved"), 5000);

            // Without a name nothing is saved, and the reason is said.
            window.saveCheckpointAs(QStringLiteral("  "));
            QVERIFY(window.statusBar()->currentMessage().contains("name"));
        }
        // After a restart the window's chat takes that context from the checkpoint on disk (the
        // data folder's store is the loaded model's second prefix cache) instead of prefilling it.
        MainWindow window(dir.path());
        QVERIFY(tiny_model::load(*window.engineBridge(), modelPath));
        window.chat()->setSampling(sampling);
        window.contextPanel()->addPath(doc);
        QTRY_VERIFY_WITH_TIMEOUT(window.contextPanel()->attachments()->text().contains(context), 10000);
        QSignalSpy finished(window.engineBridge(), &EngineBridge::generationFinished);
        window.chat()->send(QStringLiteral("When is payment due?"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const auto stats = finished.first().at(1).value<GenerationStats>();
        QVERIFY2(stats.cachedTokens > 0 && stats.cachedTokens <= saved,
                 qPrintable(QStringLiteral("cached %1 of %2 (checkpoint %3)").arg(stats.cachedTokens).arg(stats.promptTokens).arg(saved)));
    }

    void saveWithoutAModelSaysWhy() {
        QTemporaryDir dir;
        MainWindow window(dir.path());
        window.saveCheckpointAs(QStringLiteral("x"));
        QVERIFY2(window.statusBar()->currentMessage().contains("Load a model"),
                 qPrintable(window.statusBar()->currentMessage()));
    }
};

QTEST_MAIN(TestWindowRecords)
#include "test_window_records.moc"
