#pragma once
// What a forward call returns (see Model::forward in model.h).

#include <cstdint>

namespace atelier::engine {

// Which positions of a chunk get logits: the last one ([V]) or all of them ([T, V]).
enum class LogitsRequest : std::uint8_t { Last, All };

}  // namespace atelier::engine
