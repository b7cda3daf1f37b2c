#include "atelier/ui/backend_choice.h"

#include <QThread>
#include <algorithm>

#include "atelier/engine/compute_backends.h"

namespace atelier::ui {

namespace {

// Why a CUDA load cannot happen here (the engine's reason: no CUDA in this build, no device, no
// CUDA model path); the message says what to do instead. ModelOptions cannot place a model on a
// device yet, so the engine never reports CUDA as running models.
std::string cudaRefusal() {
    const std::string fix = " Choose CPU or Automatic under Tools → Settings → Backend.";
    const engine::ComputeBackend cuda = engine::computeBackend(engine::ComputeBackendKind::Cuda);
    return (cuda.unavailableReason.empty() ? std::string("the engine cannot run a model on CUDA.")
                                           : cuda.unavailableReason) + fix;
}

}  // namespace

Result<engine::ModelOptions> modelOptionsFor(const QString& backend, int threads) {
    if (backend == QLatin1String("cuda")) return unexpected(Error::usage(cudaRefusal()));
    if (backend != QLatin1String("cpu") && backend != QLatin1String("auto") && !backend.isEmpty())
        return unexpected(Error::usage("unknown backend '" + backend.toStdString() +
                                       "' (expected auto, cpu or cuda)"));
    engine::ModelOptions options;
    options.numerics = engine::Numerics::Release;
    options.threads = threads > 0 ? threads : std::max(1, QThread::idealThreadCount());
    return options;
}

}  // namespace atelier::ui
