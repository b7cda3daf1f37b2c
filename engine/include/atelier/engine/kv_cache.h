#pragma once
// KvCache: the state of one sequence (model spec §10.1).
// * A paged store that grows with length: per CSA/HCA layer the compressed main entries, per CSA
//   layer the indexer keys. Pages are refcounted and, once full, immutable: fork() shares every
//   full page and copies only the partial last page.
// * A fixed per-sequence state: per block (MTP included) a window ring of W raw entries; per
//   CSA/HCA layer the compressor tails as fp32 K and Z rows (CSA 8 × 2c plus the indexer's
//   8 × 2c_I, HCA 128 × c; K = 0 and Z = −∞ at the start).
// With Numerics::Release, main entries use the 584-byte production layout and indexer keys the
// 68-byte MXFP4 layout (kv_entry.h); with Plain, entries are f32.
// Thread-safety: a KvCache is used by one thread at a time; forks may live on other threads
// (shared pages are never written).

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "atelier/engine/kv_entry.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/numerics.h"
#include "atelier/base/result.h"

namespace atelier::engine {

// Entries of a fixed size in refcounted pages. Each page holds its data rows first and the
// footers (scales) after them, as FlashMLA's pages do.
class PagedStore {
public:
    PagedStore() = default;
    PagedStore(int dataBytes, int footerBytes, int entriesPerPage);
    // Copies are forks: they share the full pages and copy the partial last one, so that
    // appending to either copy never writes a page the other reads.
    PagedStore(const PagedStore& other);
    PagedStore& operator=(const PagedStore& other);
    PagedStore(PagedStore&&) noexcept = default;
    PagedStore& operator=(PagedStore&&) noexcept = default;

    std::int64_t size() const { return m_size; }
    // Appends an entry and returns its (data, footer) bytes to fill.
    std::pair<std::uint8_t*, std::uint8_t*> append();
    std::pair<const std::uint8_t*, const std::uint8_t*> at(std::int64_t i) const;
    // Shares the full pages, copies the partial last one (the same as a copy).
    PagedStore fork() const { return *this; }
    void clear();

    int entriesPerPage() const { return m_perPage; }
    // An entry's data bytes: a page's entries lie this far apart (at() of one page).
    int dataBytes() const { return m_data; }
    std::size_t pageBytes() const { return std::size_t(m_perPage) * std::size_t(m_data + m_footer); }
    std::size_t pageCount() const { return m_pages.size(); }
    // How many stores hold page `i` (1 when not shared).
    long pageUseCount(std::size_t i) const { return m_pages.at(i).use_count(); }
    const std::vector<std::uint8_t>& page(std::size_t i) const { return *m_pages.at(i); }
    // Restores a store from whole pages (snapshot); `pages` must hold ceil(size/perPage) pages.
    void assign(std::int64_t size, std::vector<std::vector<std::uint8_t>> pages);
    // Replay (on-disk checkpoints, model spec §10.4): like assign, but entries [size, known)
    // are already in `pages` (ceil(known/perPage) of them). The next known − size appends
    // return a scratch slot and keep the stored entry, so recomputing those tokens reuses the
    // stored compressed entries exactly instead of the ones the recompute would make.
    void assignKnown(std::int64_t size, std::int64_t known,
                     std::vector<std::vector<std::uint8_t>> pages);
    std::int64_t knownSize() const { return std::max(m_size, m_known); }

private:
    int m_data = 0, m_footer = 0, m_perPage = 1;
    std::int64_t m_size = 0;
    std::int64_t m_known = 0;              // replay: entries below this are already stored
    std::vector<std::uint8_t> m_scratch;   // replay: where appends of known entries write
    std::vector<std::shared_ptr<std::vector<std::uint8_t>>> m_pages;
};

// One block's cache.
struct LayerCache {
    int ratio = 0;                     // 0 SWA, 4 CSA, 128 HCA
    std::vector<std::uint8_t> ring;    // W entries (slot = pos mod W): W data rows, W footers
    std::vector<float> compK, compZ;   // [rows, κc] f32: CSA 8 × 2c, HCA 128 × c
    std::vector<float> indexK, indexZ; // CSA: [8, 2c_I] f32
    PagedStore entries;                // compressed main entries (CSA, HCA)
    PagedStore indexKeys;              // indexer keys (CSA)
};

class KvCache {
public:
    KvCache(const ModelConfig& config, Numerics numerics);

    const ModelConfig& config() const { return m_config; }
    Numerics numerics() const { return m_numerics; }
    std::int64_t length() const { return std::int64_t(m_tokens.size()); }
    std::span<const std::int32_t> tokens() const { return m_tokens; }

    // A sequence that continues exactly like this one; later appends to either leave the other
    // unchanged (copy-on-write pages). A copy of a KvCache is the same fork.
    KvCache fork() const { return *this; }
    // Back to an empty sequence: K = 0, Z = −∞, no entries.
    void reset();

    // Versioned, checksummed bytes: magic, format version, model-config hash, numerics, token
    // count, tokens, pages, fixed state, CRC32.
    std::vector<std::uint8_t> snapshot() const;
    // Replaces this sequence with a snapshot's; verifies everything and leaves this sequence
    // unchanged on error (flipped byte, truncation, other version, other model).
    Result<void> restore(std::span<const std::uint8_t> bytes);

    // Paged bytes per token in the long-context limit, and the fixed state per sequence; for
    // Release they equal computeSizes(config).
    double bytesPerToken() const;
    std::size_t stateBytes() const;

    // Entry layout and size of one main entry / one indexer key in this numerics.
    const EntryFormat& entryFormat() const { return m_format; }
    bool packed() const { return m_numerics == Numerics::Release; }
    int entryDataBytes() const;
    int entryFooterBytes() const;
    int indexKeyBytes() const;

    // For the forward pass.
    LayerCache& layer(int i) { return m_layers.at(std::size_t(i)); }
    const LayerCache& layer(int i) const { return m_layers.at(std::size_t(i)); }
    int layerCount() const { return int(m_layers.size()); }
    void appendTokens(std::span<const std::int32_t> tokens);

    static constexpr int kPageTokens = 128;  // lcm(4, 128) original tokens per page

private:
    void initLayers();

    ModelConfig m_config;
    Numerics m_numerics;
    EntryFormat m_format;
    std::vector<std::int32_t> m_tokens;
    std::vector<LayerCache> m_layers;
};

// A 64-bit FNV-1a hash of every field of `config` that changes the forward pass.
std::uint64_t configHash(const ModelConfig& config);
// CRC-32 (IEEE, reflected, as zlib), continuing from `crc` (0 to start).
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

}  // namespace atelier::engine
