// ctest-labels: unit gui
// The Checkpoints view lists the data folder's KV checkpoints and deletes and renames them, the
// audit view lists, filters and verifies the audit trail, and Settings persist in QSettings —
// all through the records worker, off the GUI thread. Every table passes Qt's model checks.

#include <QAbstractItemModelTester>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/audit_log.h"
#include "atelier/agents/data_paths.h"
#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model.h"
#include "atelier/engine/model_fingerprint.h"
#include "atelier/engine/weight_source.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/record_models.h"
#include "atelier/ui/record_views.h"
#include "atelier/ui/settings_dialog.h"

using namespace atelier;
using namespace atelier::ui;

class TestRecords : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AtelierRecordsTest"));
        const agents::DataPaths paths{m_dir.path().toStdString()};
        // Two checkpoints of a tiny random model: 40 and 80 tokens.
        QDir().mkpath(QString::fromStdString(paths.kvCacheDir().string()));
        auto store = engine::CheckpointStore::open(paths.kvCacheDb());
        QVERIFY(store.has_value());
        auto config = engine::presetConfig("tiny");
        auto model = engine::Model::load(engine::randomWeights(*config, 7));
        QVERIFY(model.has_value());
        const auto fp = engine::modelFingerprint(*config, engine::Numerics::Release, 7, 1);
        for (int n : {40, 80}) {
            auto seq = (*model)->newSequence();
            std::vector<std::int32_t> tokens(std::size_t(n), 65);
            std::vector<float> logits;
            QVERIFY((*model)->forward(seq, tokens, engine::LogitsRequest::Last, logits).has_value());
            QVERIFY(store->save(fp, seq, {}, n == 40 ? "short" : "").has_value());
        }
        auto audit = agents::AuditLog::open(paths.auditDb());
        QVERIFY(audit.has_value());
        QVERIFY(audit->append(agents::AuditKind::ModelLoad, "user", {{"path", "/models/a"}}).has_value());
        QVERIFY(audit->append(agents::AuditKind::ToolCall, "reader", {{"tool", "file_read"}}).has_value());
        QVERIFY(audit->append(agents::AuditKind::ToolCall, "writer", {{"tool", "file_write"}}).has_value());
    }

    void checkpointsListDeleteAndRename() {
        MainWindow window(m_dir.path());
        CheckpointsDialog* dialog = window.checkpointsDialog();
        CheckpointListModel* model = dialog->model();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.showCheckpoints();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, 5000);
        QList<qint64> tokens;
        qint64 autoId = 0, namedId = 0;
        for (const auto& r : model->rows()) {
            tokens << r.tokens;
            (r.name.isEmpty() ? autoId : namedId) = r.id;
            QVERIFY(r.bytes > 0);
        }
        std::sort(tokens.begin(), tokens.end());
        QCOMPARE(tokens, (QList<qint64>{40, 80}));
        emit dialog->renameRequested(autoId, QStringLiteral("contract prefix"));
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(model->rows().begin(), model->rows().end(), [](const CheckpointRow& r) {
            return r.name == QStringLiteral("contract prefix");
        }), 5000);
        // A name in use is refused and reported; nothing changes.
        QSignalSpy reset(model, &QAbstractItemModel::modelReset);
        emit dialog->renameRequested(autoId, QStringLiteral("short"));
        QVERIFY(reset.wait(5000));
        QTRY_VERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Cannot rename")));
        emit dialog->deleteRequested(namedId);
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, 5000);
        QCOMPARE(model->rows().first().name, QStringLiteral("contract prefix"));
        auto store = engine::CheckpointStore::open(agents::DataPaths{m_dir.path().toStdString()}.kvCacheDb());
        QCOMPARE(int(store->list()->size()), 1);
    }

    void auditListsFiltersAndVerifies() {
        MainWindow window(m_dir.path());
        AuditPanel* panel = window.auditPanel();
        QAbstractItemModelTester tester(panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 3, 5000);
        panel->setFilter(QStringLiteral("file_write"));
        QCOMPARE(panel->filtered()->rowCount(), 1);
        QCOMPARE(panel->filtered()->index(0, AuditRecordModel::Actor).data().toString(), QStringLiteral("writer"));
        panel->setFilter({});
        emit panel->verifyRequested();
        QTRY_VERIFY_WITH_TIMEOUT(panel->verificationText().contains(QStringLiteral("3 records, chain intact")), 5000);
    }

    void auditVerifyReportsATamperedRecord() {
        QTemporaryDir dir;
        const auto db = agents::DataPaths{dir.path().toStdString()}.auditDb();
        {
            auto audit = agents::AuditLog::open(db);
            QVERIFY(audit.has_value());
            for (int i = 0; i < 3; ++i)
                QVERIFY(audit->append(agents::AuditKind::Prompt, "user", {{"n", i}}).has_value());
            // As someone with the file and an SQLite shell could: drop the guard, edit a record.
            QVERIFY(audit->database().exec("DROP TRIGGER audit_log_no_update").has_value());
            QVERIFY(audit->database().exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").has_value());
        }
        MainWindow window(dir.path());
        AuditPanel* panel = window.auditPanel();
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 3, 5000);
        emit panel->verifyRequested();
        QTRY_VERIFY_WITH_TIMEOUT(panel->verificationText().contains(QStringLiteral("Broken at record 2")), 5000);
    }

    void settingsRoundTripThroughQSettings() {
        AppSettings a;
        a.threads = 3;
        a.backend = QStringLiteral("cpu");
        a.kvBudgetGiB = 2.5;
        a.kvStrategy = QStringLiteral("periodic");
        a.grants = {{QStringLiteral("/docs"), false}, {QStringLiteral("/work/out"), true}};
        a.approvalMode = QStringLiteral("ask-all");
        SettingsDialog dialog(a);
        const AppSettings shown = dialog.settings();  // what the dialog's fields hold
        shown.save();
        const AppSettings back = AppSettings::load();
        QCOMPARE(back.threads, 3);
        QCOMPARE(back.backend, QStringLiteral("cpu"));
        QCOMPARE(back.kvBudgetGiB, 2.5);
        QCOMPARE(back.kvStrategy, QStringLiteral("periodic"));
        QCOMPARE(back.approvalMode, QStringLiteral("ask-all"));
        QCOMPARE(back.grants.size(), 2);
        QCOMPARE(back.grants[1].path, QStringLiteral("/work/out"));
        QVERIFY(back.grants[1].write && !back.grants[0].write);
    }
};

QTEST_MAIN(TestRecords)
#include "test_records.moc"
