#pragma once
// The machine and model measurements of `bench` and `model plan` live in agents/ (shared with
// the window's model dialog): atelier/agents/bench_measure.h. Named here for the CLI's code.

#include "atelier/agents/bench_measure.h"

namespace atelier::cli {

using agents::decodeCacheBytes;
using agents::decodeWeightBytes;
using agents::ModelCosts;
using agents::modelCosts;
using agents::peakFmaGflops;
using agents::streamTriadGbs;

}  // namespace atelier::cli
