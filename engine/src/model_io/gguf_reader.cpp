#include "gguf_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace atelier::engine::gguf {
namespace {

// Smallest encodings, used to bound counts before anything is allocated: a key/value pair is a
// u64 key length, a u32 type and at least one value byte; a tensor info is a u64 name length, a
// u32 n_dims, at least one i64 ne, a u32 type and a u64 offset.
constexpr std::uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

std::size_t scalarSize(ValueType t) {
    switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::Bool: return 1;
    case ValueType::U16:
    case ValueType::I16: return 2;
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::F32: return 4;
    case ValueType::U64:
    case ValueType::I64:
    case ValueType::F64: return 8;
    default: return 0;
    }
}

class Cursor {
public:
    Cursor(std::span<const std::byte> bytes, const std::string& file) : m_bytes(bytes), m_file(file) {}

    std::uint64_t pos() const { return m_pos; }
    std::uint64_t left() const { return m_bytes.size() - m_pos; }

    Error fail(std::uint64_t at, const std::string& msg) const {
        return Error::badInput(m_file + ": " + msg + " (at byte " + std::to_string(at) + ")");
    }

    template <typename T>
    Result<T> read(const std::string& what) {
        if (left() < sizeof(T))
            return fail(m_pos, "truncated while reading " + what + ": needs " +
                                   std::to_string(sizeof(T)) + " bytes, " +
                                   std::to_string(left()) + " left");
        T v;
        std::memcpy(&v, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return v;
    }

    Result<std::string> readString(const std::string& what) {
        const std::uint64_t at = m_pos;
        auto len = read<std::uint64_t>("the length of " + what);
        if (!len) return len.error();
        if (*len > left())
            return fail(at, "length " + std::to_string(*len) + " of " + what + " runs past the end of the file (" +
                                std::to_string(left()) + " bytes left)");
        std::string s(reinterpret_cast<const char*>(m_bytes.data() + m_pos), std::size_t(*len));
        m_pos += *len;
        return s;
    }

    std::span<const std::byte> take(std::uint64_t n) {
        auto s = m_bytes.subspan(std::size_t(m_pos), std::size_t(n));
        m_pos += n;
        return s;
    }

private:
    std::span<const std::byte> m_bytes;
    const std::string& m_file;
    std::uint64_t m_pos = 0;
};

Result<void> readScalar(Cursor& c, ValueType t, const std::string& what, Value& v) {
    switch (t) {
#define ATELIER_GGUF_SCALAR(tag, ctype, slot)                      \
    case ValueType::tag: {                                         \
        auto r = c.read<ctype>(what);                              \
        if (!r) return r.error();                                  \
        v.scalar = slot(*r);                                       \
        return {};                                                 \
    }
        ATELIER_GGUF_SCALAR(U8, std::uint8_t, std::uint64_t)
        ATELIER_GGUF_SCALAR(U16, std::uint16_t, std::uint64_t)
        ATELIER_GGUF_SCALAR(U32, std::uint32_t, std::uint64_t)
        ATELIER_GGUF_SCALAR(U64, std::uint64_t, std::uint64_t)
        ATELIER_GGUF_SCALAR(I8, std::int8_t, std::int64_t)
        ATELIER_GGUF_SCALAR(I16, std::int16_t, std::int64_t)
        ATELIER_GGUF_SCALAR(I32, std::int32_t, std::int64_t)
        ATELIER_GGUF_SCALAR(I64, std::int64_t, std::int64_t)
        ATELIER_GGUF_SCALAR(F32, float, double)
        ATELIER_GGUF_SCALAR(F64, double, double)
#undef ATELIER_GGUF_SCALAR
    case ValueType::Bool: {
        const std::uint64_t at = c.pos();
        auto r = c.read<std::uint8_t>(what);
        if (!r) return r.error();
        if (*r > 1) return c.fail(at, what + " is a bool holding " + std::to_string(*r));
        v.scalar = *r != 0;
        return {};
    }
    case ValueType::String: {
        auto r = c.readString(what);
        if (!r) return r.error();
        v.scalar = std::move(*r);
        return {};
    }
    default: break;
    }
    return c.fail(c.pos(), what + " has unknown type " + std::to_string(std::uint32_t(t)));
}

Result<void> readArray(Cursor& c, const std::string& what, Value& v) {
    const std::uint64_t at = c.pos();
    auto et = c.read<std::uint32_t>("the element type of " + what);
    if (!et) return et.error();
    if (*et > std::uint32_t(ValueType::F64))
        return c.fail(at, what + " is an array of unknown type " + std::to_string(*et));
    v.elemType = ValueType(*et);
    if (v.elemType == ValueType::Array) return c.fail(at, what + " is an array of arrays, which is not supported");
    const std::uint64_t countAt = c.pos();
    auto n = c.read<std::uint64_t>("the length of " + what);
    if (!n) return n.error();
    v.count = *n;
    if (v.elemType == ValueType::String) {
        if (*n > c.left() / 8)
            return c.fail(countAt, what + " claims " + std::to_string(*n) + " strings, more than the " +
                                       std::to_string(c.left()) + " bytes left can hold");
        v.strings.reserve(std::size_t(*n));
        for (std::uint64_t i = 0; i < *n; ++i) {
            auto s = c.readString(what + "[" + std::to_string(i) + "]");
            if (!s) return s.error();
            v.strings.push_back(std::move(*s));
        }
        return {};
    }
    const std::size_t size = scalarSize(v.elemType);
    if (*n > c.left() / size)
        return c.fail(countAt, what + " claims " + std::to_string(*n) + " elements of " +
                                   std::to_string(size) + " bytes, more than the " +
                                   std::to_string(c.left()) + " bytes left");
    v.raw = c.take(*n * size);
    if (v.elemType == ValueType::Bool)
        for (std::byte b : v.raw)
            if (std::uint8_t(b) > 1) return c.fail(countAt, what + " holds a bool that is neither 0 nor 1");
    return {};
}

Result<void> readKv(Cursor& c, GgufFile& f, std::uint64_t index) {
    const std::uint64_t at = c.pos();
    auto key = c.readString("metadata key #" + std::to_string(index));
    if (!key) return key.error();
    if (f.kvIndex.count(*key)) return c.fail(at, "duplicate metadata key '" + *key + "'");
    Value v;
    v.offset = c.pos();
    auto type = c.read<std::uint32_t>("the type of key '" + *key + "'");
    if (!type) return type.error();
    if (*type > std::uint32_t(ValueType::F64))
        return c.fail(v.offset, "key '" + *key + "' has unknown type " + std::to_string(*type));
    v.type = ValueType(*type);
    const std::string what = "key '" + *key + "'";
    auto r = v.isArray() ? readArray(c, what, v) : readScalar(c, v.type, what, v);
    if (!r) return r.error();
    f.kvIndex.emplace(*key, f.kv.size());
    f.kv.emplace_back(std::move(*key), std::move(v));
    return {};
}

Result<void> readTensorInfo(Cursor& c, GgufFile& f, std::uint64_t index) {
    TensorInfo t;
    t.infoOffset = c.pos();
    auto name = c.readString("the name of tensor #" + std::to_string(index));
    if (!name) return name.error();
    t.name = std::move(*name);
    const std::string what = "tensor '" + t.name + "'";
    if (t.name.empty() || t.name.size() > kMaxTensorName)
        return c.fail(t.infoOffset, what + " has a name of " + std::to_string(t.name.size()) +
                                        " bytes (1 to " + std::to_string(kMaxTensorName) + " allowed)");
    if (f.tensorIndex.count(t.name)) return c.fail(t.infoOffset, "duplicate " + what);
    const std::uint64_t dimsAt = c.pos();
    auto nDims = c.read<std::uint32_t>("the dimension count of " + what);
    if (!nDims) return nDims.error();
    if (*nDims < 1 || *nDims > kMaxDims)
        return c.fail(dimsAt, what + " has " + std::to_string(*nDims) + " dimensions (1 to 4 allowed)");
    std::int64_t elements = 1;
    for (std::uint32_t i = 0; i < *nDims; ++i) {
        const std::uint64_t neAt = c.pos();
        auto ne = c.read<std::int64_t>("ne[" + std::to_string(i) + "] of " + what);
        if (!ne) return ne.error();
        if (*ne < 0 || (*ne != 0 && elements > std::numeric_limits<std::int64_t>::max() / *ne))
            return c.fail(neAt, what + " has an invalid or overflowing ne[" + std::to_string(i) + "] = " +
                                    std::to_string(*ne));
        elements *= *ne;
        t.ne.push_back(*ne);
    }
    const std::uint64_t typeAt = c.pos();
    auto type = c.read<std::uint32_t>("the type of " + what);
    if (!type) return type.error();
    if (!isSupportedGgmlType(*type)) {
        const std::string_view known = refusedGgmlTypeName(*type);
        return c.fail(typeAt, what + " has " +
                                  (known.empty() ? "unknown ggml type " + std::to_string(*type)
                                                 : "ggml type " + std::string(known) + " (" +
                                                       std::to_string(*type) + "), which Atelier does not read"));
    }
    t.type = GgmlType(*type);
    const int block = ggmlBlockSize(t.type);
    if (t.ne[0] % block != 0)
        return c.fail(typeAt, what + " is " + std::string(ggmlTypeName(t.type)) + " but ne[0] = " +
                                  std::to_string(t.ne[0]) + " is not a multiple of " + std::to_string(block));
    // elements < 2^63 and at most 8 bytes per element: the product fits in 128 bits, and is
    // bounded against the file size below.
    const unsigned __int128 bytes =
        (unsigned __int128)(std::uint64_t(elements) / std::uint64_t(block)) * ggmlBlockBytes(t.type);
    if (bytes > f.bytes.size())
        return c.fail(t.infoOffset, what + " has " + std::to_string(elements) + " elements of type " +
                                        std::string(ggmlTypeName(t.type)) + ", more than the whole file (" +
                                        std::to_string(f.bytes.size()) + " bytes) holds");
    t.nbytes = std::uint64_t(bytes);
    auto offset = c.read<std::uint64_t>("the data offset of " + what);
    if (!offset) return offset.error();
    t.dataOffset = *offset;  // relative for now; made absolute once the data section is known
    f.tensorIndex.emplace(t.name, f.tensors.size());
    f.tensors.push_back(std::move(t));
    return {};
}

Result<void> readAlignment(const Cursor& c, GgufFile& f) {
    const Value* a = f.find("general.alignment");
    if (!a) return {};
    if (a->type != ValueType::U32)
        return c.fail(a->offset, "key 'general.alignment' has type " + std::string(valueTypeName(a->type)) +
                                     ", expected u32");
    const auto v = std::get<std::uint64_t>(a->scalar);
    if (v == 0 || (v & (v - 1)) != 0)
        return c.fail(a->offset, "key 'general.alignment' = " + std::to_string(v) + " is not a power of two");
    f.alignment = std::uint32_t(v);
    return {};
}

Result<void> placeTensors(const Cursor& c, GgufFile& f) {
    const std::uint64_t dataBytes = f.bytes.size() - f.dataStart;
    std::vector<const TensorInfo*> order;
    for (auto& t : f.tensors) {
        const std::string what = "tensor '" + t.name + "'";
        if (t.dataOffset % f.alignment != 0)
            return c.fail(t.infoOffset, what + " has data offset " + std::to_string(t.dataOffset) +
                                            ", not a multiple of the alignment " + std::to_string(f.alignment));
        // ggml pads every tensor, the last one included, to the alignment and reads the padded
        // size, so a file missing the final padding is truncated too.
        const std::uint64_t padded = t.nbytes + (f.alignment - t.nbytes % f.alignment) % f.alignment;
        if (t.dataOffset > dataBytes || padded > dataBytes - t.dataOffset)
            return c.fail(f.dataStart + std::min(t.dataOffset, dataBytes),
                          what + " (" + std::to_string(t.nbytes) + " bytes, padded to " + std::to_string(padded) +
                              ", at data offset " +
                              std::to_string(t.dataOffset) + ") runs past the end of the file; the data section holds " +
                              std::to_string(dataBytes) + " bytes");
        t.dataOffset += f.dataStart;
        order.push_back(&t);
    }
    std::sort(order.begin(), order.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->dataOffset < b->dataOffset; });
    for (std::size_t i = 1; i < order.size(); ++i)
        if (order[i - 1]->dataOffset + order[i - 1]->nbytes > order[i]->dataOffset)
            return c.fail(order[i]->dataOffset, "tensor '" + order[i]->name + "' overlaps tensor '" +
                                                    order[i - 1]->name + "'");
    return {};
}

}  // namespace

std::int64_t TensorInfo::elements() const {
    std::int64_t n = 1;
    for (auto v : ne) n *= v;
    return n;
}

const Value* GgufFile::find(std::string_view key) const {
    auto it = kvIndex.find(key);
    return it == kvIndex.end() ? nullptr : &kv[it->second].second;
}

const TensorInfo* GgufFile::findTensor(std::string_view name) const {
    auto it = tensorIndex.find(name);
    return it == tensorIndex.end() ? nullptr : &tensors[it->second];
}

Result<GgufFile> parse(std::span<const std::byte> bytes, std::string fileName) {
    GgufFile f;
    f.fileName = std::move(fileName);
    f.bytes = bytes;
    Cursor c(bytes, f.fileName);

    auto magic = c.read<std::uint32_t>("the magic");
    if (!magic) return magic.error();
    if (*magic != kMagic) return c.fail(0, "not a GGUF file (bad magic)");
    auto version = c.read<std::uint32_t>("the version");
    if (!version) return version.error();
    if (*version != kVersion)
        return c.fail(4, "unsupported GGUF version " + std::to_string(*version) + " (only 3 is read)");
    f.version = *version;
    auto nTensors = c.read<std::uint64_t>("the tensor count");
    if (!nTensors) return nTensors.error();
    auto nKv = c.read<std::uint64_t>("the metadata count");
    if (!nKv) return nKv.error();
    if (*nKv > c.left() / kMinKvBytes)
        return c.fail(16, "metadata count " + std::to_string(*nKv) + " cannot fit in the " +
                              std::to_string(c.left()) + " bytes left");
    if (*nTensors > c.left() / kMinTensorInfoBytes)
        return c.fail(8, "tensor count " + std::to_string(*nTensors) + " cannot fit in the " +
                             std::to_string(c.left()) + " bytes left");

    for (std::uint64_t i = 0; i < *nKv; ++i) {
        auto r = readKv(c, f, i);
        if (!r) return r.error();
    }
    auto a = readAlignment(c, f);
    if (!a) return a.error();
    for (std::uint64_t i = 0; i < *nTensors; ++i) {
        auto r = readTensorInfo(c, f, i);
        if (!r) return r.error();
    }
    const std::uint64_t end = c.pos();
    f.dataStart = (end + f.alignment - 1) / f.alignment * f.alignment;
    if (f.dataStart > bytes.size())
        return c.fail(end, "truncated: the data section would start at byte " + std::to_string(f.dataStart) +
                               " but the file has " + std::to_string(bytes.size()) + " bytes");
    auto p = placeTensors(c, f);
    if (!p) return p.error();
    return f;
}

Result<std::shared_ptr<const MappedGguf>> MappedGguf::open(const std::filesystem::path& path) {
    auto mapped = base::MappedFile::open(path);
    if (!mapped) return mapped.error();
    std::shared_ptr<MappedGguf> m(new MappedGguf());
    m->m_map = std::move(*mapped);
    auto parsed = parse(m->m_map.bytes(), path.string());
    if (!parsed) return parsed.error();
    m->m_file = std::move(*parsed);
    return std::shared_ptr<const MappedGguf>(std::move(m));
}

}  // namespace atelier::engine::gguf
