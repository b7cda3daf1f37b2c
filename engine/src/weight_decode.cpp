#include "atelier/engine/weight_decode.h"

#include <cstring>
#include <string>

#include "atelier/kernels/gemm_kquant.h"
#include "atelier/kernels/gemm_quant.h"

namespace atelier::engine {
namespace {

template <typename T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// ggml's block formats: the K-quants, the legacy blocks of 32 and the i-quants.
bool isGgmlBlockDType(DType t) {
    kernels::QuantType q;
    return t == DType::Q4_K || t == DType::Q5_K || t == DType::Q6_K || t == DType::Q2_K || dtypeQuantType(t, q);
}

std::string shapeText(const std::vector<std::int64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

}  // namespace

Result<StoredMatrix> bindMatrix(const WeightSource& source, const std::string& name,
                                std::int64_t rows, std::int64_t cols) {
    StoredMatrix m;
    m.weight = source.find(name);
    m.rows = rows;
    m.cols = cols;
    if (!m.weight)
        return unexpected(Error::badInput(source.origin() + ": tensor '" + name + "' is missing"));
    const auto& w = *m.weight;
    const auto where = [&] {
        return source.origin() + ": tensor '" + name + "' (" + w.file + " at byte " +
               std::to_string(w.fileOffset) + ")";
    };
    if (w.shape.size() != 2)
        return unexpected(Error::badInput(where() + " has shape " + shapeText(w.shape) +
                                          ", expected a matrix"));
    std::int64_t storedCols = cols;
    if (w.dtype == DType::E2M1x2) storedCols = cols / 2;
    if (w.shape[0] != rows || w.shape[1] != storedCols)
        return unexpected(Error::badInput(where() + " has shape " + shapeText(w.shape) +
                                          ", expected " + shapeText({rows, storedCols})));
    if (dtypeBlockSize(w.dtype) > 1 && cols % dtypeBlockSize(w.dtype) != 0)
        return unexpected(Error::badInput(where() + ": " + std::string(dtypeName(w.dtype)) +
                                          " needs rows of a multiple of " +
                                          std::to_string(dtypeBlockSize(w.dtype)) + " elements"));
    if (w.nbytes < std::size_t(rows) * dtypeRowBytes(w.dtype, storedCols))
        return unexpected(Error::badInput(where() + " holds " + std::to_string(w.nbytes) +
                                          " bytes, fewer than its shape needs"));
    if (w.dtype == DType::F8_E4M3 || w.dtype == DType::E2M1x2) {
        std::string scaleName = name;
        const std::string suffix = ".weight";
        if (scaleName.size() > suffix.size() &&
            scaleName.compare(scaleName.size() - suffix.size(), suffix.size(), suffix) == 0)
            scaleName.replace(scaleName.size() - suffix.size(), suffix.size(), ".scale");
        else
            scaleName += ".scale";
        m.scale = source.find(scaleName);
        if (!m.scale)
            return unexpected(Error::badInput(where() + " is " + std::string(dtypeName(w.dtype)) +
                                              " but its scale tensor '" + scaleName + "' is missing"));
        const std::vector<std::int64_t> want =
            w.dtype == DType::E2M1x2 ? std::vector<std::int64_t>{rows, cols / 32}
                                 : std::vector<std::int64_t>{(rows + 127) / 128, (cols + 127) / 128};
        if (m.scale->shape != want || m.scale->dtype != DType::F8_E8M0 ||
            m.scale->nbytes < std::size_t(elementCount(want)))
            return unexpected(Error::badInput(
                source.origin() + ": scale tensor '" + scaleName + "' has shape " +
                shapeText(m.scale->shape) + " " + std::string(dtypeName(m.scale->dtype)) +
                ", expected " + shapeText(want) + " F8_E8M0"));
    } else if (w.dtype != DType::F32 && w.dtype != DType::F16 && w.dtype != DType::BF16 &&
               w.dtype != DType::Q8_0 && w.dtype != DType::MXFP4 && !isGgmlBlockDType(w.dtype)) {
        return unexpected(Error::badInput(where() + " has unsupported dtype " +
                                          std::string(dtypeName(w.dtype))));
    }
    return m;
}

void decodeRow(const StoredMatrix& m, std::int64_t row, float* out) {
    const TensorView& w = *m.weight;
    const std::int64_t cols = m.cols;
    switch (w.dtype) {
    case DType::F32: {
        std::memcpy(out, w.data + std::size_t(row * cols) * 4, std::size_t(cols) * 4);
        break;
    }
    case DType::F16: {
        const std::byte* p = w.data + std::size_t(row * cols) * 2;
        for (std::int64_t i = 0; i < cols; ++i) out[i] = f16ToF32(load<std::uint16_t>(p + 2 * i));
        break;
    }
    case DType::BF16: {
        const std::byte* p = w.data + std::size_t(row * cols) * 2;
        for (std::int64_t i = 0; i < cols; ++i) out[i] = bf16ToF32(load<std::uint16_t>(p + 2 * i));
        break;
    }
    case DType::F8_E4M3: {
        const auto* p = reinterpret_cast<const std::uint8_t*>(w.data) + row * cols;
        const auto* s = reinterpret_cast<const std::uint8_t*>(m.scale->data);
        const std::int64_t scaleCols = (cols + 127) / 128;
        for (std::int64_t i = 0; i < cols; ++i)
            out[i] = e4m3ToF32(p[i]) * e8m0ToF32(s[(row / 128) * scaleCols + i / 128]);
        break;
    }
    case DType::E2M1x2: {  // HF FP4 pairs: element 2i low nibble, 2i+1 high nibble
        const auto* p = reinterpret_cast<const std::uint8_t*>(w.data) + row * (cols / 2);
        const auto* s = reinterpret_cast<const std::uint8_t*>(m.scale->data) + row * (cols / 32);
        for (std::int64_t i = 0; i < cols / 2; ++i) {
            const float scale = e8m0ToF32(s[(2 * i) / 32]);
            out[2 * i] = e2m1ToF32(p[i] & 0x0f) * scale;
            out[2 * i + 1] = e2m1ToF32(p[i] >> 4) * scale;
        }
        break;
    }
    case DType::Q8_0: {
        const std::byte* p = w.data + std::size_t(row) * dtypeRowBytes(DType::Q8_0, cols);
        for (std::int64_t b = 0; b < cols / 32; ++b) {
            const float d = f16ToF32(load<std::uint16_t>(p + b * 34));
            const auto* q = reinterpret_cast<const std::int8_t*>(p + b * 34 + 2);
            for (int j = 0; j < 32; ++j) out[b * 32 + j] = d * float(q[j]);
        }
        break;
    }
    case DType::MXFP4: {
        // ggml: e8m0 byte, then 16 bytes; its code table is doubled (int8 values 2x E2M1) and the
        // scale halved, which equals E2M1 x 2^(e-127).
        const std::byte* p = w.data + std::size_t(row) * dtypeRowBytes(DType::MXFP4, cols);
        for (std::int64_t b = 0; b < cols / 32; ++b) {
            const float d = e8m0ToF32(std::uint8_t(p[b * 17]));
            const auto* q = reinterpret_cast<const std::uint8_t*>(p + b * 17 + 1);
            for (int j = 0; j < 16; ++j) {
                out[b * 32 + j] = e2m1ToF32(q[j] & 0x0f) * d;
                out[b * 32 + j + 16] = e2m1ToF32(q[j] >> 4) * d;
            }
        }
        break;
    }
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q2_K: {
        const auto* p = reinterpret_cast<const std::uint8_t*>(w.data) + std::size_t(row) * dtypeRowBytes(w.dtype, cols);
        if (w.dtype == DType::Q4_K) kernels::dequant_row_q4_k_ref(p, cols, out);
        else if (w.dtype == DType::Q5_K) kernels::dequant_row_q5_k_ref(p, cols, out);
        else if (w.dtype == DType::Q6_K) kernels::dequant_row_q6_k_ref(p, cols, out);
        else kernels::dequant_row_q2_k_ref(p, cols, out);
        break;
    }
    default:
        if (kernels::QuantType q; dtypeQuantType(w.dtype, q)) {
            const auto* p = reinterpret_cast<const std::uint8_t*>(w.data) + std::size_t(row) * dtypeRowBytes(w.dtype, cols);
            kernels::quantFormat(q).dequantRow(p, cols, out);
            break;
        }
        for (std::int64_t i = 0; i < cols; ++i) out[i] = 0.0f;
        break;
    }
}

void decodeTensor(const TensorView& t, std::span<float> out) {
    const std::size_t n = out.size();
    if (dtypeBlockSize(t.dtype) > 1 && !t.shape.empty()) {
        // A GGUF quantizer may store 2-D tensors such as hc_*_fn or a compressor's ape in block
        // formats: decode them row by row along the last (contiguous) axis.
        StoredMatrix m;
        m.weight = &t;
        m.cols = t.shape.back();
        m.rows = m.cols > 0 ? std::int64_t(n) / m.cols : 0;
        for (std::int64_t r = 0; r < m.rows; ++r) decodeRow(m, r, out.data() + r * m.cols);
        return;
    }
    for (std::size_t i = 0; i < n; ++i) {
        switch (t.dtype) {
        case DType::F32: out[i] = load<float>(t.data + 4 * i); break;
        case DType::F64: out[i] = float(load<double>(t.data + 8 * i)); break;
        case DType::F16: out[i] = f16ToF32(load<std::uint16_t>(t.data + 2 * i)); break;
        case DType::BF16: out[i] = bf16ToF32(load<std::uint16_t>(t.data + 2 * i)); break;
        case DType::I32: out[i] = float(load<std::int32_t>(t.data + 4 * i)); break;
        case DType::I64: out[i] = float(load<std::int64_t>(t.data + 8 * i)); break;
        default: out[i] = 0.0f; break;
        }
    }
}

}  // namespace atelier::engine
