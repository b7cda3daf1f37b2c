#pragma once
// TokenConstraint: restricts which tokens a sequence may generate next (grammar-constrained
// decoding). The generation service asks it for the allowed set before sampling each token and
// tells it every token that was actually appended. A request without a constraint samples
// freely; a constraint that is inactive (e.g. outside a DSML tool-call block) leaves the
// logits untouched, so unconstrained text stays unconstrained.
// Threads: one constraint object belongs to one request and is only called on the scheduler
// thread that runs it.

#include <cstdint>
#include <memory>
#include <span>

namespace atelier::engine {

class TokenConstraint {
public:
    virtual ~TokenConstraint() = default;
    // Sets logits[v] = -inf for every token v that may not come next; leaves the rest as they
    // are. Must leave at least one token allowed (the end token when nothing else fits).
    virtual void maskLogits(std::span<float> logits) = 0;
    // The token that was appended (sampled from the masked logits).
    virtual void accept(std::int32_t token) = 0;
    // How many tokens the request may still generate, the one about to be sampled included
    // (the lesser of its max tokens and the context left); called before every maskLogits.
    // A grammar that must end within it (a tool call closed before the limit) plans with it.
    virtual void setTokensLeft(std::int64_t left) { (void)left; }
};

}  // namespace atelier::engine
