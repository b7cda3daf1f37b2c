#include "checkpoints/kv_parts.h"

#include <cmath>
#include <cstring>
#include <string>

namespace atelier::engine::ckpt {
namespace {

constexpr char kMagic[8] = {'A', 'T', 'K', 'V', 'P', 'R', 'T', '1'};

struct Writer {
    std::vector<std::byte>& out;
    void raw(const void* p, std::size_t n) {
        if (n == 0) return;
        const auto* b = static_cast<const std::byte*>(p);
        out.insert(out.end(), b, b + n);
    }
    template <typename T> void value(T v) { raw(&v, sizeof v); }
    template <typename T> void vec(const std::vector<T>& v) { raw(v.data(), v.size() * sizeof(T)); }
};

struct Reader {
    std::span<const std::byte> in;
    std::size_t pos = 0;
    bool raw(void* p, std::size_t n) {
        if (in.size() - pos < n) return false;
        if (n == 0) return true;  // p may be an empty vector's null data()
        std::memcpy(p, in.data() + pos, n);
        pos += n;
        return true;
    }
    template <typename T> bool value(T& v) { return raw(&v, sizeof v); }
    template <typename T> bool vec(std::vector<T>& v) { return raw(v.data(), v.size() * sizeof(T)); }
};

void writeStore(Writer& w, const PagedStore& s) {
    const auto pages = std::size_t((s.size() + s.entriesPerPage() - 1) / s.entriesPerPage());
    for (std::size_t i = 0; i < pages; ++i) w.vec(s.page(i));
}

bool readStore(Reader& r, const PagedStore& shape, std::int64_t n,
               std::vector<std::vector<std::uint8_t>>& pages) {
    const auto count = std::size_t((n + shape.entriesPerPage() - 1) / shape.entriesPerPage());
    // A corrupt count must not allocate gigabytes before the bytes turn out to be missing.
    if (count * shape.pageBytes() > r.in.size() - r.pos) return false;
    pages.assign(count, std::vector<std::uint8_t>(shape.pageBytes()));
    for (auto& p : pages)
        if (!r.vec(p)) return false;
    return true;
}

// At a 128-token boundary every compression block is closed: an HCA tail is overwritten
// entirely before its next entry, and a CSA tail's current-block rows 4–7 too; only the CSA
// previous-block rows 0–3 are read again. Window states there store just those rows, which cuts
// a state from rings + all tails (Flash: 15.5 MB) to rings + CSA half-tails (≈ 4.1 MB).
bool isCompact(std::int64_t tokens) { return tokens % KvCache::kPageTokens == 0; }

std::size_t tailFloats(const LayerCache& lc, std::size_t all, bool compact) {
    if (!compact) return all;
    return lc.ratio == 4 ? all / 2 : 0;
}

Error bad(std::size_t pos, const std::string& what) {
    return Error::badInput("checkpoint data: " + what + " at byte " + std::to_string(pos));
}

}  // namespace

std::vector<std::byte> encodeParts(const KvCache& sequence, std::span<const KvCache* const> states) {
    std::vector<std::byte> out;
    Writer w{out};
    w.raw(kMagic, sizeof kMagic);
    w.value(kPartsVersion);
    w.value(std::uint32_t(sequence.layerCount()));
    for (int l = 0; l < sequence.layerCount(); ++l) {
        const LayerCache& lc = sequence.layer(l);
        w.value(std::uint64_t(lc.entries.size()));
        w.value(std::uint64_t(lc.indexKeys.size()));
        writeStore(w, lc.entries);
        writeStore(w, lc.indexKeys);
    }
    w.value(std::uint32_t(states.size()));
    for (const KvCache* s : states) {
        w.value(std::uint64_t(s->length()));
        const bool compact = isCompact(s->length());
        for (int l = 0; l < s->layerCount(); ++l) {
            const LayerCache& lc = s->layer(l);
            w.vec(lc.ring);
            const std::size_t keep = tailFloats(lc, lc.compK.size(), compact);
            w.raw(lc.compK.data(), keep * 4);
            w.raw(lc.compZ.data(), keep * 4);
            const std::size_t keepIndex = tailFloats(lc, lc.indexK.size(), compact);
            w.raw(lc.indexK.data(), keepIndex * 4);
            w.raw(lc.indexZ.data(), keepIndex * 4);
        }
    }
    return out;
}

Result<DecodedParts> decodeParts(std::span<const std::byte> bytes, const KvCache& shape) {
    Reader r{bytes};
    char magic[8];
    std::uint32_t version = 0, blocks = 0, states = 0;
    if (!r.raw(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return unexpected(bad(0, "bad magic"));
    if (!r.value(version) || version != kPartsVersion) return unexpected(bad(8, "unknown version"));
    if (!r.value(blocks) || int(blocks) != shape.layerCount())
        return unexpected(bad(12, "block count differs from the model's"));
    DecodedParts parts;
    parts.blocks.resize(blocks);
    for (std::uint32_t l = 0; l < blocks; ++l) {
        auto& b = parts.blocks[l];
        const LayerCache& lc = shape.layer(int(l));
        std::uint64_t e = 0, k = 0;
        if (!r.value(e) || !r.value(k)) return unexpected(bad(r.pos, "truncated block header"));
        if ((lc.ratio == 0 && e != 0) || (lc.ratio != 4 && k != 0) || e > (1u << 30) || k > (1u << 30))
            return unexpected(bad(r.pos, "entry counts do not fit block " + std::to_string(l)));
        b.entries = std::int64_t(e);
        b.indexKeys = std::int64_t(k);
        if (!readStore(r, lc.entries, b.entries, b.entryPages) ||
            !readStore(r, lc.indexKeys, b.indexKeys, b.indexPages))
            return unexpected(bad(r.pos, "truncated pages of block " + std::to_string(l)));
    }
    if (!r.value(states) || states > (1u << 20)) return unexpected(bad(r.pos, "bad state count"));
    for (std::uint32_t i = 0; i < states; ++i) {
        DecodedParts::State st;
        std::uint64_t n = 0;
        if (!r.value(n)) return unexpected(bad(r.pos, "truncated state header"));
        st.tokens = std::int64_t(n);
        for (int l = 0; l < shape.layerCount(); ++l) {
            const LayerCache& lc = shape.layer(l);
            LayerCache f;
            f.ratio = lc.ratio;
            f.ring.resize(lc.ring.size());
            f.compK.assign(lc.compK.size(), 0.0f);
            f.compZ.assign(lc.compZ.size(), -INFINITY);
            f.indexK.assign(lc.indexK.size(), 0.0f);
            f.indexZ.assign(lc.indexZ.size(), -INFINITY);
            const bool compact = isCompact(st.tokens);
            const std::size_t keep = tailFloats(lc, lc.compK.size(), compact);
            const std::size_t keepIndex = tailFloats(lc, lc.indexK.size(), compact);
            if (!r.vec(f.ring) || !r.raw(f.compK.data(), keep * 4) || !r.raw(f.compZ.data(), keep * 4) ||
                !r.raw(f.indexK.data(), keepIndex * 4) || !r.raw(f.indexZ.data(), keepIndex * 4))
                return unexpected(bad(r.pos, "truncated window state " + std::to_string(i)));
            st.blocks.push_back(std::move(f));
        }
        parts.states.push_back(std::move(st));
    }
    if (r.pos != bytes.size()) return unexpected(bad(r.pos, "unexpected trailing bytes"));
    return parts;
}

Result<void> checkFraming(std::span<const std::byte> bytes) {
    // More blocks than any model has (DeepSeek V4: 61 layers and the MTP blocks).
    constexpr std::uint32_t kMaxBlocks = 4096;
    Reader r{bytes};
    char magic[8];
    std::uint32_t version = 0, blocks = 0;
    std::uint64_t e = 0, k = 0;
    if (!r.raw(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return unexpected(bad(0, "bad magic"));
    if (!r.value(version) || version != kPartsVersion) return unexpected(bad(8, "unknown version"));
    if (!r.value(blocks) || blocks == 0 || blocks > kMaxBlocks)
        return unexpected(bad(12, "implausible block count " + std::to_string(blocks)));
    if (!r.value(e) || !r.value(k)) return unexpected(bad(r.pos, "truncated block header"));
    if (e > (1u << 30) || k > (1u << 30)) return unexpected(bad(16, "implausible entry counts in block 0"));
    return {};
}

std::int64_t recomputeStart(const ModelConfig& config, std::int64_t length) {
    const std::int64_t blocks = config.nLayers + config.nMtpLayers;
    const std::int64_t back = blocks * config.windowSize + KvCache::kPageTokens;
    if (length <= back) return 0;
    return (length - back) / KvCache::kPageTokens * KvCache::kPageTokens;
}

KvCache restoreParts(const DecodedParts& parts, const KvCache& shape,
                     std::span<const std::int32_t> tokens, std::int64_t hit) {
    std::int64_t start = recomputeStart(shape.config(), hit);
    const DecodedParts::State* state = nullptr;
    for (const auto& st : parts.states)
        if (st.tokens <= hit && st.tokens >= start) {
            start = st.tokens;
            state = &st;
        }
    KvCache seq(shape.config(), shape.numerics());
    seq.appendTokens(tokens.first(std::size_t(start)));
    for (int l = 0; l < seq.layerCount(); ++l) {
        LayerCache& lc = seq.layer(l);
        const auto& b = parts.blocks[std::size_t(l)];
        if (state) {
            const LayerCache& f = state->blocks[std::size_t(l)];
            lc.ring = f.ring;
            lc.compK = f.compK;
            lc.compZ = f.compZ;
            lc.indexK = f.indexK;
            lc.indexZ = f.indexZ;
        }
        if (lc.ratio == 0) continue;
        const auto pick = [&](const PagedStore& store, std::int64_t stored,
                              const std::vector<std::vector<std::uint8_t>>& pages, PagedStore& into) {
            const std::int64_t known = std::min(stored, hit / lc.ratio);
            const std::size_t count = std::size_t((known + store.entriesPerPage() - 1) / store.entriesPerPage());
            into.assignKnown(start / lc.ratio, known, {pages.begin(), pages.begin() + std::ptrdiff_t(count)});
        };
        pick(lc.entries, b.entries, b.entryPages, lc.entries);
        if (lc.ratio == 4) pick(lc.indexKeys, b.indexKeys, b.indexPages, lc.indexKeys);
    }
    return seq;
}

}  // namespace atelier::engine::ckpt
