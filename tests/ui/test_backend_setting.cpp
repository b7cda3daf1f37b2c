// ctest-labels: unit gui
// The Settings' backend and threads reach the engine: the model dialog's load settings carry
// the saved backend, modelOptionsFor() turns "cpu"/"auto" into the engine's ModelOptions with
// the thread count, and "cuda" (which the engine cannot run a model on in this build) is refused
// by EngineBridge::load with a message naming CUDA, before any file is read, as the CLI refuses
// `--backend cuda`; an unknown name is refused too.

#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include "atelier/engine/compute_backends.h"
#include "atelier/ui/backend_choice.h"
#include "atelier/ui/engine_bridge.h"
#include "atelier/ui/model_dialog.h"
#include "atelier/ui/settings_dialog.h"

using namespace atelier::ui;

class TestBackendSetting : public QObject {
    Q_OBJECT
    QTemporaryDir m_settingsDir;

    static ModelSummary summary() {
        ModelSummary s;
        s.path = QStringLiteral("/nonexistent/model-for-backend-test");
        s.name = QStringLiteral("test");
        s.maxContext = 4096;
        return s;
    }
    static void saveBackend(const QString& backend, int threads) {
        AppSettings a = AppSettings::load();
        a.backend = backend;
        a.threads = threads;
        a.save();
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settingsDir.path());
        QCoreApplication::setOrganizationName(QStringLiteral("atelier-test"));
        QCoreApplication::setApplicationName(QStringLiteral("test_backend_setting"));
    }

    void cpuAndAutoBecomeEngineOptionsWithTheThreads() {
        auto cpu = modelOptionsFor(QStringLiteral("cpu"), 3);
        QVERIFY(cpu);
        QCOMPARE(cpu->threads, 3);
        QVERIFY(cpu->numerics == atelier::engine::Numerics::Release);
        auto automatic = modelOptionsFor(QStringLiteral("auto"), 0);
        QVERIFY(automatic);
        QCOMPARE(automatic->threads, std::max(1, QThread::idealThreadCount()));
    }

    void cudaAndUnknownNamesAreRefusedWithTheReason() {
        auto cuda = modelOptionsFor(QStringLiteral("cuda"), 2);
        QVERIFY(!cuda);
        QVERIFY(cuda.error().code == atelier::ErrorCode::Usage);
        QVERIFY(QString::fromStdString(cuda.error().message).contains(QStringLiteral("CUDA")));
        // The reason is the engine's, as it found CUDA on this machine.
        const auto engineCuda = atelier::engine::computeBackend(atelier::engine::ComputeBackendKind::Cuda);
        QVERIFY(!engineCuda.unavailableReason.empty());
        QVERIFY(cuda.error().message.find(engineCuda.unavailableReason) != std::string::npos);
        if (!engineCuda.compiledIn)
            QVERIFY(QString::fromStdString(cuda.error().message).contains(QStringLiteral("build")));
        auto bogus = modelOptionsFor(QStringLiteral("tpu"), 2);
        QVERIFY(!bogus);
        QVERIFY(QString::fromStdString(bogus.error().message).contains(QStringLiteral("tpu")));
    }

    void theSettingsDialogSaysWhenCudaIsMissing() {
        SettingsDialog dialog(AppSettings{});
        auto* box = dialog.findChild<QComboBox*>(QStringLiteral("settingsBackend"));
        QVERIFY(box);
        const int cuda = box->findData(QStringLiteral("cuda"));
        QVERIFY(cuda >= 0);
        QCOMPARE(box->itemText(cuda).contains(QStringLiteral("not available")),
                 !atelier::engine::backendCompiledIn(atelier::engine::ComputeBackendKind::Cuda));
    }

    void theSavedBackendReachesTheLoadSettings() {
        saveBackend(QStringLiteral("cpu"), 5);
        ModelDialog dialog(summary(), 0);
        QCOMPARE(dialog.settings().backend, QStringLiteral("cpu"));
        saveBackend(QStringLiteral("cuda"), 5);
        ModelDialog again(summary(), 0);
        QCOMPARE(again.settings().backend, QStringLiteral("cuda"));
    }

    void aCudaLoadFailsWithAClearMessageBeforeReadingFiles() {
        saveBackend(QStringLiteral("cuda"), 2);
        EngineBridge bridge;
        QSignalSpy failed(&bridge, &EngineBridge::loadFailed);
        ModelDialog dialog(summary(), 0);
        bridge.load(summary().path, dialog.settings());
        QVERIFY(failed.wait(5000));
        const QString why = failed.at(0).at(0).toString();
        QVERIFY2(why.contains(QStringLiteral("CUDA")), qPrintable(why));
        QVERIFY2(!why.contains(QStringLiteral("nonexistent")), qPrintable(why));
        QVERIFY(!bridge.isLoaded());

        // With the CPU the same load gets as far as the files, and fails on the missing path.
        saveBackend(QStringLiteral("cpu"), 2);
        ModelDialog cpuDialog(summary(), 0);
        bridge.load(summary().path, cpuDialog.settings());
        QVERIFY(failed.wait(5000));
        const QString missing = failed.at(1).at(0).toString();
        QVERIFY2(!missing.contains(QStringLiteral("CUDA")), qPrintable(missing));
    }
};

QTEST_MAIN(TestBackendSetting)
#include "test_backend_setting.moc"
