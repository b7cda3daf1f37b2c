#include "atelier/agents/machine_probe.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "atelier/agents/bench_measure.h"

namespace atelier::agents {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kPiece = 4ull << 20;  // the size of one routed expert's read, roughly
constexpr std::uint64_t kAlign = 4096;        // O_DIRECT: offsets, lengths and buffers

struct AlignedFree {
    void operator()(void* p) const { std::free(p); }
};

// Reads the pieces at `offsets` on `inFlight` threads; returns the bytes read or an error.
Result<std::uint64_t> readPieces(int fd, const std::vector<std::uint64_t>& offsets, std::uint64_t piece,
                                 int inFlight, const fs::path& file) {
    std::atomic<std::size_t> next{0};
    std::atomic<std::uint64_t> total{0};
    std::atomic<int> error{0};
    auto worker = [&] {
        std::unique_ptr<void, AlignedFree> buf(std::aligned_alloc(kAlign, piece));
        if (!buf) {
            error = ENOMEM;
            return;
        }
        for (std::size_t i; (i = next++) < offsets.size() && error == 0;) {
            const ssize_t n = ::pread(fd, buf.get(), piece, off_t(offsets[i]));
            if (n < 0) {
                error = errno;
                return;
            }
            total += std::uint64_t(n);
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < inFlight; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error != 0)
        return unexpected(Error::io(file.string() + ": read failed during the disk probe: " + std::strerror(error)));
    return total.load();
}

std::string deviceKey(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return {};
    return std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
}

nlohmann::json readCache(const fs::path& path) {
    std::ifstream in(path);
    if (!in) return nlohmann::json::object();
    try {
        auto j = nlohmann::json::parse(in);
        return j.is_object() ? j : nlohmann::json::object();
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();  // a damaged cache is measured again
    }
}

void writeCache(const fs::path& path, const nlohmann::json& j) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << j.dump(2) << "\n";
        if (!out) return;  // a cache that cannot be written is measured again next time
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
}

}  // namespace

Result<DiskProbe> probeDiskRead(const fs::path& file, std::uint64_t maxBytes, int inFlight) {
    std::error_code ec;
    const std::uint64_t size = fs::file_size(file, ec);
    if (ec) return unexpected(Error::io(file.string() + ": " + ec.message()));
    if (size < kAlign) return unexpected(Error::badInput(file.string() + ": too small to probe the disk with"));
    DiskProbe p;
    p.inFlight = std::max(1, inFlight);
    int fd = ::open(file.c_str(), O_RDONLY | O_DIRECT);
    p.direct = fd >= 0;
    if (fd < 0) {
        fd = ::open(file.c_str(), O_RDONLY);
        if (fd < 0) return unexpected(Error::io(file.string() + ": cannot open: " + std::strerror(errno)));
    }
    const std::uint64_t piece = std::min(kPiece, size / kAlign * kAlign);
    const std::uint64_t count = std::max<std::uint64_t>(1, std::min(maxBytes, size) / piece);
    // Pieces spread evenly over the file, visited in a scattered order (as experts are).
    std::vector<std::uint64_t> offsets;
    const std::uint64_t span = size - piece;
    for (std::uint64_t i = 0; i < count; ++i)
        offsets.push_back(count > 1 ? span * ((i * 7919) % count) / (count - 1) / kAlign * kAlign : 0);
    auto run = [&]() -> Result<std::uint64_t> {
        if (!p.direct) {
            ::fdatasync(fd);  // dirty pages (a file just written) would stay cached
            ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        }
        return readPieces(fd, offsets, piece, p.inFlight, file);
    };
    auto t0 = std::chrono::steady_clock::now();
    auto bytes = run();
    if (!bytes && p.direct) {  // a filesystem that opens with O_DIRECT but refuses its reads
        ::close(fd);
        fd = ::open(file.c_str(), O_RDONLY);
        if (fd < 0) return unexpected(Error::io(file.string() + ": cannot open: " + std::strerror(errno)));
        p.direct = false;
        t0 = std::chrono::steady_clock::now();
        bytes = run();
    }
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::close(fd);
    if (!bytes) return unexpected(bytes.error());
    p.bytes = *bytes;
    p.gbs = p.seconds > 0 ? double(p.bytes) / p.seconds / 1e9 : 0;
    return p;
}

fs::path largestWeightFile(const engine::WeightSource& weights) {
    std::set<std::string> files;
    for (const auto& n : weights.names()) files.insert(weights.find(n)->file);
    fs::path best;
    std::uint64_t bestBytes = 0;
    for (const auto& f : files) {
        std::error_code ec;
        const auto size = fs::file_size(f, ec);
        if (!ec && size >= bestBytes) best = f, bestBytes = size;
    }
    return best;
}

Result<DiskRate> diskReadRate(const fs::path& dataDir, const fs::path& file, bool reprobe) {
    const fs::path cachePath = dataDir.empty() ? fs::path() : dataDir / "machine_probe.json";
    DiskRate r;
    r.key = deviceKey(file);
    nlohmann::json cache = cachePath.empty() ? nlohmann::json::object() : readCache(cachePath);
    if (!reprobe && !r.key.empty() && cache.contains("disks") && cache["disks"].contains(r.key)) {
        try {
            const auto& d = cache["disks"][r.key];
            r.disk.gbs = d.at("gbs").get<double>();
            r.disk.bytes = d.at("bytes").get<std::uint64_t>();
            r.disk.seconds = d.at("seconds").get<double>();
            r.disk.direct = d.at("direct").get<bool>();
            r.disk.inFlight = d.at("in_flight").get<int>();
            r.cached = r.disk.gbs > 0;
        } catch (const nlohmann::json::exception&) {
            r.cached = false;  // a damaged entry is measured again
        }
        if (r.cached) return r;
    }
    auto probe = probeDiskRead(file, 256ull << 20, 8);
    if (!probe) return unexpected(probe.error());
    r.disk = *probe;
    if (!cachePath.empty() && !r.key.empty()) {
        cache = readCache(cachePath);
        cache["disks"][r.key] = {{"gbs", r.disk.gbs},         {"bytes", r.disk.bytes},
                                 {"seconds", r.disk.seconds}, {"direct", r.disk.direct},
                                 {"in_flight", r.disk.inFlight}, {"file", file.string()}};
        writeCache(cachePath, cache);
    }
    return r;
}

Result<MachineRates> machineRates(const fs::path& dataDir, const fs::path& modelFile, int threads, bool reprobe) {
    const fs::path cachePath = dataDir.empty() ? fs::path() : dataDir / "machine_probe.json";
    MachineRates r;
    const std::string cpuKey = std::to_string(threads);
    nlohmann::json cache = cachePath.empty() ? nlohmann::json::object() : readCache(cachePath);
    if (!reprobe && cache.contains("memory") && cache["memory"].contains(cpuKey)) {
        try {
            r.memoryGbs = cache["memory"][cpuKey].at("stream_gbs").get<double>();
            r.peakGflops = cache["memory"][cpuKey].at("peak_fma_gflops").get<double>();
            r.memoryCached = r.memoryGbs > 0 && r.peakGflops > 0;
        } catch (const nlohmann::json::exception&) {
            r.memoryCached = false;
        }
    }
    if (!r.memoryCached) {
        r.memoryGbs = streamTriadGbs(threads, std::int64_t(32) << 20, 5);  // 3 × 128 MiB
        r.peakGflops = peakFmaGflops(threads, 0.3);
        if (!cachePath.empty()) {
            cache["memory"][cpuKey] = {{"stream_gbs", r.memoryGbs}, {"peak_fma_gflops", r.peakGflops}};
            writeCache(cachePath, cache);
        }
    }
    auto disk = diskReadRate(dataDir, modelFile, reprobe);
    if (!disk) return unexpected(disk.error());
    r.disk = disk->disk;
    r.diskCached = disk->cached;
    r.diskKey = disk->key;
    return r;
}

void recordMemoryRates(const fs::path& dataDir, int threads, double streamGbs, double peakGflops) {
    if (dataDir.empty() || !(streamGbs > 0) || !(peakGflops > 0)) return;
    const fs::path path = dataDir / "machine_probe.json";
    nlohmann::json cache = readCache(path);
    cache["memory"][std::to_string(threads)] = {{"stream_gbs", streamGbs}, {"peak_fma_gflops", peakGflops}};
    writeCache(path, cache);
}

KernelEfficiency kernelEfficiency(const fs::path& dataDir, int threads, const std::string& dtype) {
    KernelEfficiency e;
    if (dataDir.empty()) return e;
    const nlohmann::json cache = readCache(dataDir / "machine_probe.json");
    const std::string key = std::to_string(threads) + "/" + dtype;
    try {
        if (cache.contains("efficiency") && cache["efficiency"].contains(key)) {
            const auto& j = cache["efficiency"][key];
            e.decodeOfStream = j.at("decode_of_stream").get<double>();
            e.prefillOfPeak = j.at("prefill_of_peak").get<double>();
            e.measured = e.decodeOfStream > 0 && e.prefillOfPeak > 0;
        }
    } catch (const nlohmann::json::exception&) {
        e.measured = false;
    }
    return e.measured ? e : KernelEfficiency{};
}

void recordKernelEfficiency(const fs::path& dataDir, int threads, const std::string& dtype, const KernelEfficiency& e) {
    if (dataDir.empty() || !(e.decodeOfStream > 0) || !(e.prefillOfPeak > 0)) return;
    const fs::path path = dataDir / "machine_probe.json";
    nlohmann::json cache = readCache(path);
    cache["efficiency"][std::to_string(threads) + "/" + dtype] = {{"decode_of_stream", e.decodeOfStream},
                                                                   {"prefill_of_peak", e.prefillOfPeak}};
    writeCache(path, cache);
}

}  // namespace atelier::agents
