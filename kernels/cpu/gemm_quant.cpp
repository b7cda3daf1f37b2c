// The table of the formats in gemm_quant.h and the kernel-table slots of their matrix products.

#include "atelier/kernels/gemm_quant.h"

#include <array>
#include <cctype>
#include <utility>

#include "cpu/gemm_quant_slot.h"

namespace atelier::kernels {
namespace {

struct QuantEntry {
    QuantFormat format;
    DotQ8AFn q8a[4];  // ref, avx2, avx512, avx512vnni
    DotQ8KFn q8k[4];
};

const QuantEntry kEntries[kQuantTypeCount] = {
    {{QuantType::Q4_0, "Q4_0", 32, 18, ActivationBlock::Q8A, dequant_row_q4_0_ref, quantize_row_q4_0_ref},
     {dot_q4_0_q8a_ref, dot_q4_0_q8a_avx2, dot_q4_0_q8a_avx512, dot_q4_0_q8a_avx512vnni}, {}},
    {{QuantType::Q4_1, "Q4_1", 32, 20, ActivationBlock::Q8A, dequant_row_q4_1_ref, quantize_row_q4_1_ref},
     {dot_q4_1_q8a_ref, dot_q4_1_q8a_avx2, dot_q4_1_q8a_avx512, dot_q4_1_q8a_avx512vnni}, {}},
    {{QuantType::Q5_0, "Q5_0", 32, 22, ActivationBlock::Q8A, dequant_row_q5_0_ref, quantize_row_q5_0_ref},
     {dot_q5_0_q8a_ref, dot_q5_0_q8a_avx2, dot_q5_0_q8a_avx512, dot_q5_0_q8a_avx512vnni}, {}},
    {{QuantType::Q5_1, "Q5_1", 32, 24, ActivationBlock::Q8A, dequant_row_q5_1_ref, quantize_row_q5_1_ref},
     {dot_q5_1_q8a_ref, dot_q5_1_q8a_avx2, dot_q5_1_q8a_avx512, dot_q5_1_q8a_avx512vnni}, {}},
    {{QuantType::IQ4_NL, "IQ4_NL", 32, 18, ActivationBlock::Q8A, dequant_row_iq4_nl_ref, quantize_row_iq4_nl_ref},
     {dot_iq4_nl_q8a_ref, dot_iq4_nl_q8a_avx2, dot_iq4_nl_q8a_avx512, dot_iq4_nl_q8a_avx512vnni}, {}},
    {{QuantType::Q3_K, "Q3_K", 256, 110, ActivationBlock::Q8K, dequant_row_q3_k_ref, quantize_row_q3_k_ref},
     {}, {dot_q3_k_q8_k_ref, dot_q3_k_q8_k_avx2, dot_q3_k_q8_k_avx512, dot_q3_k_q8_k_avx512vnni}},
    {{QuantType::IQ4_XS, "IQ4_XS", 256, 136, ActivationBlock::Q8K, dequant_row_iq4_xs_ref, quantize_row_iq4_xs_ref},
     {}, {dot_iq4_xs_q8_k_ref, dot_iq4_xs_q8_k_avx2, dot_iq4_xs_q8_k_avx512, dot_iq4_xs_q8_k_avx512vnni}},
    {{QuantType::IQ3_S, "IQ3_S", 256, 110, ActivationBlock::Q8K, dequant_row_iq3_s_ref, quantize_row_iq3_s_ref},
     {}, {dot_iq3_s_q8_k_ref, dot_iq3_s_q8_k_avx2, dot_iq3_s_q8_k_avx512, dot_iq3_s_q8_k_avx512vnni}},
    {{QuantType::IQ3_XXS, "IQ3_XXS", 256, 98, ActivationBlock::Q8K, dequant_row_iq3_xxs_ref, quantize_row_iq3_xxs_ref},
     {}, {dot_iq3_xxs_q8_k_ref, dot_iq3_xxs_q8_k_avx2, dot_iq3_xxs_q8_k_avx512, dot_iq3_xxs_q8_k_avx512vnni}},
    {{QuantType::IQ2_S, "IQ2_S", 256, 82, ActivationBlock::Q8K, dequant_row_iq2_s_ref, quantize_row_iq2_s_ref},
     {}, {dot_iq2_s_q8_k_ref, dot_iq2_s_q8_k_avx2, dot_iq2_s_q8_k_avx512, dot_iq2_s_q8_k_avx512vnni}},
    {{QuantType::IQ2_XS, "IQ2_XS", 256, 74, ActivationBlock::Q8K, dequant_row_iq2_xs_ref, quantize_row_iq2_xs_ref},
     {}, {dot_iq2_xs_q8_k_ref, dot_iq2_xs_q8_k_avx2, dot_iq2_xs_q8_k_avx512, dot_iq2_xs_q8_k_avx512vnni}},
    {{QuantType::IQ2_XXS, "IQ2_XXS", 256, 66, ActivationBlock::Q8K, dequant_row_iq2_xxs_ref, quantize_row_iq2_xxs_ref},
     {}, {dot_iq2_xxs_q8_k_ref, dot_iq2_xxs_q8_k_avx2, dot_iq2_xxs_q8_k_avx512, dot_iq2_xxs_q8_k_avx512vnni}},
    {{QuantType::IQ1_M, "IQ1_M", 256, 56, ActivationBlock::Q8K, dequant_row_iq1_m_ref, quantize_row_iq1_m_ref},
     {}, {dot_iq1_m_q8_k_ref, dot_iq1_m_q8_k_avx2, dot_iq1_m_q8_k_avx512, dot_iq1_m_q8_k_avx512vnni}},
    {{QuantType::IQ1_S, "IQ1_S", 256, 50, ActivationBlock::Q8K, dequant_row_iq1_s_ref, quantize_row_iq1_s_ref},
     {}, {dot_iq1_s_q8_k_ref, dot_iq1_s_q8_k_avx2, dot_iq1_s_q8_k_avx512, dot_iq1_s_q8_k_avx512vnni}},
};

const QuantEntry& entry(QuantType type) { return kEntries[int(type)]; }

// Table column of a level (Neon has no bodies here: it runs the reference).
int column(IsaLevel level) { return level == IsaLevel::Avx2 ? 1 : level == IsaLevel::Avx512 ? 2 : 0; }

// The column whose body runs at `level`: the VNNI one where asked for and present, else the
// level's own or the highest lower level's.
int bodyColumn(const QuantEntry& e, IsaLevel level, bool vnni) {
    if (vnni && column(level) == 2 && (e.q8a[3] || e.q8k[3])) return 3;
    int c = column(level);
    while (c > 0 && !e.q8a[c] && !e.q8k[c]) --c;
    return c;
}

// Rows [rowBegin, rowEnd) × every token by the dot in column kColumn of format kType.
// Token-inner: each weight row is read from memory once and reused from cache for every token
// of the batch; each (row, token) runs the same dot whatever T.
template <int kType, int kColumn>
void quantRows(const std::uint8_t* w, const std::uint8_t*, std::int64_t cols,
               std::int64_t rowBegin, std::int64_t rowEnd, const void* xq, std::int64_t T,
               float* y, std::int64_t ldy, float*) {
    const QuantEntry& e = kEntries[kType];
    const std::int64_t nb = cols / e.format.blockElems;
    const std::size_t rowBytes = std::size_t(nb) * std::size_t(e.format.blockBytes);
    const DotQ8AFn q8a = e.q8a[kColumn];
    const DotQ8KFn q8k = e.q8k[kColumn];
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
        const std::uint8_t* row = w + std::size_t(r) * rowBytes;
        float* out = y + (r - rowBegin);
        if (q8a) {
            const auto* a = static_cast<const BlockQ8A*>(xq);
            for (std::int64_t t = 0; t < T; ++t) out[t * ldy] = q8a(row, a + t * nb, nb);
        } else {
            const auto* a = static_cast<const BlockQ8K*>(xq);
            for (std::int64_t t = 0; t < T; ++t) out[t * ldy] = q8k(row, a + t * nb, nb);
        }
    }
}

// [type · 4 + column]
template <std::size_t... I>
constexpr std::array<MatmulFn, sizeof...(I)> makeSlots(std::index_sequence<I...>) {
    return {{&quantRows<int(I / 4), int(I % 4)>...}};
}
constexpr auto kSlots = makeSlots(std::make_index_sequence<std::size_t(kQuantTypeCount) * 4>{});

}  // namespace

const QuantFormat& quantFormat(QuantType type) { return entry(type).format; }

bool quantTypeFromName(const char* name, QuantType& out) {
    for (const QuantEntry& e : kEntries) {
        const char* a = e.format.name;
        const char* b = name;
        while (*a && *b && std::toupper(static_cast<unsigned char>(*b)) == *a) ++a, ++b;
        if (*a == 0 && *b == 0) {
            out = e.format.type;
            return true;
        }
    }
    return false;
}

QuantDot quantDot(QuantType type, IsaLevel level, bool allowVnni) {
    const QuantEntry& e = entry(type);
    const int c = bodyColumn(e, level, allowVnni && cpuFeatures().avx512vnni);
    QuantDot d;
    d.q8a = e.q8a[c];
    d.q8k = e.q8k[c];
    d.level = c >= 2 ? IsaLevel::Avx512 : c == 1 ? IsaLevel::Avx2 : IsaLevel::Scalar;
    d.vnni = c == 3;
    return d;
}

bool quantHasLevel(QuantType type, IsaLevel level, bool vnni) {
    const QuantEntry& e = entry(type);
    const int c = vnni ? 3 : column(level);
    return e.q8a[c] != nullptr || e.q8k[c] != nullptr;
}

MatmulFn gemm_quant_slot(QuantType type, IsaLevel level, bool vnni) {
    return kSlots[std::size_t(int(type) * 4 + bodyColumn(entry(type), level, vnni))];
}

void gemm_quant(IsaLevel level, QuantType type, const std::uint8_t* w, std::int64_t cols,
                std::int64_t rowBegin, std::int64_t rowEnd, const void* xq, std::int64_t T,
                float* y, std::int64_t ldy) {
    cpuKernels(level).matmul[int(matmulFormat(type))].run(w, nullptr, cols, rowBegin, rowEnd, xq,
                                                          T, y, ldy, nullptr);
}

}  // namespace atelier::kernels
