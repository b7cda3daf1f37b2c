#pragma once
// Runtime CPU feature detection for kernel dispatch. Release builds stay portable (no
// -march=native); the level chosen here picks the CPU kernel table (kernel_table.h:
// cpuKernels()), so every op runs the best body this CPU supports. Thread-safe.

#include <string>

namespace atelier::kernels {

// Dispatch levels, lowest to highest.
enum class IsaLevel { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3 };

struct CpuFeatures {
    bool avx2 = false;
    bool fma = false;
    bool f16c = false;
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vl = false;
    bool avx512bf16 = false;
    bool avx512vnni = false;
    bool avxvnni = false;  // the 256-bit VEX vpdpbusd / vpdpwssd (AVX-VNNI), with or without AVX-512
    bool neon = false;
};

// What this CPU supports (detected once).
const CpuFeatures& cpuFeatures();

// The level kernels dispatch to: the best supported, capped by forceIsaLevel() or by the
// ATELIER_CPU_LEVEL (or ATELIER_ISA) environment variable (scalar|avx2|avx512) read at first use.
IsaLevel activeIsaLevel();
// Caps the dispatch level (tests use it to exercise every level); returns the previous cap.
IsaLevel forceIsaLevel(IsaLevel cap);
// Whether this CPU can run `level`.
bool isaSupported(IsaLevel level);

std::string isaName(IsaLevel level);

}  // namespace atelier::kernels
