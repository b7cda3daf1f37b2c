#pragma once
// The special-token texts of the DeepSeek V4 chat format (model spec §11). The tokenizer maps
// each to one id; here they are plain UTF-8 text (the bars are U+FF5C, the spaces U+2581).

#include <string_view>

namespace atelier::engine::chat {

inline constexpr std::string_view kBos = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kEos = "<｜end▁of▁sentence｜>";
inline constexpr std::string_view kUser = "<｜User｜>";
inline constexpr std::string_view kAssistant = "<｜Assistant｜>";
inline constexpr std::string_view kLatestReminder = "<｜latest_reminder｜>";
inline constexpr std::string_view kThinkStart = "<think>";
inline constexpr std::string_view kThinkEnd = "</think>";
inline constexpr std::string_view kToolResultStart = "<tool_result>";
inline constexpr std::string_view kToolResultEnd = "</tool_result>";
inline constexpr std::string_view kDsml = "｜DSML｜";

// The DSML tool-call markup, as the encoder writes it and the parser expects it.
inline constexpr std::string_view kToolCallsStart = "\n\n<｜DSML｜tool_calls";  // then ">\n"
inline constexpr std::string_view kToolCallsEnd = "</｜DSML｜tool_calls>";
inline constexpr std::string_view kInvokeStart = "<｜DSML｜invoke name=\"";   // NAME">\n
inline constexpr std::string_view kInvokeEnd = "</｜DSML｜invoke>\n";
inline constexpr std::string_view kParamStart = "<｜DSML｜parameter name=\"";  // NAME" string="
inline constexpr std::string_view kParamEnd = "</｜DSML｜parameter>";

}  // namespace atelier::engine::chat
