#pragma once
// BoundedRegex: a PCRE2 pattern whose every match is bounded. A pattern that backtracks
// catastrophically ("(a+)+$" on a long line) runs into PCRE2's match, depth or heap limit, and
// that is reported as an error naming the limit, never as "no match". Header-only so that tool
// plugins, which link nothing from the host, share it with the agents library (JSON-schema
// `pattern`s). The including target links libpcre2-8.
// Threads: one BoundedRegex per thread (it owns its match data); compile() from any thread.

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "atelier/base/result.h"

namespace atelier::agents {

// Backtracking steps one match may take (PCRE2's default is 10,000,000: seconds per line).
inline constexpr std::uint32_t kRegexMatchLimit = 1'000'000;
// Backtracking memory one match may use (PCRE2's default is 20 MB).
inline constexpr std::uint32_t kRegexHeapLimitKiB = 8 * 1024;

class BoundedRegex {
public:
    // PCRE2_UTF | PCRE2_MATCH_INVALID_UTF always; `options` adds more (PCRE2_CASELESS, ...).
    static Result<BoundedRegex> compile(std::string_view pattern, std::uint32_t options = 0) {
        int errorCode = 0;
        PCRE2_SIZE errorOffset = 0;
        BoundedRegex re;
        re.m_code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                      options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errorCode,
                                      &errorOffset, nullptr));
        if (!re.m_code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(errorCode, msg, sizeof msg);
            return unexpected(Error::badInput("invalid pattern at offset " + std::to_string(errorOffset) +
                                              ": " + reinterpret_cast<const char*>(msg)));
        }
        pcre2_jit_compile(re.m_code.get(), PCRE2_JIT_COMPLETE);  // optional speed-up; limits hold either way
        re.m_match.reset(pcre2_match_data_create_from_pattern(re.m_code.get(), nullptr));
        re.m_context.reset(pcre2_match_context_create(nullptr));
        if (!re.m_match || !re.m_context) return unexpected(Error::internal("pcre2: out of memory"));
        pcre2_set_match_limit(re.m_context.get(), kRegexMatchLimit);
        pcre2_set_depth_limit(re.m_context.get(), kRegexMatchLimit);
        pcre2_set_heap_limit(re.m_context.get(), kRegexHeapLimitKiB);
        return re;
    }

    // Whether the pattern matches somewhere in `text`; `at` receives the match's byte offset.
    // A match that hits a limit is an Overflow error saying so.
    Result<bool> search(std::string_view text, std::size_t* at = nullptr) const {
        const int rc = pcre2_match(m_code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
                                   m_match.get(), m_context.get());
        if (rc >= 0) {
            if (at) *at = std::size_t(pcre2_get_ovector_pointer(m_match.get())[0]);
            return true;
        }
        if (rc == PCRE2_ERROR_NOMATCH) return false;
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return unexpected(ErrorCode::Overflow,
                          std::string("the pattern is too costly to match (") +
                              reinterpret_cast<const char*>(msg) + "); simplify it");
    }

private:
    struct CodeFree {
        void operator()(pcre2_code* c) const { pcre2_code_free(c); }
    };
    struct MatchFree {
        void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
    };
    struct ContextFree {
        void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
    };
    BoundedRegex() = default;
    std::unique_ptr<pcre2_code, CodeFree> m_code;
    std::unique_ptr<pcre2_match_data, MatchFree> m_match;
    std::unique_ptr<pcre2_match_context, ContextFree> m_context;
};

}  // namespace atelier::agents
