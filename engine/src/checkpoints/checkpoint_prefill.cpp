// prefillForCheckpoint: a prefill that stops where the strategy keeps window states.

#include "atelier/engine/checkpoint_store.h"
#include "atelier/engine/model.h"

namespace atelier::engine {

Result<std::vector<KvCache>> prefillForCheckpoint(Model& model, KvCache& sequence,
                                                  std::span<const std::int32_t> tokens,
                                                  const CheckpointPolicy& policy,
                                                  std::vector<float>& logits) {
    std::vector<KvCache> states;
    const std::int64_t period =
        policy.strategy == WindowStrategy::Periodic ? std::max<std::int64_t>(1, policy.period) : 0;
    std::size_t done = 0;
    while (done < tokens.size()) {
        std::size_t next = tokens.size();
        if (period > 0) {
            const std::int64_t here = sequence.length();
            next = std::min(next, done + std::size_t((here / period + 1) * period - here));
        }
        ATELIER_TRY_VOID(model.forward(sequence, tokens.subspan(done, next - done),
                                       LogitsRequest::Last, logits));
        done = next;
        if (period > 0 && sequence.length() % period == 0) states.push_back(sequence.fork());
    }
    if (policy.strategy == WindowStrategy::Full) states.push_back(sequence.fork());
    return states;
}

}  // namespace atelier::engine
