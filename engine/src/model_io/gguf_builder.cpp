#include "gguf_builder.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

namespace atelier::engine::gguf {
namespace {

void append(std::vector<std::byte>& out, const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    out.insert(out.end(), b, b + n);
}

template <typename T>
void appendValue(std::vector<std::byte>& out, const T& v) {
    append(out, &v, sizeof(T));
}

void appendString(std::vector<std::byte>& out, const std::string& s) {
    appendValue(out, std::uint64_t(s.size()));
    append(out, s.data(), s.size());
}

std::uint64_t alignUp(std::uint64_t v) { return (v + kDefaultAlignment - 1) / kDefaultAlignment * kDefaultAlignment; }

}  // namespace

template <typename T>
void GgufBuilder::put(const T& v) {
    appendValue(m_kv, v);
}

void GgufBuilder::putString(const std::string& s) { appendString(m_kv, s); }

void GgufBuilder::key(const std::string& k, ValueType t) {
    ++m_kvCount;
    putString(k);
    put(std::uint32_t(t));
}

void GgufBuilder::addU16(const std::string& k, std::uint16_t v) { key(k, ValueType::U16); put(v); }
void GgufBuilder::addU32(const std::string& k, std::uint32_t v) { key(k, ValueType::U32); put(v); }
void GgufBuilder::addI32(const std::string& k, std::int32_t v) { key(k, ValueType::I32); put(v); }
void GgufBuilder::addF32(const std::string& k, float v) { key(k, ValueType::F32); put(v); }
void GgufBuilder::addBool(const std::string& k, bool v) { key(k, ValueType::Bool); put(std::uint8_t(v ? 1 : 0)); }
void GgufBuilder::addString(const std::string& k, const std::string& v) { key(k, ValueType::String); putString(v); }

void GgufBuilder::addU32Array(const std::string& k, const std::vector<std::uint32_t>& v) {
    key(k, ValueType::Array);
    put(std::uint32_t(ValueType::U32));
    put(std::uint64_t(v.size()));
    for (auto x : v) put(x);
}

void GgufBuilder::addI32Array(const std::string& k, const std::vector<std::int32_t>& v) {
    key(k, ValueType::Array);
    put(std::uint32_t(ValueType::I32));
    put(std::uint64_t(v.size()));
    for (auto x : v) put(x);
}

void GgufBuilder::addF32Array(const std::string& k, const std::vector<float>& v) {
    key(k, ValueType::Array);
    put(std::uint32_t(ValueType::F32));
    put(std::uint64_t(v.size()));
    for (auto x : v) put(x);
}

void GgufBuilder::addStringArray(const std::string& k, const std::vector<std::string>& v) {
    key(k, ValueType::Array);
    put(std::uint32_t(ValueType::String));
    put(std::uint64_t(v.size()));
    for (const auto& s : v) putString(s);
}

void GgufBuilder::addValue(const std::string& k, const Value& v) {
    key(k, v.type);
    if (v.isArray()) {
        put(std::uint32_t(v.elemType));
        put(std::uint64_t(v.count));
        if (v.elemType == ValueType::String)
            for (const auto& s : v.strings) putString(s);
        else
            append(m_kv, v.raw.data(), v.raw.size());
        return;
    }
    switch (v.type) {
    case ValueType::U8: put(std::uint8_t(std::get<std::uint64_t>(v.scalar))); break;
    case ValueType::U16: put(std::uint16_t(std::get<std::uint64_t>(v.scalar))); break;
    case ValueType::U32: put(std::uint32_t(std::get<std::uint64_t>(v.scalar))); break;
    case ValueType::U64: put(std::get<std::uint64_t>(v.scalar)); break;
    case ValueType::I8: put(std::int8_t(std::get<std::int64_t>(v.scalar))); break;
    case ValueType::I16: put(std::int16_t(std::get<std::int64_t>(v.scalar))); break;
    case ValueType::I32: put(std::int32_t(std::get<std::int64_t>(v.scalar))); break;
    case ValueType::I64: put(std::get<std::int64_t>(v.scalar)); break;
    case ValueType::F32: put(float(std::get<double>(v.scalar))); break;
    case ValueType::F64: put(std::get<double>(v.scalar)); break;
    case ValueType::Bool: put(std::uint8_t(std::get<bool>(v.scalar) ? 1 : 0)); break;
    case ValueType::String: putString(std::get<std::string>(v.scalar)); break;
    case ValueType::Array: break;
    }
}

void GgufBuilder::addTensor(std::string name, GgmlType type, std::vector<std::int64_t> ne, Fill fill) {
    Tensor t;
    t.name = std::move(name);
    t.type = type;
    std::int64_t n = 1;
    for (auto v : ne) n *= v;
    t.ne = std::move(ne);
    t.nbytes = std::size_t(n / ggmlBlockSize(type)) * ggmlBlockBytes(type);
    t.offset = m_dataSize;
    t.fill = std::move(fill);
    m_dataSize = alignUp(m_dataSize + t.nbytes);
    m_tensors.push_back(std::move(t));
}

std::vector<std::byte> GgufBuilder::header() const {
    std::vector<std::byte> out;
    appendValue(out, kMagic);
    appendValue(out, kVersion);
    appendValue(out, std::uint64_t(m_tensors.size()));
    appendValue(out, m_kvCount);
    append(out, m_kv.data(), m_kv.size());
    for (const auto& t : m_tensors) {
        appendString(out, t.name);
        appendValue(out, std::uint32_t(t.ne.size()));
        for (auto v : t.ne) appendValue(out, v);
        appendValue(out, std::uint32_t(t.type));
        appendValue(out, t.offset);
    }
    out.resize(alignUp(out.size()), std::byte{0});
    return out;
}

std::vector<std::byte> GgufBuilder::toBytes() const {
    std::vector<std::byte> out = header();
    const std::size_t start = out.size();
    out.resize(start + m_dataSize, std::byte{0});
    for (const auto& t : m_tensors)
        if (t.fill) t.fill(out.data() + start + t.offset, t.nbytes);
    return out;
}

Result<void> GgufBuilder::writeFile(const std::filesystem::path& path) const {
    const std::filesystem::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
    auto fail = [&](const std::string& what) {
        const std::string msg = path.string() + ": " + what + ": " + std::strerror(errno);
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        return Error::io(msg);
    };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
    if (!f) return fail("cannot create " + tmp.string());
    const auto head = header();
    if (std::fwrite(head.data(), 1, head.size(), f.get()) != head.size()) return fail("write failed");
    std::vector<std::byte> buf;
    std::uint64_t written = 0;
    for (const auto& t : m_tensors) {
        // Each tensor starts at its aligned offset; the gap before it is zero padding.
        buf.assign(std::size_t(t.offset - written), std::byte{0});
        buf.resize(buf.size() + t.nbytes, std::byte{0});
        if (t.fill) t.fill(buf.data() + (t.offset - written), t.nbytes);
        if (std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size()) return fail("write failed");
        written = t.offset + t.nbytes;
    }
    buf.assign(std::size_t(m_dataSize - written), std::byte{0});
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size())
        return fail("write failed");
    if (std::fflush(f.get()) != 0) return fail("write failed");
    if (std::fclose(f.release()) != 0) return fail("close failed");
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return Error::io(path.string() + ": cannot rename the temporary file into place");
    }
    return {};
}

}  // namespace atelier::engine::gguf
