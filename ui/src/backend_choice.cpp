#include "atelier/ui/backend_choice.h"

#include <QThread>
#include <algorithm>

#include "atelier/kernels/cuda_device.h"

namespace atelier::ui {

namespace {

// Why a CUDA load cannot happen here; the message says what to do instead.
std::string cudaRefusal() {
    const std::string fix = " Choose CPU or Automatic under Tools → Settings → Backend.";
    if (!kernels::cuda::compiledWithCuda())
        return "the CUDA backend is not available in this build (it was built without CUDA)." + fix;
    if (kernels::cuda::devices().empty()) return "no CUDA device was found on this machine." + fix;
    return "the engine cannot run a whole model on CUDA yet (only its kernels are built)." + fix;
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
