#include "atelier/kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <algorithm>
#include <cstring>

namespace atelier::kernels {
namespace {

CpuFeatures detect() {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512vnni = __builtin_cpu_supports("avx512vnni");
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
    f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    f.f16c = (ecx >> 29) & 1u;
    // AVX-VNNI: CPUID leaf 7 sub-leaf 1, EAX bit 4 (clang 14's __builtin_cpu_supports lacks it).
    unsigned maxLeaf = 0;
    __asm__ volatile("cpuid" : "=a"(maxLeaf), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0), "c"(0));
    if (maxLeaf >= 7) {
        __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(1));
        f.avxvnni = f.avx2 && ((eax >> 4) & 1u);
    }
#elif defined(__aarch64__)
    f.neon = true;
#endif
    return f;
}

IsaLevel bestLevel(const CpuFeatures& f) {
    if (f.neon) return IsaLevel::Neon;
    if (f.avx512f && f.avx512bw && f.avx512vl && f.fma) return IsaLevel::Avx512;
    if (f.avx2 && f.fma && f.f16c) return IsaLevel::Avx2;
    return IsaLevel::Scalar;
}

IsaLevel envCap() {
    const char* v = std::getenv("ATELIER_CPU_LEVEL");
    if (!v) v = std::getenv("ATELIER_ISA");
    if (!v) return IsaLevel::Neon;  // no cap
    if (std::strcmp(v, "scalar") == 0) return IsaLevel::Scalar;
    if (std::strcmp(v, "avx2") == 0) return IsaLevel::Avx2;
    return IsaLevel::Neon;
}

std::atomic<int>& capStorage() {
    static std::atomic<int> cap{int(envCap())};
    return cap;
}

}  // namespace

const CpuFeatures& cpuFeatures() {
    static const CpuFeatures features = detect();
    return features;
}

bool isaSupported(IsaLevel level) {
    const IsaLevel best = bestLevel(cpuFeatures());
    if (level == IsaLevel::Scalar) return true;
    if (best == IsaLevel::Neon) return level == IsaLevel::Neon;
    if (level == IsaLevel::Neon) return false;
    return int(level) <= int(best);
}

IsaLevel activeIsaLevel() {
    const IsaLevel best = bestLevel(cpuFeatures());
    const int cap = capStorage().load(std::memory_order_relaxed);
    if (best == IsaLevel::Neon) return cap == int(IsaLevel::Scalar) ? IsaLevel::Scalar : best;
    return IsaLevel(std::min(int(best), cap));
}

IsaLevel forceIsaLevel(IsaLevel cap) {
    return IsaLevel(capStorage().exchange(int(cap)));
}

std::string isaName(IsaLevel level) {
    switch (level) {
    case IsaLevel::Scalar: return "scalar";
    case IsaLevel::Avx2: return "avx2";
    case IsaLevel::Avx512: return "avx512";
    case IsaLevel::Neon: return "neon";
    }
    return "?";
}

}  // namespace atelier::kernels
