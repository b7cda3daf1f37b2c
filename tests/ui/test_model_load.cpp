// ctest-labels: unit gui
// Opening and loading models in the window (#19 item 2): a folder with only V4-Flash's
// config.json is never reported as fitting (its weights are missing, and the dialog says about
// how many bytes are expected), and a load that fails — a folder without tokenizer.json, or
// without weights — keeps the model that was loaded answering and stays out of Recent Models;
// only a load that succeeds enters it. The dialog shows the plan `atelier-cli model plan`
// computes (#17), from the same implementation (agents/model_plan.h).

#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "atelier/agents/model_plan.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/model_files.h"
#include "atelier/ui/chat_controller.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/main_window.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/model_summary.h"
#include "atelier/ui/settings_dialog.h"
#include "loaded_tiny_model.h"

using namespace atelier::ui;

namespace {

// V4-Flash's config.json as released (shared/design/deepseek-v4-architecture.md §1.1): 43
// blocks at hidden 4096, 256 routed experts of width 2048, 6 active + 1 shared, FP4 experts.
QByteArray flashConfigJson() {
    QByteArray ratios = "[0, 0";
    for (int i = 0; i < 20; ++i) ratios += ", 4, 128";
    ratios += ", 4, 0]";
    return R"({
  "architectures": ["DeepseekV4ForCausalLM"],
  "model_type": "deepseek_v4",
  "num_hidden_layers": 43,
  "hidden_size": 4096,
  "num_attention_heads": 64,
  "num_key_value_heads": 1,
  "head_dim": 512,
  "qk_rope_head_dim": 64,
  "q_lora_rank": 1024,
  "o_groups": 8,
  "o_lora_rank": 1024,
  "sliding_window": 128,
  "compress_ratios": )" + ratios + R"(,
  "index_n_heads": 64,
  "index_head_dim": 128,
  "index_topk": 512,
  "vocab_size": 129280,
  "max_position_embeddings": 1048576,
  "rms_norm_eps": 1e-6,
  "rope_theta": 10000,
  "compress_rope_theta": 160000,
  "rope_scaling": {"type": "yarn", "factor": 16, "original_max_position_embeddings": 65536,
                   "beta_fast": 32, "beta_slow": 1},
  "hc_mult": 4,
  "hc_sinkhorn_iters": 20,
  "hc_eps": 1e-6,
  "n_routed_experts": 256,
  "n_shared_experts": 1,
  "num_experts_per_tok": 6,
  "moe_intermediate_size": 2048,
  "num_hash_layers": 3,
  "scoring_func": "sqrtsoftplus",
  "topk_method": "noaux_tc",
  "norm_topk_prob": true,
  "routed_scaling_factor": 1.5,
  "swiglu_limit": 10.0,
  "num_nextn_predict_layers": 1,
  "expert_dtype": "fp4",
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                          "scale_fmt": "ue8m0", "weight_block_size": [128, 128]},
  "tie_word_embeddings": false,
  "bos_token_id": 0,
  "eos_token_id": 1,
  "hidden_act": "silu",
  "attention_bias": false
}
)";
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// A copy of the model folder `from` without the file named `drop`.
bool copyWithout(const QString& from, const QString& to, const QString& drop) {
    if (!QDir().mkpath(to)) return false;
    for (const QFileInfo& f : QDir(from).entryInfoList(QDir::Files))
        if (f.fileName() != drop && !QFile::copy(f.filePath(), QDir(to).filePath(f.fileName()))) return false;
    return true;
}

}  // namespace

class TestModelLoad : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    QString flashFolder() {
        const QString dir = m_dir.filePath(QStringLiteral("v4-flash-config-only"));
        QDir().mkpath(dir);
        if (!QFileInfo::exists(dir + QStringLiteral("/config.json")))
            writeFile(dir + QStringLiteral("/config.json"), flashConfigJson());
        return dir;
    }

    QString m_tiny;
    // The tiny random-weight model, written once.
    QString tinyModel() {
        if (m_tiny.isEmpty()) m_tiny = tiny_model::write(m_dir);
        return m_tiny;
    }

    // Opens `path` in the window's model dialog, presses Load, and waits for the outcome.
    static bool pressLoad(MainWindow& window, const QString& path, QString* failure) {
        QSignalSpy loaded(window.engineBridge(), &EngineBridge::loaded);
        QSignalSpy failed(window.engineBridge(), &EngineBridge::loadFailed);
        window.openModelPath(path);
        if (!QTest::qWaitFor([&] { return window.pendingModelDialog() != nullptr; }, 10000)) return false;
        ModelDialog* dialog = window.pendingModelDialog();
        dialog->setThreads(1);
        dialog->setContextTokens(1024);
        dialog->accept();
        if (!QTest::qWaitFor([&] { return !loaded.isEmpty() || !failed.isEmpty(); }, 30000)) return false;
        if (!failed.isEmpty() && failure) *failure = failed.first().first().toString();
        return !loaded.isEmpty();
    }

    // The loaded model still answers: a short turn finishes with tokens.
    static void checkAnswers(MainWindow& window) {
        ChatController* chat = window.chat();
        chat->setMaxTokens(4);
        QSignalSpy finished(chat, &ChatController::finished);
        QSignalSpy failed(chat, &ChatController::failed);
        chat->send(QStringLiteral("still there?"));
        QVERIFY2(finished.wait(20000), failed.isEmpty() ? "no answer" : qPrintable(failed.first().first().toString()));
        QVERIFY(!chat->turns().isEmpty());
        QVERIFY(!chat->turns().last().content.isEmpty());
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("AtelierTestModelLoad"));
        QVERIFY(m_dir.isValid());
    }

    void init() { QSettings().remove(QStringLiteral("models/recent")); }

    void configOnlyFlashFolderIsNeverReportedAsFitting() {
        auto summary = inspectModel(flashFolder());
        QVERIFY2(summary.has_value(), summary ? "" : summary.error().message.c_str());
        QVERIFY(summary->weightsMissing);
        // 284B parameters (spec §1.2: 284.3B without MTP), each stored in at least 4 bits
        // (FP4 experts, FP8 elsewhere): far more than nothing.
        QVERIFY2(summary->paramsTotal > 280'000'000'000 && summary->paramsTotal < 290'000'000'000,
                 qPrintable(QString::number(summary->paramsTotal)));
        QVERIFY2(summary->weightBytes >= summary->paramsTotal / 2,
                 qPrintable(QString::number(summary->weightBytes)));
        QVERIFY(summary->neededBytes(4096) > summary->weightBytes);
        for (const qint64 free : {qint64(24) << 30, qint64(1) << 50}) {
            ModelDialog dialog(*summary, free);
            dialog.setContextTokens(4096);
            QVERIFY(!dialog.fits());
            const QString verdict = dialog.verdictText();
            QVERIFY2(!verdict.contains(QStringLiteral("Fits")), qPrintable(verdict));
            QVERIFY2(verdict.contains(QStringLiteral("eights missing")), qPrintable(verdict));
            QVERIFY2(verdict.contains(humanBytes(double(summary->weightBytes))), qPrintable(verdict));
        }
    }

    void modelCreateOutputIsLabelledAsDemo() {
        // `model create` writes a preset's name into the file: random weights, labelled so.
        auto tiny = inspectModel(tinyModel());
        QVERIFY(tiny.has_value());
        QVERIFY(tiny->demo);
        QVERIFY(tiny->displayName().contains(QStringLiteral("random weights")));
        // The same weights under a name of its own are not taken for a demo.
        atelier::engine::CreateModelOptions options;
        options.config = *atelier::engine::presetConfig("tiny");
        options.config.name = "someones-model";
        options.seed = 3;
        const QString named = m_dir.filePath(QStringLiteral("named"));
        QVERIFY(atelier::engine::createModel(options, named.toStdString()).has_value());
        auto other = inspectModel(named);
        QVERIFY(other.has_value());
        QVERIFY(!other->demo);
        QVERIFY(!other->displayName().contains(QStringLiteral("random weights")));
    }

    void dialogShowsThePlanOfModelPlan() {
        const QString data = m_dir.filePath(QStringLiteral("plan-data"));
        QVERIFY(QDir().mkpath(data));
        MainWindow window(data);
        const QString tiny = tinyModel();
        QVERIFY(!tiny.isEmpty());
        window.openModelPath(tiny);
        QTRY_VERIFY_WITH_TIMEOUT(window.pendingModelDialog() != nullptr, 10000);
        ModelDialog* dialog = window.pendingModelDialog();
        dialog->setContextTokens(2048);
        // The first plan measures the machine (a few seconds), on the planner thread.
        QTRY_VERIFY_WITH_TIMEOUT(dialog->planText().contains(QStringLiteral("Predicted")), 120000);
        // The same plan, computed here from the rates the window's plan cached in the data
        // folder: the dialog shows its numbers.
        auto source = atelier::engine::openModel(tiny.toStdString());
        QVERIFY(source.has_value());
        atelier::agents::PlanRequest request;
        request.context = 2048;
        request.dataDir = data.toStdString();
        auto plan = atelier::agents::planModel(**source, request);
        QVERIFY2(plan.has_value(), plan ? "" : plan.error().message.c_str());
        QVERIFY(plan->memoryCached && plan->diskCached);
        QVERIFY(!plan->streaming);
        QVERIFY(plan->decodeTokS > 0 && plan->prefillTokS > 0);
        const QString text = dialog->planText();
        for (const QString& number : {QString::number(plan->decodeTokS, 'f', 2), QString::number(plan->prefillTokS, 'f', 1),
                                      humanBytes(double(plan->weightsBytes)), humanBytes(double(plan->kvBytes)),
                                      QString::number(plan->memoryGbs, 'f', 2)})
            QVERIFY2(text.contains(number), qPrintable(number + QStringLiteral(" not in: ") + text));
        QVERIFY(!text.contains(QStringLiteral("page in")));  // a few MB do not page
        // Shown whole: the dialog grew for the plan's wrapped lines instead of clipping them.
        for (const char* name : {"modelPlan", "demoWarning"}) {
            auto* label = dialog->findChild<QLabel*>(QString::fromLatin1(name));
            if (!label) continue;
            QTRY_VERIFY2(label->height() >= label->heightForWidth(label->width()),
                         qPrintable(QStringLiteral("%1: %2 px of %3").arg(QString::fromLatin1(name))
                                        .arg(label->height()).arg(label->heightForWidth(label->width()))));
        }
        dialog->reject();
        // A folder without weights gets no plan (nor a measurement).
        window.openModelPath(flashFolder());
        QVERIFY(window.pendingModelDialog() == nullptr);  // the rejected one is gone
        QTRY_VERIFY_WITH_TIMEOUT(window.pendingModelDialog() != nullptr, 10000);
        QVERIFY(window.pendingModelDialog()->planText().contains(QStringLiteral("weights are missing")));
        window.pendingModelDialog()->reject();
    }

    void lastModelIsLoadedAgainAtStart() {
        AppSettings app = AppSettings::load();
        QVERIFY(app.reloadLastModel);  // on by default
        app.threads = 1;
        app.backend = QStringLiteral("cpu");
        app.save();
        const QString tiny = tinyModel();
        QVERIFY(!tiny.isEmpty());
        qint64 context = 0;
        {
            MainWindow window(m_dir.path());
            QString why;
            QVERIFY2(pressLoad(window, tiny, &why), qPrintable(why));
            context = window.engineBridge()->contextLimit();
        }
        {
            MainWindow window(m_dir.path());  // the next start
            QSignalSpy loaded(window.engineBridge(), &EngineBridge::loaded);
            window.reloadLastModel();
            QVERIFY(loaded.wait(30000));
            QCOMPARE(window.engineBridge()->model().path, tiny);
            QCOMPARE(window.engineBridge()->contextLimit(), context);
            checkAnswers(window);
        }
        app.reloadLastModel = false;
        app.save();
        QVERIFY(!AppSettings::load().reloadLastModel);
        MainWindow window(m_dir.path());
        window.reloadLastModel();
        QVERIFY(!window.engineBridge()->isLoaded());
        app.reloadLastModel = true;
        app.save();
    }

    void failedLoadKeepsTheLoadedModelAndStaysOutOfRecent() {
        MainWindow window(m_dir.path());
        const QString tiny = tinyModel();
        QVERIFY(!tiny.isEmpty());
        QString why;
        QVERIFY2(pressLoad(window, tiny, &why), qPrintable(why));
        QCOMPARE(MainWindow::recentModels(), QStringList{tiny});
        const QString status = window.findChild<QLabel*>(QStringLiteral("modelStatus"))->text();

        const QString noTokenizer = m_dir.filePath(QStringLiteral("no-tokenizer"));
        QVERIFY(copyWithout(tiny, noTokenizer, QStringLiteral("tokenizer.json")));
        for (const QString& broken : {noTokenizer, flashFolder()}) {
            why.clear();
            QVERIFY2(!pressLoad(window, broken, &why), qPrintable(broken));
            QVERIFY2(!why.isEmpty(), qPrintable(broken));
            QVERIFY2(window.engineBridge()->isLoaded(), qPrintable(why));
            QCOMPARE(window.engineBridge()->model().path, tiny);
            QVERIFY(window.engineBridge()->loadedModel().backend != nullptr);
            QCOMPARE(MainWindow::recentModels(), QStringList{tiny});
            QCOMPARE(window.findChild<QLabel*>(QStringLiteral("modelStatus"))->text(), status);
            checkAnswers(window);
        }

        // A load that succeeds enters Recent Models, at the top.
        const QString second = m_dir.filePath(QStringLiteral("tiny-copy"));
        QVERIFY(copyWithout(tiny, second, QString()));
        QVERIFY2(pressLoad(window, second, &why), qPrintable(why));
        QCOMPARE(window.engineBridge()->model().path, second);
        QCOMPARE(MainWindow::recentModels(), (QStringList{second, tiny}));
        checkAnswers(window);
    }
};

QTEST_MAIN(TestModelLoad)
#include "test_model_load.moc"
