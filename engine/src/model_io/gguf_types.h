#pragma once
// GGUF's numbering of metadata value types and tensor element types, with the block geometry of
// the element types this engine reads. Part of the file format: never reuse a value.
// Thread-safe: constants and pure functions.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "atelier/engine/dtype.h"

namespace atelier::engine::gguf {

inline constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr std::uint32_t kVersion = 3;
inline constexpr std::uint32_t kDefaultAlignment = 32;
inline constexpr std::size_t kMaxDims = 4;            // GGML_MAX_DIMS
inline constexpr std::size_t kMaxTensorName = 63;     // GGML_MAX_NAME - 1

// Metadata value types (gguf_type); part of the file format: never reuse a value.
enum class ValueType : std::uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
    String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view valueTypeName(ValueType t);

// Tensor element types this reader accepts (ggml_type numbers; file format: never reuse):
// every type that published GGUF files hold — the float types, Q8_0, MXFP4, the legacy blocks of
// 32 (Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL), the K-quants and the i-quants.
enum class GgmlType : std::uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q2_K = 10, Q3_K = 11,
    Q4_K = 12, Q5_K = 13, Q6_K = 14, IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19,
    IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27,
    IQ1_M = 29, BF16 = 30, MXFP4 = 39,
};
bool isSupportedGgmlType(std::uint32_t t);
std::string_view ggmlTypeName(GgmlType t);
// The name of a ggml type this reader knows but refuses (Q8_1, Q8_K, TQ1_0, TQ2_0, NVFP4, the
// removed interleaved Q4_0_4_4 family, ...), or "" for a number ggml never used.
std::string_view refusedGgmlTypeName(std::uint32_t t);
int ggmlBlockSize(GgmlType t);             // elements per block (1 for plain types)
std::size_t ggmlBlockBytes(GgmlType t);    // bytes per block
// The engine's DType for a ggml type; I8 (plain int8) and I16 have none (returns false).
bool ggmlToDType(GgmlType t, DType& out);

}  // namespace atelier::engine::gguf
