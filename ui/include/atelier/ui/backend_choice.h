#pragma once
// The Settings' compute backend ("auto", "cpu", "cuda") and thread count turned into the
// engine's ModelOptions for a load, the way atelier-cli's --backend and --threads are: the
// engine runs a model on the CPU, so "auto" means the CPU and "cuda" is refused with the reason
// (no CUDA in this build, no device, no CUDA model path in the engine), as
// `atelier-cli bench --backend cuda` refuses it, instead of silently running on the CPU.
// Pure functions: any thread.

#include <QString>

#include "atelier/engine/model.h"
#include "atelier/base/result.h"

namespace atelier::ui {

// `threads` 0: one per core. Errors: Usage for an unknown backend name or an unusable "cuda".
Result<engine::ModelOptions> modelOptionsFor(const QString& backend, int threads);

}  // namespace atelier::ui
