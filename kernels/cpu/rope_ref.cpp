#include "atelier/kernels/stream_ops.h"

namespace atelier::kernels {

void rope_f32_ref(float* x, const float* cos, const float* sin, int rope, bool inverse) {
    for (int i = 0; i < rope / 2; ++i) {
        const float a = x[2 * i], b = x[2 * i + 1];
        const float s = inverse ? -sin[i] : sin[i];
        x[2 * i] = a * cos[i] - b * s;
        x[2 * i + 1] = a * s + b * cos[i];
    }
}

}  // namespace atelier::kernels
