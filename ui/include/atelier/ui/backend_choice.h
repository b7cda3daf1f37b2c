#pragma once
// The Settings' compute backend ("auto", "cpu", "cuda") and thread count turned into the
// engine's ModelOptions for a load, the way atelier-cli's --backend and --threads are: the engine
// chooses (engine::chooseComputeBackend), so "auto" means a backend that runs models and a named
// one that cannot ("cuda" without CUDA in this build, without a device, or without a CUDA model
// path) is refused with the engine's reason, as `atelier-cli --backend cuda` refuses it, instead
// of silently running on the CPU.
// Pure functions: any thread.

#include <QString>

#include "atelier/engine/model.h"
#include "atelier/base/result.h"

namespace atelier::ui {

// `threads` 0: one per core. Errors: Usage for an unknown backend name or an unusable "cuda".
Result<engine::ModelOptions> modelOptionsFor(const QString& backend, int threads);

}  // namespace atelier::ui
