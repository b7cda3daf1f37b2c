// The built-in training text for builtinVocabulary()'s merges: plain English and a little code,
// written for this project. Its only job is to give generated test models a vocabulary whose
// merges look like a real tokenizer's (common words, indentation, punctuation).

#include "tokenizer/bpe_trainer.h"

namespace atelier::engine {

std::string_view builtinTrainingText() {
    static const std::string text = std::string(R"TXT(
The workstation runs a language model on the machine in front of you. It reads your question,
thinks about it, and writes an answer one token at a time. A token is a small piece of text: a
word, part of a word, a number, or a run of spaces. The model never sees letters directly; it
sees the numbers of the tokens, and the tokenizer turns text into those numbers and back again.

When the program starts, it opens the model file, checks that every tensor has the shape and
the type it expects, and maps the weights into memory. Then it waits for a request. A request
is a conversation: a system message that sets the rules, the messages of the user, and the
replies of the assistant so far. The chat template joins them into one long prompt, with
special tokens that mark where each turn begins and ends.

The first pass over the prompt is called prefill. It computes the keys and values of every
position and stores them in the cache, so that the next steps do not have to compute them
again. After that comes decoding: the model looks at the last token, predicts a distribution
over the whole vocabulary, and the sampler picks the next token from it. The temperature makes
the choice more or less random; top-p and top-k cut off the unlikely tail. The new token is
added to the sequence and the loop continues until the model writes the end of the sentence or
the reply reaches its length limit.

Long conversations need long context. Attention over every earlier position costs time and
memory that grow with the length of the text, so the model compresses older keys and values
into fewer entries and keeps only a window of recent positions in full detail. An indexer
chooses which compressed blocks are worth reading for each new token. This is why the model
can hold a whole book, a large code base, or a day of work in one session without running out
of memory.

Good software is tested. Each part of the engine has a reference version that is simple and
slow, and a fast version that must give the same answer within a small tolerance. The tests
build tiny models with random weights, run them both ways, and compare the results. When a
test fails, the message says which tensor, which layer and which position went wrong, so that
the person who reads it can find the bug quickly instead of guessing.

The agents use tools: they read files, search the project, run commands, and edit code. Every
action passes through a policy that decides whether it is allowed, whether it needs the user's
approval, or whether it must be refused. The user can see what each agent is doing, stop it at
any time, and undo its changes. Nothing is sent over the network unless the user asks for it.

Numbers appear everywhere: 1, 2, 3, 10, 42, 100, 256, 1024, 4096, 65536, 3.14159, 2.71828,
0.5, 1e-6, 2024-01-15, 12:30:45, version 1.2.3, port 8080, and 99.9 percent of the time.
Prices such as $19.99 or 250 euros, sizes like 16 GB or 512 MB, and counts like 1,000,000
tokens per second are all just text to the tokenizer.

Questions and answers look like this. What is the capital of France? Paris is the capital of
France. How many days are in a week? There are seven days in a week. Why is the sky blue?
Sunlight is scattered by the air, and blue light is scattered more than red light. Can you
explain how a hash table works? A hash table stores each key in a bucket chosen by a hash of
the key, so that finding a key takes about the same time no matter how many keys there are.
)TXT") + std::string(R"TXT(
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace example {

// Returns the indices of the k largest values, largest first.
std::vector<int> topK(const std::vector<float>& values, int k) {
    std::vector<int> order(values.size());
    for (int i = 0; i < static_cast<int>(order.size()); ++i) order[i] = i;
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return values[a] > values[b]; });
    order.resize(k);
    return order;
}

class Counter {
public:
    void add(const std::string& word) { ++m_counts[word]; }
    int count(const std::string& word) const {
        auto it = m_counts.find(word);
        return it == m_counts.end() ? 0 : it->second;
    }

private:
    std::map<std::string, int> m_counts;
};

}  // namespace example

def softmax(values, temperature=1.0):
    """Returns the probabilities of the values at the given temperature."""
    scaled = [v / temperature for v in values]
    largest = max(scaled)
    exps = [math.exp(v - largest) for v in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def read_lines(path):
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            yield line


class Cache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = {}

    def get(self, key, default=None):
        return self.items.get(key, default)

    def put(self, key, value):
        if len(self.items) >= self.capacity:
            self.items.pop(next(iter(self.items)))
        self.items[key] = value

function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i += 1;
  }
  return `${bytes.toFixed(1)} ${units[i]}`;
}

{"model": "tiny", "layers": 4, "hidden_size": 256, "vocab_size": 1024, "rope_theta": 10000.0}
SELECT name, COUNT(*) AS total FROM sessions WHERE created_at > '2024-01-01' GROUP BY name;
git commit -m "Fix the cache size check" && git push origin main
)TXT");
    return text;
}

}  // namespace atelier::engine
