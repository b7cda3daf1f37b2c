// writeGgufModel: seeded random weights in llama.cpp's deepseek4 layout (see gguf.h).

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "atelier/engine/chat_format.h"
#include "atelier/engine/dtype.h"
#include "atelier/base/log.h"
#include "atelier/kernels/gemm_quant.h"
#include "gguf.h"
#include "gguf_builder.h"
#include "gguf_deepseek4.h"
#include "gguf_kquantize.h"
#include "gguf_quantize.h"
#include "tokenizer_json_vocabulary.h"

namespace atelier::engine {
namespace {

using gguf::GgmlType;
using gguf::PlanLayout;
using gguf::TensorPlan;

// llama_ftype labels (informational): ALL_F32, MOSTLY_BF16, MOSTLY_MXFP4_MOE, and for the
// quantized outputs the llama-quantize file type of the same name (mixes: their expert type).
std::uint32_t fileType(const CreateModelOptions& o) {
    switch (o.ggufQuant) {
    case GgufQuant::Q4_0: return 2;
    case GgufQuant::Q4_1: return 3;
    case GgufQuant::Q8_0: return 7;
    case GgufQuant::Q5_0: return 8;
    case GgufQuant::Q5_1: return 9;
    case GgufQuant::Q2_K:
    case GgufQuant::Q2_K_XL: return 10;
    case GgufQuant::Q3_K: return 12;
    case GgufQuant::Q4_K: return 14;
    case GgufQuant::Q4_K_M: return 15;
    case GgufQuant::Q5_K: return 16;
    case GgufQuant::Q6_K: return 18;
    case GgufQuant::IQ2_XXS:
    case GgufQuant::Expert2Bit:
    case GgufQuant::IQ2_XXS_XL: return 19;
    case GgufQuant::IQ2_XS:
    case GgufQuant::IQ2_XS_XL: return 20;
    case GgufQuant::IQ3_XXS: return 23;
    case GgufQuant::IQ1_S:
    case GgufQuant::IQ1_S_XL: return 24;
    case GgufQuant::IQ4_NL: return 25;
    case GgufQuant::IQ3_S: return 26;
    case GgufQuant::IQ2_S: return 28;
    case GgufQuant::IQ4_XS: return 30;
    case GgufQuant::IQ1_M:
    case GgufQuant::IQ1_M_XL: return 31;
    case GgufQuant::Mxfp4: return 38;
    case GgufQuant::F16: return 1;
    case GgufQuant::None: break;
    }
    return o.scheme == WeightScheme::F32 ? 0u : o.scheme == WeightScheme::BF16 ? 32u : 38u;
}

// The generator's values of one HF tensor as a [rows, cols] f32 matrix (1-D: one row), rounded
// through the release's FP8 blocks when the scheme stores the role as FP8.
std::vector<float> generated(const ModelConfig& c, const TensorSpec& spec, WeightScheme scheme, std::uint64_t seed) {
    std::vector<float> v(std::size_t(elementCount(spec.shape)));
    fillRandomTensor(c, spec, seed, reinterpret_cast<std::byte*>(v.data()));
    if (scheme == WeightScheme::FP8 && spec.role == TensorRole::LinearFp8 && spec.shape.size() == 2)
        gguf::roundTripFp8Blocks(v.data(), spec.shape[0], spec.shape[1]);
    return v;
}

void encodeRowRange(const float* x, std::int64_t rowBegin, std::int64_t rowEnd, std::int64_t cols, GgmlType type,
                    std::byte* out) {
    const std::size_t rowBytes = std::size_t(cols / gguf::ggmlBlockSize(type)) * gguf::ggmlBlockBytes(type);
    out += std::size_t(rowBegin) * rowBytes;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r, out += rowBytes) {
        const float* row = x + r * cols;
        switch (type) {
        case GgmlType::F32: std::memcpy(out, row, std::size_t(cols) * 4); break;
        case GgmlType::BF16:
            for (std::int64_t i = 0; i < cols; ++i) {
                const std::uint16_t h = f32ToBf16(row[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            break;
        case GgmlType::Q8_0: gguf::quantizeRowQ8_0(row, cols, out); break;
        case GgmlType::MXFP4: gguf::quantizeRowMxfp4(row, cols, out); break;
        case GgmlType::F16:
            for (std::int64_t i = 0; i < cols; ++i) {
                const std::uint16_t h = f32ToF16(row[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
            break;
        case GgmlType::Q4_K: gguf::quantizeRowQ4_K(row, cols, out); break;
        case GgmlType::Q5_K: gguf::quantizeRowQ5_K(row, cols, out); break;
        case GgmlType::Q6_K: gguf::quantizeRowQ6_K(row, cols, out); break;
        case GgmlType::Q2_K: gguf::quantizeRowQ2_K(row, cols, out); break;
        default: {  // the other block formats: the kernels' reference quantizers
            DType d;
            kernels::QuantType q;
            if (gguf::ggmlToDType(type, d) && dtypeQuantType(d, q))
                kernels::quantFormat(q).quantizeRow(row, cols, reinterpret_cast<std::uint8_t*>(out));
            break;
        }
        }
    }
}

// Rows are independent: large tensors are quantized on every core (the lattice quantizers
// search a grid per group of 8 and would take most of an hour for the bench preset on one).
void encodeRows(const float* x, std::int64_t rows, std::int64_t cols, GgmlType type, std::byte* out) {
    const int threads = int(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1u, 64u));
    if (threads == 1 || rows < 2 * threads || rows * cols < (1 << 18)) return encodeRowRange(x, 0, rows, cols, type, out);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back(encodeRowRange, x, rows * t / threads, rows * (t + 1) / threads, cols, type, out);
    for (auto& th : pool) th.join();
}

void encodeTid2Eid(const ModelConfig& c, const TensorSpec& spec, std::uint64_t seed, std::byte* out) {
    std::vector<std::int64_t> ids(std::size_t(elementCount(spec.shape)));
    fillRandomTensor(c, spec, seed, reinterpret_cast<std::byte*>(ids.data()));
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto v = std::int32_t(ids[i]);  // the converter's I64 -> I32 cast; ids are < E
        std::memcpy(out + 4 * i, &v, 4);
    }
}

void encodeTensor(const ModelConfig& c, const TensorPlan& p, GgmlType type, WeightScheme scheme,
                  std::uint64_t seed, std::byte* out, std::size_t nbytes) {
    const TensorSpec& first = p.parts.front();
    if (first.role == TensorRole::Tid2Eid) return encodeTid2Eid(c, first, seed, out);
    const std::int64_t rows = first.shape.size() == 2 ? first.shape[0] : 1;
    const std::int64_t cols = first.shape.back();
    if (p.layout == PlanLayout::ConcatInput) {
        // Row r of the file tensor: e_proj's row r, then h_proj's row r.
        const auto e = generated(c, p.parts[0], scheme, seed), h = generated(c, p.parts[1], scheme, seed);
        std::vector<float> joined(std::size_t(rows * cols * 2));
        for (std::int64_t r = 0; r < rows; ++r) {
            std::memcpy(&joined[std::size_t(r * cols * 2)], &e[std::size_t(r * cols)], std::size_t(cols) * 4);
            std::memcpy(&joined[std::size_t(r * cols * 2 + cols)], &h[std::size_t(r * cols)], std::size_t(cols) * 4);
        }
        return encodeRows(joined.data(), rows, cols * 2, type, out);
    }
    const std::size_t slice = nbytes / p.parts.size();  // experts: E is the slowest axis
    for (std::size_t i = 0; i < p.parts.size(); ++i) {
        const auto v = generated(c, p.parts[i], scheme, seed);
        encodeRows(v.data(), rows, cols, type, out + i * slice);
    }
}

// The file's builder: metadata and tensor infos, each tensor's bytes produced when written.
Result<gguf::GgufBuilder> ggufModelBuilder(const CreateModelOptions& options, const std::filesystem::path& out) {
    ModelConfig full = options.config;
    Vocabulary vocab;
    if (!options.tokenizerJson.empty()) {
        // The tokenizer decides V; the embedding, head and tid2eid follow it.
        auto v = vocabularyForGguf(options.tokenizerJson);
        if (!v) return v.error();
        vocab = std::move(*v);
        full.vocabSize = std::int64_t(vocab.tokens.size());
        full.bosTokenId = vocab.bosId;
        full.eosTokenId = vocab.eosId;
    } else {
        if (full.vocabSize < 512)
            return Error::badInput(out.string() + ": GGUF output needs vocab_size >= 512 for the built-in vocabulary, got " +
                                   std::to_string(full.vocabSize));
        vocab = builtinVocabulary(full.vocabSize);
    }
    ATELIER_TRY_VOID(full.validate());
    // llama.cpp keeps MTP in a separate file: the main file holds the trunk.
    ModelConfig trunk = full;
    trunk.nMtpLayers = 0;
    trunk.compressRatios.resize(std::size_t(full.nLayers));

    gguf::GgufBuilder b;
    gguf::writeConfig(full, 0, b);
    b.addU32("general.file_type", fileType(options));
    // Quantized output starts from the generator's plain values (no FP8 rounding first).
    const bool quantized = options.ggufQuant != GgufQuant::None;
    const WeightScheme scheme = quantized ? WeightScheme::F32 : options.scheme;
    b.addU32("general.quantization_version", 2);
    gguf::writeVocabulary(vocab, b);
    // So that other engines (llama.cpp's server) render DeepSeek V4's chat format for this file.
    b.addString("tokenizer.chat_template", std::string(deepseekV4ChatTemplate()));
    for (const auto& p : gguf::tensorPlan(trunk)) {
        const GgmlType type = quantized ? gguf::ggufQuantTypeFor(p, options.ggufQuant, trunk.nLayers) : gguf::ggufTypeFor(p.role, scheme);
        if (p.ne[0] % gguf::ggmlBlockSize(type) != 0)
            return Error::badInput(out.string() + ": cannot store tensor '" + p.ggufName + "' as " + std::string(gguf::ggmlTypeName(type)) +
                                   ": its rows of " + std::to_string(p.ne[0]) + " values are not a multiple of " +
                                   std::to_string(gguf::ggmlBlockSize(type)));
        b.addTensor(p.ggufName, type, p.ne,
                    [trunk, p, type, scheme, seed = options.seed](std::byte* o, std::size_t n) {
                        encodeTensor(trunk, p, type, scheme, seed, o, n);
                    });
    }
    return b;
}

}  // namespace

Result<void> writeGgufModel(const CreateModelOptions& options, const std::filesystem::path& out) {
    auto b = ggufModelBuilder(options, out);
    if (!b) return b.error();
    ATELIER_TRY_VOID(b->writeFile(out));
    logger("engine")->info("wrote GGUF {} ({} tensors)", out.string(), b->tensorCount());
    return {};
}

Result<std::uint64_t> ggufModelBytes(const CreateModelOptions& options, const std::filesystem::path& out) {
    auto b = ggufModelBuilder(options, out);
    if (!b) return b.error();
    return b->fileBytes();
}

}  // namespace atelier::engine
