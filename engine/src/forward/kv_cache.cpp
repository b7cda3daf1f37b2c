#include "atelier/engine/kv_cache.h"

#include <cmath>
#include <cstring>

namespace atelier::engine {

// ---- PagedStore ----------------------------------------------------------------------------

PagedStore::PagedStore(int dataBytes, int footerBytes, int entriesPerPage)
    : m_data(dataBytes), m_footer(footerBytes), m_perPage(entriesPerPage) {}

std::pair<std::uint8_t*, std::uint8_t*> PagedStore::append() {
    if (m_size < m_known) {  // replay: keep the stored entry, let the caller write elsewhere
        m_scratch.resize(std::size_t(m_data + m_footer));
        ++m_size;
        return {m_scratch.data(), m_scratch.data() + m_data};
    }
    const std::int64_t slot = m_size % m_perPage;
    if (slot == 0) m_pages.push_back(std::make_shared<std::vector<std::uint8_t>>(pageBytes()));
    // The last page is never shared (fork copies it), so it can be written in place.
    std::uint8_t* base = m_pages.back()->data();
    ++m_size;
    return {base + slot * m_data, base + std::int64_t(m_perPage) * m_data + slot * m_footer};
}

std::pair<const std::uint8_t*, const std::uint8_t*> PagedStore::at(std::int64_t i) const {
    const std::uint8_t* base = m_pages[std::size_t(i / m_perPage)]->data();
    const std::int64_t slot = i % m_perPage;
    return {base + slot * m_data, base + std::int64_t(m_perPage) * m_data + slot * m_footer};
}

PagedStore::PagedStore(const PagedStore& other)
    : m_data(other.m_data), m_footer(other.m_footer), m_perPage(other.m_perPage),
      m_size(other.m_size), m_known(other.m_known), m_pages(other.m_pages) {
    if (knownSize() % m_perPage != 0)  // the partial last page is written by appends: copy it
        m_pages.back() = std::make_shared<std::vector<std::uint8_t>>(*m_pages.back());
}

PagedStore& PagedStore::operator=(const PagedStore& other) {
    if (this != &other) *this = PagedStore(other);
    return *this;
}

void PagedStore::clear() {
    m_pages.clear();
    m_size = 0;
    m_known = 0;
}

void PagedStore::assign(std::int64_t size, std::vector<std::vector<std::uint8_t>> pages) {
    m_pages.clear();
    for (auto& p : pages) m_pages.push_back(std::make_shared<std::vector<std::uint8_t>>(std::move(p)));
    m_size = size;
    m_known = 0;
}

void PagedStore::assignKnown(std::int64_t size, std::int64_t known,
                             std::vector<std::vector<std::uint8_t>> pages) {
    assign(size, std::move(pages));
    m_known = known;
}

// ---- KvCache -------------------------------------------------------------------------------

KvCache::KvCache(const ModelConfig& config, Numerics numerics)
    : m_config(config), m_numerics(numerics) {
    m_format.nope = config.ropeNopeDim();
    m_format.rope = config.ropeHeadDim;
    initLayers();
}

int KvCache::entryDataBytes() const {
    return packed() ? m_format.dataBytes() : 4 * m_config.headDim;
}
int KvCache::entryFooterBytes() const { return packed() ? m_format.footerBytes() : 0; }
int KvCache::indexKeyBytes() const {
    return packed() ? indexerKeyBytes(m_config.indexHeadDim) : 4 * m_config.indexHeadDim;
}

void KvCache::initLayers() {
    const int blocks = m_config.nLayers + m_config.nMtpLayers;
    const int entryBytes = entryDataBytes() + entryFooterBytes();
    m_layers.assign(std::size_t(blocks), LayerCache{});
    for (int l = 0; l < blocks; ++l) {
        LayerCache& lc = m_layers[std::size_t(l)];
        lc.ratio = m_config.compressRatio(l);
        lc.ring.assign(std::size_t(m_config.windowSize) * std::size_t(entryBytes), 0);
        if (lc.ratio == 0) continue;
        const int rows = lc.ratio == 4 ? 8 : lc.ratio;
        const int width = (lc.ratio == 4 ? 2 : 1) * m_config.headDim;
        lc.compK.assign(std::size_t(rows) * std::size_t(width), 0.0f);
        lc.compZ.assign(lc.compK.size(), -INFINITY);
        lc.entries = PagedStore(entryDataBytes(), entryFooterBytes(), kPageTokens / lc.ratio);
        if (lc.ratio == 4) {
            lc.indexK.assign(std::size_t(8 * 2 * m_config.indexHeadDim), 0.0f);
            lc.indexZ.assign(lc.indexK.size(), -INFINITY);
            lc.indexKeys = PagedStore(indexKeyBytes(), 0, kPageTokens / 4);
        }
    }
}

void KvCache::reset() {
    m_tokens.clear();
    initLayers();
}

void KvCache::appendTokens(std::span<const std::int32_t> tokens) {
    m_tokens.insert(m_tokens.end(), tokens.begin(), tokens.end());
}

double KvCache::bytesPerToken() const {
    double perToken = 0;
    for (int l = 0; l < m_config.nLayers; ++l) {
        const int ratio = m_config.compressRatio(l);
        if (ratio == 0) continue;
        perToken += double(entryDataBytes() + entryFooterBytes()) / ratio;
        if (ratio == 4) perToken += double(indexKeyBytes()) / 4;
    }
    return perToken;
}

std::size_t KvCache::stateBytes() const {
    std::size_t total = 0;
    for (const auto& lc : m_layers)
        total += lc.ring.size() + 4 * (lc.compK.size() + lc.compZ.size() + lc.indexK.size() +
                                       lc.indexZ.size());
    return total;
}

}  // namespace atelier::engine
