#pragma once
// The key side of the indexer's integer scoring (indexer_fp4.h): an E2M1 nibble read as the
// unsigned byte 12 + 2·e2m1 (0 … 24), so that u8 × s8 products (vpdpbusd, vpmaddubsw) take
// it; the query's offsets take the 12 back out.

#include <cstdint>

namespace atelier::kernels {

inline constexpr std::uint8_t kIndexerKeyCode[16] = {12, 13, 14, 15, 16, 18, 20, 24,
                                                     12, 11, 10, 9,  8,  6,  4,  0};

}  // namespace atelier::kernels
