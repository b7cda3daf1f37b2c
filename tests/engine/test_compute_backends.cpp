// ctest-labels: unit
// The engine reports its compute backends as front ends show them: the CPU first, built in and
// running models; CUDA with exactly what kernels/ discovers (built in or not, the same devices),
// never running models yet, and a reason that says why — no CUDA in this build, no device, or no
// CUDA model path — so that the window and the CLI refuse it with the same words.
// chooseComputeBackend, which every model load asks: "auto" settles on a backend that runs
// models, a named one that cannot is refused with its reason (never replaced), and an unknown
// name is refused by name.

#include <QtTest>

#include "atelier/engine/compute_backends.h"
#include "atelier/engine/model.h"
#include "atelier/kernels/cuda_device.h"

using namespace atelier::engine;
namespace cuda = atelier::kernels::cuda;

class TestComputeBackends : public QObject {
    Q_OBJECT

private slots:
    void cpuComesFirstAndRunsModels() {
        const auto all = computeBackends();
        QCOMPARE(all.size(), std::size_t(2));
        QVERIFY(all[0].kind == ComputeBackendKind::Cpu);
        QCOMPARE(all[0].name, std::string("cpu"));
        QVERIFY(all[0].compiledIn && all[0].runsModels);
        QVERIFY(all[0].unavailableReason.empty());
        QVERIFY(all[0].devices.empty());
        QVERIFY(backendCompiledIn(ComputeBackendKind::Cpu));
    }

    void cudaIsWhatTheKernelsFind() {
        const ComputeBackend b = computeBackend(ComputeBackendKind::Cuda);
        QVERIFY(b.kind == ComputeBackendKind::Cuda);
        QCOMPARE(b.name, std::string("cuda"));
        QCOMPARE(b.compiledIn, cuda::compiledWithCuda());
        QCOMPARE(backendCompiledIn(ComputeBackendKind::Cuda), cuda::compiledWithCuda());
        const auto found = cuda::devices();
        QCOMPARE(b.devices.size(), found.size());
        for (std::size_t i = 0; i < found.size(); ++i) {
            QCOMPARE(b.devices[i].index, found[i].index);
            QCOMPARE(b.devices[i].name, found[i].name);
            QCOMPARE(b.devices[i].computeMajor, found[i].computeMajor);
            QCOMPARE(b.devices[i].totalMemory, found[i].totalMemory);
        }
        QCOMPARE(computeBackends()[1].name, b.name);
    }

    void cudaIsRefusedWithItsReason() {
        const ComputeBackend b = computeBackend(ComputeBackendKind::Cuda);
        QVERIFY(!b.runsModels);
        const QString why = QString::fromStdString(b.unavailableReason);
        QVERIFY2(why.contains("CUDA"), qPrintable(why));
        if (!b.compiledIn) QVERIFY2(why.contains("build"), qPrintable(why));
        else if (b.devices.empty()) QVERIFY2(why.contains("device"), qPrintable(why));
        else QVERIFY2(why.contains("model"), qPrintable(why));
    }

    void autoChoosesABackendThatRunsModels() {
        for (const char* name : {"auto", ""}) {
            auto b = chooseComputeBackend(name);
            QVERIFY2(b, name);
            QVERIFY(b->runsModels);
            // The first such backend in computeBackends() order.
            for (const ComputeBackend& each : computeBackends()) {
                if (!each.runsModels) continue;
                QCOMPARE(b->name, each.name);
                break;
            }
        }
        auto cpu = chooseComputeBackend("cpu");
        QVERIFY(cpu);
        QVERIFY(cpu->kind == ComputeBackendKind::Cpu);
    }

    void aNamedBackendThatCannotRunModelsIsRefusedNotReplaced() {
        const ComputeBackend cuda = computeBackend(ComputeBackendKind::Cuda);
        auto chosen = chooseComputeBackend("cuda");
        if (cuda.runsModels) {
            QVERIFY(chosen);
            QVERIFY(chosen->kind == ComputeBackendKind::Cuda);
            return;
        }
        QVERIFY(!chosen);
        QVERIFY(chosen.error().code == atelier::ErrorCode::Usage);
        QVERIFY2(chosen.error().message.find(cuda.unavailableReason) != std::string::npos,
                 chosen.error().message.c_str());
        QVERIFY2(chosen.error().message.find("cuda") != std::string::npos, chosen.error().message.c_str());
    }

    // Model::load honours ModelOptions::backend: a backend that cannot run a model is refused
    // with its reason, never run on the CPU instead.
    void modelLoadRefusesABackendThatCannotRunModels() {
        const ComputeBackend cuda = computeBackend(ComputeBackendKind::Cuda);
        if (cuda.runsModels) QSKIP("this machine runs models on CUDA");
        ModelOptions o;
        o.backend = ComputeBackendKind::Cuda;
        auto m = Model::load(randomWeights(*presetConfig("tiny"), 1), o);
        QVERIFY(!m);
        QVERIFY2(m.error().message.find(cuda.unavailableReason) != std::string::npos, m.error().message.c_str());
        o.backend = ComputeBackendKind::Cpu;
        QVERIFY(Model::load(randomWeights(*presetConfig("tiny"), 1), o));
    }

    void anUnknownNameIsRefusedByName() {
        for (const char* name : {"tpu", "CPU", "cuda:0"}) {
            auto chosen = chooseComputeBackend(name);
            QVERIFY2(!chosen, name);
            QVERIFY(chosen.error().code == atelier::ErrorCode::Usage);
            QVERIFY2(chosen.error().message.find(std::string("'") + name + "'") != std::string::npos,
                     chosen.error().message.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestComputeBackends)
#include "test_compute_backends.moc"
