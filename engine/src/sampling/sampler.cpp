#include "atelier/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace atelier::engine {

Result<void> SamplingParams::validate() const {
    if (!(temperature >= 0.0f) || !std::isfinite(temperature))
        return unexpected(Error::usage("temperature must be a finite number >= 0"));
    if (topK < 0) return unexpected(Error::usage("top-k must be >= 0"));
    if (!(topP > 0.0f && topP <= 1.0f)) return unexpected(Error::usage("top-p must be in (0, 1]"));
    if (!(minP >= 0.0f && minP < 1.0f)) return unexpected(Error::usage("min-p must be in [0, 1)"));
    if (!(repetitionPenalty > 0.0f)) return unexpected(Error::usage("repetition penalty must be > 0"));
    if (!std::isfinite(presencePenalty) || !std::isfinite(frequencyPenalty))
        return unexpected(Error::usage("presence and frequency penalties must be finite"));
    if (penaltyWindow < 0) return unexpected(Error::usage("penalty window must be >= 0"));
    return {};
}

Sampler::Sampler(SamplingParams params)
    : m_params(params), m_state(params.seed ^ 0x2545f4914f6cdd1dull) {}

double Sampler::uniform() {
    // splitmix64: fully specified, identical on every platform.
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return double(z >> 11) * 0x1.0p-53;
}

void Sampler::accept(std::int32_t token) {
    m_history.push_back(token);
    ++m_counts[token];
    const int window = m_params.penaltyWindow;
    if (window > 0 && int(m_history.size()) > window) {
        const std::int32_t old = m_history[m_history.size() - std::size_t(window) - 1];
        if (--m_counts[old] == 0) m_counts.erase(old);
    }
}

void Sampler::applyPenalties(std::vector<Candidate>& c) const {
    if (m_counts.empty()) return;
    const bool rep = m_params.repetitionPenalty != 1.0f;
    const bool pres = m_params.presencePenalty != 0.0f;
    const bool freq = m_params.frequencyPenalty != 0.0f;
    if (!rep && !pres && !freq) return;
    for (const auto& [id, count] : m_counts) {
        if (id < 0 || std::size_t(id) >= c.size()) continue;
        float& l = c[std::size_t(id)].logit;  // candidates are still indexed by id here
        if (rep) l = l > 0 ? l / m_params.repetitionPenalty : l * m_params.repetitionPenalty;
        l -= m_params.presencePenalty + m_params.frequencyPenalty * float(count);
    }
}

std::int32_t Sampler::sample(std::span<const float> logits) {
    auto& c = m_scratch;
    c.resize(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) {
        const float l = logits[i];
        c[i] = {std::int32_t(i), std::isnan(l) ? -std::numeric_limits<float>::infinity() : l};
    }
    applyPenalties(c);

    // Ties break towards the lower id everywhere, so results never depend on sort stability.
    auto better = [](const Candidate& a, const Candidate& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    std::int32_t chosen;
    if (m_params.temperature == 0.0f || m_params.topK == 1) {
        chosen = std::min_element(c.begin(), c.end(), better)->id;
    } else {
        std::size_t n = c.size();
        if (m_params.topK > 0 && std::size_t(m_params.topK) < n) {
            std::partial_sort(c.begin(), c.begin() + m_params.topK, c.end(), better);
            n = std::size_t(m_params.topK);
        } else {
            std::sort(c.begin(), c.end(), better);
        }
        // Softmax over the survivors at the temperature, in double for stable sums.
        const double maxLogit = c[0].logit;
        std::vector<double> p(n);
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            p[i] = std::exp((double(c[i].logit) - maxLogit) / m_params.temperature);
            sum += p[i];
        }
        for (auto& v : p) v /= sum;
        // min-p, relative to the most likely token.
        if (m_params.minP > 0.0f) {
            const double floor = m_params.minP * p[0];
            std::size_t keep = 1;
            while (keep < n && p[keep] >= floor) ++keep;
            n = keep;
        }
        // top-p: the smallest prefix whose mass reaches topP.
        if (m_params.topP < 1.0f) {
            double mass = 0;
            std::size_t keep = 0;
            while (keep < n) {
                mass += p[keep++];
                if (mass >= m_params.topP) break;
            }
            n = keep;
        }
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) total += p[i];
        const double r = uniform() * total;
        double acc = 0;
        chosen = c[n - 1].id;
        for (std::size_t i = 0; i < n; ++i) {
            acc += p[i];
            if (r < acc) {
                chosen = c[i].id;
                break;
            }
        }
    }
    accept(chosen);
    return chosen;
}

StopCondition::Reason StopCondition::check(int generated, std::int32_t token,
                                           const std::string& text, std::size_t newBytes,
                                           std::size_t* cut) const {
    for (auto s : stopTokens)
        if (s == token) return Reason::StopToken;
    for (const auto& s : stopStrings) {
        if (s.empty()) continue;
        // A match must end inside the new bytes; it may start in earlier tokens.
        const std::size_t reach = std::min(text.size(), newBytes + s.size() - 1);
        const auto at = text.find(s, text.size() - reach);
        if (at != std::string::npos) {
            if (cut) *cut = at;
            return Reason::StopString;
        }
    }
    if (maxTokens > 0 && generated >= maxTokens) return Reason::MaxTokens;
    return Reason::None;
}

}  // namespace atelier::engine
