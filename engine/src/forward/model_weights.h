#pragma once
// Binding of the forward pass's weights (internal). Thread-safe: pure function.

#include "atelier/base/result.h"
#include "atelier/engine/weight_source.h"
#include "forward/forward_internal.h"

namespace atelier::engine::fwd {

// Every tensor the main model's forward pass reads (MTP excluded); errors name the tensor.
Result<ModelWeights> bindWeights(const WeightSource& source);

}  // namespace atelier::engine::fwd
