#include "atelier/engine/tokenizer.h"

#include "atelier/base/utf8.h"

namespace atelier::engine {

std::string StreamingDetokenizer::push(TokenId id) {
    m_pending += m_tokenizer.tokenBytes(id);
    // A token may end inside a character: its start is held back until a later token completes
    // it (bytes that can never be UTF-8 pass through; the consumer decides what to do with them).
    std::string out = base::truncateUtf8(m_pending, m_pending.size());
    m_pending.erase(0, out.size());
    return out;
}

std::string StreamingDetokenizer::flush() {
    std::string out;
    out.swap(m_pending);
    return out;
}

}  // namespace atelier::engine
