#pragma once
// Temporary forwarding header: Utf8Text and the whole-text form (base::validUtf8) moved to
// "atelier/base/utf8.h". Kept only until local_chat_backend.cpp includes that header directly.

#include <string>
#include <string_view>

#include "atelier/base/utf8.h"

namespace atelier::agents {

using base::Utf8Text;
inline std::string toValidUtf8(std::string_view text) { return base::validUtf8(text); }

}  // namespace atelier::agents
