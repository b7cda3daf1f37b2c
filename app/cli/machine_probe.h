#pragma once
// The machine probes of `bench` and `model plan` (cached in machine_probe.json) live in agents/
// (shared with the window's model dialog): atelier/agents/machine_probe.h. Named here for the
// CLI's code.

#include "atelier/agents/machine_probe.h"

namespace atelier::cli {

using agents::DiskProbe;
using agents::DiskRate;
using agents::diskReadRate;
using agents::KernelEfficiency;
using agents::kernelEfficiency;
using agents::largestWeightFile;
using agents::MachineRates;
using agents::machineRates;
using agents::probeDiskRead;
using agents::recordKernelEfficiency;
using agents::recordMemoryRates;

}  // namespace atelier::cli
