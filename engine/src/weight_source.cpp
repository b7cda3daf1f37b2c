#include "atelier/engine/weight_source.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace atelier::engine {

const TensorView* OwnedWeights::find(std::string_view name) const {
    auto it = m_tensors.find(name);
    return it == m_tensors.end() ? nullptr : &it->second->view;
}

std::vector<std::string> OwnedWeights::names() const {
    std::vector<std::string> out;
    out.reserve(m_tensors.size());
    for (const auto& [name, _] : m_tensors) out.push_back(name);
    return out;
}

void OwnedWeights::add(std::string name, DType dtype, std::vector<std::int64_t> shape,
                       std::vector<std::byte> bytes) {
    auto e = std::make_unique<Entry>();
    e->storage = std::move(bytes);
    e->view.name = name;
    e->view.dtype = dtype;
    e->view.shape = std::move(shape);
    e->view.data = e->storage.data();
    e->view.nbytes = e->storage.size();
    e->view.file = "memory";
    m_tensors[std::move(name)] = std::move(e);
}

namespace {

// splitmix64: a tiny, fully specified generator, so the same seed gives the same weights on
// every platform and standard library.
struct SplitMix {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double normal() {  // Box-Muller
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
};

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char ch : s) {
        h ^= ch;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace

void fillRandomTensor(const ModelConfig& c, const TensorSpec& spec, std::uint64_t seed,
                      std::byte* out) {
    SplitMix rng{seed * 0x9e3779b97f4a7c15ull ^ fnv1a(spec.name)};
    const std::int64_t n = elementCount(spec.shape);

    if (spec.role == TensorRole::Tid2Eid) {
        // Each row: k distinct experts, drawn by a partial Fisher-Yates shuffle.
        auto* ids = reinterpret_cast<std::int64_t*>(out);
        std::vector<std::int64_t> perm(std::size_t(c.nRoutedExperts));
        const std::int64_t k = spec.shape.at(1);
        for (std::int64_t row = 0; row < spec.shape.at(0); ++row) {
            std::iota(perm.begin(), perm.end(), 0);
            for (std::int64_t j = 0; j < k; ++j) {
                const auto pick = j + std::int64_t(rng.next() % std::uint64_t(c.nRoutedExperts - j));
                std::swap(perm[std::size_t(j)], perm[std::size_t(pick)]);
                std::int64_t v = perm[std::size_t(j)];
                std::memcpy(ids + row * k + j, &v, 8);
            }
        }
        return;
    }

    auto* f = reinterpret_cast<float*>(out);
    auto fill = [&](double mean, double stddev) {
        for (std::int64_t i = 0; i < n; ++i) f[i] = float(mean + stddev * rng.normal());
    };
    const double fanIn = spec.shape.size() >= 2 ? double(spec.shape[1]) : 1.0;
    switch (spec.role) {
    case TensorRole::Embedding: fill(0.0, 1.0); break;
    case TensorRole::Head: fill(0.0, 1.0 / std::sqrt(fanIn)); break;
    case TensorRole::Norm: fill(1.0, 0.1); break;
    case TensorRole::HcFn: fill(0.0, 0.5 / std::sqrt(fanIn)); break;
    case TensorRole::HcBase: fill(0.0, 0.5); break;
    case TensorRole::HcScale: fill(1.0, 0.2); break;
    case TensorRole::Sink: fill(0.0, 1.0); break;
    case TensorRole::Ape: fill(0.0, 0.5); break;
    case TensorRole::GateBias: fill(0.0, 0.1); break;
    case TensorRole::LinearFp8:
    case TensorRole::LinearBf16:
    case TensorRole::ExpertFp4: fill(0.0, 1.0 / std::sqrt(fanIn)); break;
    case TensorRole::Tid2Eid: break;
    }
}

std::unique_ptr<OwnedWeights> randomWeights(const ModelConfig& config, std::uint64_t seed) {
    auto w = std::make_unique<OwnedWeights>(config);
    for (const auto& spec : expectedTensors(config)) {
        const DType dt = spec.role == TensorRole::Tid2Eid ? DType::I64 : DType::F32;
        std::vector<std::byte> bytes(dtypeRowBytes(dt, elementCount(spec.shape)));
        fillRandomTensor(config, spec, seed, bytes.data());
        w->add(spec.name, dt, spec.shape, std::move(bytes));
    }
    return w;
}

}  // namespace atelier::engine
