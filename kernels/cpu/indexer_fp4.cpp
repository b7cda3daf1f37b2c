// The indexer's integer scoring (indexer_fp4.h): the query packer, the `_ref` that spells out
// the order every level follows, and the dispatch through the CPU table.

#include "atelier/kernels/indexer_fp4.h"

#include <cstring>

#include "atelier/kernels/kernel_table.h"
#include "fp8_scalar.h"
#include "indexer_fp4_key.h"

namespace atelier::kernels {
namespace {

std::size_t roundUp64(std::size_t n) { return (n + 63) / 64 * 64; }

struct QueryLayout {
    std::size_t codes, offsets, scales, weights, total;
};

QueryLayout queryLayout(int nI, int cI) {
    const std::size_t heads = std::size_t(indexerPaddedHeads(nI)), blocks = std::size_t(cI / 32);
    QueryLayout l{};
    l.codes = 0;
    l.offsets = roundUp64(heads * std::size_t(cI));
    l.scales = l.offsets + roundUp64(blocks * heads * 4);
    l.weights = l.scales + roundUp64(blocks * heads * 4);
    l.total = l.weights + roundUp64(heads * 4);
    return l;
}

}  // namespace

std::size_t indexerQueryFp4Bytes(int nI, int cI) { return queryLayout(nI, cI).total; }

IndexerQueryFp4 indexer_query_fp4_pack(const std::int8_t* codes, const float* blockScales,
                                       const float* w, int nI, int cI, void* out) {
    const QueryLayout l = queryLayout(nI, cI);
    const int heads = indexerPaddedHeads(nI), blocks = cI / 32;
    auto* base = static_cast<std::uint8_t*>(out);
    std::memset(base, 0, l.total);
    auto* c = reinterpret_cast<std::int8_t*>(base + l.codes);
    auto* offsets = reinterpret_cast<std::int32_t*>(base + l.offsets);
    auto* scales = reinterpret_cast<float*>(base + l.scales);
    auto* weights = reinterpret_cast<float*>(base + l.weights);
    for (int h = 0; h < nI; ++h) {
        weights[h] = w[h];
        for (int b = 0; b < blocks; ++b) {
            std::int32_t sum = 0;
            for (int i = 32 * b; i < 32 * b + 32; ++i) {
                const std::int8_t v = codes[std::int64_t(h) * cI + i];
                c[(std::int64_t(i / 4) * heads + h) * 4 + i % 4] = v;
                sum += v;
            }
            offsets[b * heads + h] = -12 * sum;
            scales[b * heads + h] = blockScales[std::int64_t(h) * blocks + b] * 0.25f;
        }
    }
    for (int h = nI; h < heads; ++h)  // padding: codes 0, so its dots are 0 · scale = +0
        for (int b = 0; b < blocks; ++b) scales[b * heads + h] = 1.0f;
    return {heads, cI, c, offsets, scales, weights};
}

void indexer_score_fp4_ref(const IndexerQueryFp4& q, const std::uint8_t* keys,
                           std::int64_t stride, std::int64_t n, float* scores) {
    const int heads = q.heads, cI = q.dim, blocks = cI / 32;
    std::uint8_t kc[kIndexerMaxDim];
    float ks[kIndexerMaxDim / 32];
    for (std::int64_t s = 0; s < n; ++s) {
        const std::uint8_t* key = keys + s * stride;
        for (int i = 0; i < cI / 2; ++i) {
            kc[2 * i] = kIndexerKeyCode[key[i] & 15];
            kc[2 * i + 1] = kIndexerKeyCode[key[i] >> 4];
        }
        for (int b = 0; b < blocks; ++b) ks[b] = detail::e8m0Scale(key[cI / 2 + b]);
        float L[kIndexerHeadLanes];
        for (int hv = 0; hv < heads / kIndexerHeadLanes; ++hv)
            for (int l = 0; l < kIndexerHeadLanes; ++l) {
                const int h = hv * kIndexerHeadLanes + l;
                float d = 0;
                for (int b = 0; b < blocks; ++b) {
                    std::int32_t acc = q.offsets[b * heads + h];
                    for (int i = 32 * b; i < 32 * b + 32; ++i)
                        acc += std::int32_t(kc[i]) * q.codes[(std::int64_t(i / 4) * heads + h) * 4 + i % 4];
                    const float t = (float(acc) * q.scales[b * heads + h]) * ks[b];
                    d = b == 0 ? t : d + t;
                }
                const float p = q.weights[h] * (d > 0.0f ? d : 0.0f);
                L[l] = hv == 0 ? p : L[l] + p;
            }
        for (int half = kIndexerHeadLanes / 2; half >= 1; half /= 2)
            for (int l = 0; l < half; ++l) L[l] = L[l] + L[l + half];
        scores[s] = L[0];
    }
}

void indexer_score_fp4(const IndexerQueryFp4& q, const std::uint8_t* keys, std::int64_t stride,
                       std::int64_t n, float* scores) {
    cpuKernels().indexerScoreFp4(q, keys, stride, n, scores);
}

}  // namespace atelier::kernels
