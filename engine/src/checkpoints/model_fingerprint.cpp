#include "atelier/engine/model_fingerprint.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "atelier/engine/kv_cache.h"
#include "checkpoints/kv_parts.h"

namespace atelier::engine {
namespace {

std::string hex(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

Result<std::uint64_t> hashFile(const std::filesystem::path& file, int samples, std::size_t sampleBytes,
                               std::uint64_t hash) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return unexpected(Error::io("cannot read '" + file.string() + "': " + ec.message()));
    std::ifstream in(file, std::ios::binary);
    if (!in) return unexpected(Error::io("cannot open '" + file.string() + "'"));
    hash = fnv1a64(file.filename().string(), hash);
    hash = fnv1a64(std::to_string(size), hash);
    std::vector<std::byte> buf(sampleBytes);
    const auto sample = [&](std::uint64_t offset) -> bool {
        const auto n = std::size_t(std::min<std::uint64_t>(sampleBytes, size - offset));
        in.seekg(std::streamoff(offset));
        in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(n));
        if (!in) return false;
        hash = fnv1a64(std::span(buf).first(n), hash);
        return true;
    };
    if (size > 0 && !sample(0)) return unexpected(Error::io("cannot read '" + file.string() + "'"));
    for (int i = 1; i <= samples && size > sampleBytes; ++i)
        if (!sample((size - sampleBytes) * std::uint64_t(i) / std::uint64_t(samples)))
            return unexpected(Error::io("cannot read '" + file.string() + "'"));
    return hash;
}

}  // namespace

std::uint64_t fnv1a64(std::span<const std::byte> bytes, std::uint64_t hash) {
    for (std::byte b : bytes) {
        hash ^= std::uint64_t(b);
        hash *= 1099511628211ull;
    }
    return hash;
}

Result<std::uint64_t> hashModelFiles(const std::filesystem::path& path, int samples, std::size_t sampleBytes) {
    std::vector<std::filesystem::path> files;
    try {
        if (std::filesystem::is_directory(path)) {
            for (const auto& e : std::filesystem::directory_iterator(path))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.push_back(path);
        }
    } catch (const std::filesystem::filesystem_error& e) {
        return unexpected(Error::io("cannot list '" + path.string() + "': " + e.what()));
    }
    std::sort(files.begin(), files.end());
    std::uint64_t hash = fnv1a64("atelier-model-files");
    for (const auto& f : files) {
        auto h = hashFile(f, samples, sampleBytes, hash);
        if (!h) return unexpected(std::move(h.error()));
        hash = *h;
    }
    return hash;
}

ModelFingerprint modelFingerprint(const ModelConfig& config, Numerics numerics,
                                  std::uint64_t weightsHash, std::uint64_t tokenizerHash) {
    const std::string numericsName = numerics == Numerics::Release ? "release" : "plain";
    ModelFingerprint fp;
    fp.description = "deepseek_v4 cfg=" + hex(configHash(config)) + " w=" + hex(weightsHash) +
                     " tok=" + hex(tokenizerHash) + " fmt=" + std::to_string(ckpt::kPartsVersion) +
                     " " + numericsName;
    fp.id = hex(fnv1a64(fp.description));
    return fp;
}

Result<ModelFingerprint> modelPathFingerprint(const std::filesystem::path& path, const ModelConfig& config,
                                              Numerics numerics) {
    auto weights = hashModelFiles(path);
    if (!weights) return unexpected(std::move(weights.error()));
    std::uint64_t tokenizer = fnv1a64("builtin");
    std::error_code ec;
    const auto tokFile = path / "tokenizer.json";
    if (std::filesystem::is_regular_file(tokFile, ec)) {
        auto h = hashModelFiles(tokFile, 64);
        if (!h) return unexpected(std::move(h.error()));
        tokenizer = *h;
    }
    return modelFingerprint(config, numerics, *weights, tokenizer);
}

}  // namespace atelier::engine
