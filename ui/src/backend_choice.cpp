#include "atelier/ui/backend_choice.h"

#include <QThread>
#include <algorithm>

#include "atelier/engine/compute_backends.h"

namespace atelier::ui {

Result<engine::ModelOptions> modelOptionsFor(const QString& backend, int threads) {
    // The engine decides, as it does for atelier-cli's --backend; the message adds where the
    // window's choice is made.
    auto chosen = engine::chooseComputeBackend(backend.toStdString());
    if (!chosen)
        return unexpected(Error{chosen.error().code,
                                chosen.error().message +
                                    " Choose CPU or Automatic under Tools → Settings → Backend."});
    engine::ModelOptions options;
    options.numerics = engine::Numerics::Release;
    options.backend = chosen->kind;
    options.threads = threads > 0 ? threads : std::max(1, QThread::idealThreadCount());
    return options;
}

}  // namespace atelier::ui
