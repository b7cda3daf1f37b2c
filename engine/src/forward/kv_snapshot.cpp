// KvCache::snapshot / restore and the two hashes they use.
// Stream (little-endian): "ATKV" | u32 version | u64 config hash | u8 numerics | u64 tokens n |
// n × i32 | per block: ring bytes, compK, compZ, indexK, indexZ (f32), then for each paged
// store u64 entry count and its whole pages | u32 CRC-32 of everything before it.

#include <array>
#include <cstring>
#include <string>

#include "atelier/engine/kv_cache.h"

namespace atelier::engine {
namespace {

constexpr char kMagic[4] = {'A', 'T', 'K', 'V'};
constexpr std::uint32_t kVersion = 1;  // persisted: never reuse a value

struct Writer {
    std::vector<std::uint8_t> out;
    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    }
    template <typename T>
    void value(T v) { bytes(&v, sizeof v); }
};

struct Reader {
    std::span<const std::uint8_t> in;
    std::size_t pos = 0;
    bool bytes(void* p, std::size_t n) {
        if (in.size() - pos < n) return false;
        std::memcpy(p, in.data() + pos, n);
        pos += n;
        return true;
    }
    template <typename T>
    bool value(T& v) { return bytes(&v, sizeof v); }
};

void writeStore(Writer& w, const PagedStore& s) {
    w.value<std::uint64_t>(std::uint64_t(s.size()));
    for (std::size_t i = 0; i < s.pageCount(); ++i) w.bytes(s.page(i).data(), s.page(i).size());
}

bool readStore(Reader& r, PagedStore& s, std::int64_t expected) {
    std::uint64_t n = 0;
    if (!r.value(n) || std::int64_t(n) != expected) return false;
    const std::size_t pages = (n + std::size_t(s.entriesPerPage()) - 1) / std::size_t(s.entriesPerPage());
    std::vector<std::vector<std::uint8_t>> data(pages, std::vector<std::uint8_t>(s.pageBytes()));
    for (auto& p : data)
        if (!r.bytes(p.data(), p.size())) return false;
    s.assign(std::int64_t(n), std::move(data));
    return true;
}

template <typename T>
bool readVector(Reader& r, std::vector<T>& v) { return r.bytes(v.data(), v.size() * sizeof(T)); }

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (std::uint8_t b : bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::uint64_t configHash(const ModelConfig& c) {
    std::string s;
    auto add = [&s](auto v) { s += std::to_string(v) + ","; };
    add(c.vocabSize); add(c.dim); add(c.nLayers); add(c.nHeads); add(c.headDim);
    add(c.ropeHeadDim); add(c.qLoraRank); add(c.oGroups); add(c.oLoraRank); add(c.windowSize);
    for (int r : c.compressRatios) add(r);
    add(c.indexNHeads); add(c.indexHeadDim); add(c.indexTopk); add(c.nRoutedExperts);
    add(c.nSharedExperts); add(c.nActivatedExperts); add(c.moeInterDim); add(c.nHashLayers);
    add(c.routeScale); add(c.swigluLimit); add(c.hcMult); add(c.hcSinkhornIters); add(c.hcEps);
    add(c.normEps); add(c.ropeTheta); add(c.compressRopeTheta); add(c.yarnFactor);
    add(c.yarnOriginalSeqLen); add(c.yarnBetaFast); add(c.yarnBetaSlow); add(c.nMtpLayers);
    s += c.name;
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return h;
}

std::vector<std::uint8_t> KvCache::snapshot() const {
    Writer w;
    w.bytes(kMagic, 4);
    w.value(kVersion);
    w.value(configHash(m_config));
    w.value(std::uint8_t(m_numerics));
    w.value(std::uint64_t(m_tokens.size()));
    w.bytes(m_tokens.data(), m_tokens.size() * 4);
    for (const auto& lc : m_layers) {
        w.bytes(lc.ring.data(), lc.ring.size());
        for (const auto* v : {&lc.compK, &lc.compZ, &lc.indexK, &lc.indexZ})
            w.bytes(v->data(), v->size() * 4);
        if (lc.ratio != 0) writeStore(w, lc.entries);
        if (lc.ratio == 4) writeStore(w, lc.indexKeys);
    }
    w.value(crc32(w.out));
    return std::move(w.out);
}

Result<void> KvCache::restore(std::span<const std::uint8_t> bytes) {
    auto bad = [](const std::string& what) {
        return unexpected(Error::badInput("kv snapshot: " + what));
    };
    Reader r{bytes};
    char magic[4];
    if (!r.bytes(magic, 4) || std::memcmp(magic, kMagic, 4) != 0)
        return bad("not a KV snapshot (bad magic at byte 0)");
    std::uint32_t version = 0;
    if (!r.value(version)) return bad("truncated at byte 4");
    if (version != kVersion)
        return bad("format version " + std::to_string(version) + ", expected " +
                   std::to_string(kVersion));
    if (bytes.size() < 8 + 4) return bad("truncated");
    std::uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    if (crc32(bytes.first(bytes.size() - 4)) != stored)
        return bad("checksum mismatch (the " + std::to_string(bytes.size()) +
                   "-byte stream is damaged or truncated)");
    std::uint64_t hash = 0;
    std::uint8_t numerics = 0;
    std::uint64_t n = 0;
    if (!r.value(hash) || !r.value(numerics) || !r.value(n)) return bad("truncated header");
    if (hash != configHash(m_config)) return bad("made by a different model (config hash differs)");
    if (numerics != std::uint8_t(m_numerics)) return bad("made with different numerics");
    if (n > std::uint64_t(m_config.maxPositionEmbeddings)) return bad("token count out of range");

    KvCache next(m_config, m_numerics);
    next.m_tokens.resize(n);
    if (!readVector(r, next.m_tokens)) return bad("truncated in the tokens");
    for (std::size_t l = 0; l < next.m_layers.size(); ++l) {
        LayerCache& lc = next.m_layers[l];
        const std::string where = " of block " + std::to_string(l);
        if (!readVector(r, lc.ring) || !readVector(r, lc.compK) || !readVector(r, lc.compZ) ||
            !readVector(r, lc.indexK) || !readVector(r, lc.indexZ))
            return bad("truncated in the state" + where);
        const std::int64_t entries = lc.ratio ? std::int64_t(n) / lc.ratio : 0;
        if (lc.ratio != 0 && !readStore(r, lc.entries, entries))
            return bad("bad compressed entries" + where);
        if (lc.ratio == 4 && !readStore(r, lc.indexKeys, entries))
            return bad("bad indexer keys" + where);
    }
    if (r.pos + 4 != bytes.size()) return bad("unexpected bytes after the state");
    *this = std::move(next);
    return {};
}

}  // namespace atelier::engine
