#pragma once
// `bench --compare-llama-bench PATH` (docs/cli.md): runs llama.cpp's llama-bench on the same file
// with the same threads, in the same run, so Atelier's rows carry a ratio to llama.cpp measured
// minutes apart on the same machine rather than copied from elsewhere.

#include <cstdint>
#include <string>

namespace atelier::cli {

// What llama-bench measured for one context: prefill of `context` tokens from an empty cache
// (`-p C -n 0`) and decode of `decodeTokens` tokens after `context` tokens (`-p 0 -n N -d C`).
struct LlamaBenchRow {
    double prefillTokS = 0;
    double decodeTokS = 0;
    std::string buildCommit;
    std::string error;  // empty when both were measured; else one line saying what failed
};

// Whether `path` names an executable regular file (checked before the model is loaded).
bool isExecutableFile(const std::string& path);

// Runs `exe` twice (prefill, then decode at depth) with -o json and `repetitions` repetitions
// and reads avg_ts from the entries whose n_prompt / n_gen / n_depth match.
LlamaBenchRow runLlamaBench(const std::string& exe, const std::string& model, int threads,
                            std::int64_t context, int decodeTokens, int repetitions);

}  // namespace atelier::cli
