#pragma once
// The speed prediction of `bench` and `model plan` lives in agents/ (shared with the window's
// model dialog): atelier/agents/speed_prediction.h. Named here for the CLI's code.

#include "atelier/agents/speed_prediction.h"
#include "cli/bench_measure.h"

namespace atelier::cli {

using agents::dominantType;
using agents::predictSpeed;
using agents::SpeedInputs;
using agents::SpeedPrediction;

}  // namespace atelier::cli
