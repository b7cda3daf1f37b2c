// Tokenizer throughput on one core: encodes ~10 MB of English prose and prints MB/s, beside a
// plain byte copy of the same buffer measured in the same run (the ratio is what to compare
// across machines). Usage: bench_tokenizer [tokenizer.json]  (default: the built-in
// vocabulary of 32,768 tokens).

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "atelier/engine/tokenizer.h"

using namespace atelier::engine;

namespace {

const char* kProse =
    "When the evening train pulled out of the station, Margaret settled by the window and opened "
    "the letter she had carried all day. Her brother wrote that the harvest had been poor, that "
    "the roof of the old barn had finally given way in the March storms, and that their mother "
    "asked after her every Sunday. He did not ask her to come home, but she read the request in "
    "every careful sentence. Outside, the fields slid past in long grey strips, broken now and "
    "then by a farmhouse with a single lamp burning. She thought of the city she was leaving, of "
    "the office on the fourth floor where she had spent eleven years copying figures into ledgers, "
    "and of the small room above the bakery where the smell of bread woke her before dawn. None "
    "of it had seemed like a choice at the time. It had simply been the next thing, and then the "
    "thing after that, until the years had arranged themselves behind her like cars behind an "
    "engine. The conductor came through, punched her ticket, and remarked that it would be a cold "
    "night in the valley. She agreed that it would, and folded the letter back into its envelope.\n\n";

// CPU time of this thread: the machine may be shared, and the question is what one core does.
double cpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    const double load0 = cpuSeconds();
    auto tokenizer = argc > 1 ? Tokenizer::fromFile(argv[1]) : Tokenizer::fromVocabulary(builtinVocabulary(32768));
    const double loadTime = cpuSeconds() - load0;
    if (!tokenizer) {
        std::fprintf(stderr, "bench_tokenizer: %s\n", tokenizer.error().message.c_str());
        return 1;
    }
    std::string text;
    while (text.size() < 10u * 1000 * 1000) text += kProse;
    const double mb = double(text.size()) / 1e6;

    // Baseline: copy the same bytes, several passes, best pass.
    std::vector<char> copy(text.size());
    double copyBest = 1e30;
    for (int pass = 0; pass < 5; ++pass) {
        const double t0 = cpuSeconds();
        std::memcpy(copy.data(), text.data(), text.size());
        asm volatile("" : : "r"(copy.data()) : "memory");
        copyBest = std::min(copyBest, cpuSeconds() - t0);
    }

    tokenizer->encode(text.substr(0, 100000));  // warm the word cache as a long session would
    double encodeBest = 1e30;
    std::size_t tokens = 0;
    for (int pass = 0; pass < 3; ++pass) {
        const double t0 = cpuSeconds();
        tokens = tokenizer->encode(text).size();
        encodeBest = std::min(encodeBest, cpuSeconds() - t0);
    }
    const auto ids = tokenizer->encode(text);
    const double t0 = cpuSeconds();
    const auto decoded = tokenizer->decode(ids);
    const double decodeTime = cpuSeconds() - t0;

    std::printf("text: %.1f MB English prose, %zu tokens (%.2f bytes/token), vocab %lld\n", mb, tokens,
                double(text.size()) / double(tokens), static_cast<long long>(tokenizer->vocabSize()));
    std::printf("load: %.0f ms\n", loadTime * 1e3);
    std::printf("encode: %.1f MB/s (thread CPU time, one core)\n", mb / encodeBest);
    if (decoded && *decoded == text && decodeTime > 0) std::printf("decode: %.1f MB/s\n", mb / decodeTime);
    std::printf("byte copy: %.1f MB/s; encode/copy ratio: %.2e\n", mb / copyBest, copyBest / encodeBest);
    return decoded && *decoded == text ? 0 : 1;
}
