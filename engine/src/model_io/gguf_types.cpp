#include "gguf_types.h"

#include <iterator>

#include "atelier/kernels/gemm_quant.h"

namespace atelier::engine::gguf {

std::string_view valueTypeName(ValueType t) {
    static constexpr std::string_view names[] = {"u8",  "i8",   "u16",   "i16", "u32", "i32", "f32",
                                                 "bool", "string", "array", "u64", "i64", "f64"};
    const auto i = std::uint32_t(t);
    return i < std::size(names) ? names[i] : "unknown";
}

namespace {

// The kernels' format of a ggml block type that gemm_quant.h computes.
bool quantOf(GgmlType t, kernels::QuantType& out) {
    DType d;
    return ggmlToDType(t, d) && dtypeQuantType(d, out);
}

}  // namespace

bool isSupportedGgmlType(std::uint32_t t) {
    switch (GgmlType(t)) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::Q8_0:
    case GgmlType::I8:
    case GgmlType::I16:
    case GgmlType::I32:
    case GgmlType::I64:
    case GgmlType::BF16:
    case GgmlType::MXFP4:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ1_S:
    case GgmlType::IQ4_NL:
    case GgmlType::IQ3_S:
    case GgmlType::IQ2_S:
    case GgmlType::IQ4_XS:
    case GgmlType::IQ1_M: return true;
    }
    return false;
}

std::string_view refusedGgmlTypeName(std::uint32_t t) {
    switch (t) {
    case 4: return "Q4_2";
    case 5: return "Q4_3";
    case 9: return "Q8_1";
    case 15: return "Q8_K";
    case 28: return "F64";
    case 31: return "Q4_0_4_4";
    case 32: return "Q4_0_4_8";
    case 33: return "Q4_0_8_8";
    case 34: return "TQ1_0";
    case 35: return "TQ2_0";
    case 36: return "IQ4_NL_4_4";
    case 37: return "IQ4_NL_4_8";
    case 38: return "IQ4_NL_8_8";
    case 40: return "NVFP4";
    case 41: return "Q1_0";
    case 42: return "Q2_0";
    default: return "";
    }
}

std::string_view ggmlTypeName(GgmlType t) {
    if (kernels::QuantType q; quantOf(t, q)) return kernels::quantFormat(q).name;
    switch (t) {
    case GgmlType::F32: return "F32";
    case GgmlType::F16: return "F16";
    case GgmlType::Q8_0: return "Q8_0";
    case GgmlType::I8: return "I8";
    case GgmlType::I16: return "I16";
    case GgmlType::I32: return "I32";
    case GgmlType::I64: return "I64";
    case GgmlType::BF16: return "BF16";
    case GgmlType::MXFP4: return "MXFP4";
    case GgmlType::Q2_K: return "Q2_K";
    case GgmlType::Q4_K: return "Q4_K";
    case GgmlType::Q5_K: return "Q5_K";
    case GgmlType::Q6_K: return "Q6_K";
    default: return "unknown";
    }
}

int ggmlBlockSize(GgmlType t) {
    if (kernels::QuantType q; quantOf(t, q)) return kernels::quantFormat(q).blockElems;
    switch (t) {
    case GgmlType::Q8_0:
    case GgmlType::MXFP4: return 32;
    case GgmlType::Q2_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: return 256;
    default: return 1;
    }
}

std::size_t ggmlBlockBytes(GgmlType t) {
    if (kernels::QuantType q; quantOf(t, q)) return std::size_t(kernels::quantFormat(q).blockBytes);
    switch (t) {
    case GgmlType::F32:
    case GgmlType::I32: return 4;
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::I16: return 2;
    case GgmlType::I8: return 1;
    case GgmlType::I64: return 8;
    case GgmlType::Q8_0: return 34;   // f16 scale + 32 x int8
    case GgmlType::MXFP4: return 17;  // e8m0 scale + 16 bytes of nibbles
    case GgmlType::Q2_K: return 84;   // layouts: kernels/gemm_kquant.h
    case GgmlType::Q4_K: return 144;
    case GgmlType::Q5_K: return 176;
    case GgmlType::Q6_K: return 210;
    default: return 0;                // the rest: kernels/gemm_quant.h
    }
}

bool ggmlToDType(GgmlType t, DType& out) {
    switch (t) {
    case GgmlType::F32: out = DType::F32; return true;
    case GgmlType::F16: out = DType::F16; return true;
    case GgmlType::BF16: out = DType::BF16; return true;
    case GgmlType::Q8_0: out = DType::Q8_0; return true;
    case GgmlType::MXFP4: out = DType::MXFP4; return true;
    case GgmlType::Q4_0: out = DType::Q4_0; return true;
    case GgmlType::Q4_1: out = DType::Q4_1; return true;
    case GgmlType::Q5_0: out = DType::Q5_0; return true;
    case GgmlType::Q5_1: out = DType::Q5_1; return true;
    case GgmlType::IQ4_NL: out = DType::IQ4_NL; return true;
    case GgmlType::IQ4_XS: out = DType::IQ4_XS; return true;
    case GgmlType::IQ3_S: out = DType::IQ3_S; return true;
    case GgmlType::IQ3_XXS: out = DType::IQ3_XXS; return true;
    case GgmlType::IQ2_S: out = DType::IQ2_S; return true;
    case GgmlType::IQ2_XS: out = DType::IQ2_XS; return true;
    case GgmlType::IQ2_XXS: out = DType::IQ2_XXS; return true;
    case GgmlType::IQ1_M: out = DType::IQ1_M; return true;
    case GgmlType::IQ1_S: out = DType::IQ1_S; return true;
    case GgmlType::Q2_K: out = DType::Q2_K; return true;
    case GgmlType::Q3_K: out = DType::Q3_K; return true;
    case GgmlType::Q4_K: out = DType::Q4_K; return true;
    case GgmlType::Q5_K: out = DType::Q5_K; return true;
    case GgmlType::Q6_K: out = DType::Q6_K; return true;
    case GgmlType::I32: out = DType::I32; return true;
    case GgmlType::I64: out = DType::I64; return true;
    // GGUF's I8 is plain int8 (not the packed FP4 that the HF release's safetensors label "I8")
    // and I16 plain int16: the engine has no such dtype.
    case GgmlType::I8:
    case GgmlType::I16: return false;
    }
    return false;
}

}  // namespace atelier::engine::gguf
