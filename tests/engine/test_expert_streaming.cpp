// ctest-labels: unit
// Expert streaming (ModelOptions::expertCacheBytes): routed experts read from the weight files
// into a small cache give bit-identical logits to the fully mapped run, across prefill, decode,
// a batched call and a fork — with one slot (every expert use evicts another, and a step
// needs several rounds) and with half the experts (hits and misses), under both policies, on a
// GGUF file and an HF folder. A read that fails mid-call (the file cut short under the model)
// fails that call with an error naming the file and tensor, leaves the sequence as it was,
// and once the file is whole again the same model continues exactly.

#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "atelier/engine/model.h"
#include "atelier/engine/model_files.h"
#include "atelier/engine/model_footprint.h"
#include "../../engine/src/model_io/hf_writer.h"

using namespace atelier::engine;
namespace fs = std::filesystem;

namespace {

std::vector<std::int32_t> tokens(std::size_t n, std::uint32_t seed, std::int32_t vocab) {
    std::vector<std::int32_t> out(n);
    std::uint32_t s = seed * 2654435761u + 1;
    for (auto& t : out) {
        s = s * 1664525u + 1013904223u;
        t = std::int32_t((s >> 8) % std::uint32_t(vocab));
    }
    return out;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::unique_ptr<Model> load(const fs::path& path, std::uint64_t budget, ExpertPolicy policy) {
    auto src = openModel(path);
    if (!src) qFatal("%s", src.error().message.c_str());
    ModelOptions o;
    o.numerics = Numerics::Release;
    o.threads = 2;
    o.expertCacheBytes = budget;
    o.expertPolicy = policy;
    o.ioThreads = 3;
    auto m = Model::load(std::move(*src), o);
    if (!m) qFatal("%s", m.error().message.c_str());
    return std::move(*m);
}

// Everything one run sees: prefill logits (all rows), decode steps, a two-sequence batch and
// both branches of a fork.
struct Trace {
    std::vector<std::vector<float>> logits;
};

Trace run(Model& m) {
    const std::int32_t V = std::int32_t(m.config().vocabSize);
    Trace out;
    std::vector<float> l;
    KvCache a = m.newSequence();
    if (!m.forward(a, tokens(37, 1, V), LogitsRequest::All, l)) qFatal("prefill failed");
    out.logits.push_back(l);
    for (int step = 0; step < 5; ++step) {
        if (!m.forward(a, tokens(1, 10 + step, V), LogitsRequest::Last, l)) qFatal("decode failed");
        out.logits.push_back(l);
    }
    KvCache b = m.newSequence();
    if (!m.forward(b, tokens(9, 2, V), LogitsRequest::Last, l)) qFatal("prefill b failed");
    out.logits.push_back(l);
    for (int step = 0; step < 3; ++step) {
        std::vector<float> la, lb;
        const auto ta = tokens(1, 20 + step, V), tb = tokens(step == 0 ? 4 : 1, 30 + step, V);
        const BatchItem items[] = {{&a, ta, LogitsRequest::Last, &la}, {&b, tb, LogitsRequest::All, &lb}};
        if (!m.forwardBatch(items)) qFatal("batch failed");
        out.logits.push_back(la);
        out.logits.push_back(lb);
    }
    KvCache f = a.fork();
    for (int step = 0; step < 2; ++step) {
        if (!m.forward(a, tokens(1, 40 + step, V), LogitsRequest::Last, l)) qFatal("branch a failed");
        out.logits.push_back(l);
        if (!m.forward(f, tokens(1, 50 + step, V), LogitsRequest::Last, l)) qFatal("branch f failed");
        out.logits.push_back(l);
    }
    return out;
}

}  // namespace

class TestExpertStreaming : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::map<QString, fs::path> m_models;

    fs::path model(const QString& kind) {
        if (auto it = m_models.find(kind); it != m_models.end()) return it->second;
        CreateModelOptions o;
        o.config = *presetConfig("tiny");
        o.seed = 5;
        fs::path out = fs::path(m_dir.path().toStdString()) / kind.toStdString();
        if (kind == "gguf-q8_0") {
            o.format = FileFormat::Gguf;
            o.ggufQuant = ggufQuantFromName("q8_0");
            out += ".gguf";
        } else if (kind == "gguf-q4_k_m") {
            o.format = FileFormat::Gguf;
            o.ggufQuant = ggufQuantFromName("q4_k_m");
            out += ".gguf";
        } else {
            o.scheme = WeightScheme::FP8;  // FP4 experts with scale companions: six reads each
        }
        if (auto r = createModel(o, out); !r) qFatal("%s", r.error().message.c_str());
        return m_models[kind] = out;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void streamedLogitsEqualMapped_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("policy");
        QTest::addColumn<bool>("oneSlot");
        for (const char* kind : {"hf-fp8", "gguf-q8_0", "gguf-q4_k_m"}) {
            QTest::addRow("%s-one-slot", kind) << QString(kind) << int(ExpertPolicy::Frequency) << true;
            QTest::addRow("%s-half-frequency", kind) << QString(kind) << int(ExpertPolicy::Frequency) << false;
            QTest::addRow("%s-half-lru", kind) << QString(kind) << int(ExpertPolicy::Lru) << false;
        }
    }
    void streamedLogitsEqualMapped() {
        QFETCH(QString, kind);
        QFETCH(int, policy);
        QFETCH(bool, oneSlot);
        const fs::path path = model(kind);
        auto src = openModel(path);
        QVERIFY(src);
        const ModelFootprint fp = modelFootprint(**src);
        QVERIFY(fp.routedExpertBytes > 0 && fp.expertBytes > 0);
        const std::uint64_t budget = oneSlot ? 1 : fp.routedExpertBytes / 2;

        auto mapped = load(path, 0, ExpertPolicy(policy));
        auto streamed = load(path, budget, ExpertPolicy(policy));
        QVERIFY(!mapped->expertCacheStats().streaming);
        const Trace want = run(*mapped), got = run(*streamed);
        QCOMPARE(got.logits.size(), want.logits.size());
        for (std::size_t i = 0; i < want.logits.size(); ++i)
            QVERIFY2(sameBits(got.logits[i], want.logits[i]), qPrintable(QString("call %1 differs").arg(i)));

        const ExpertCacheStats s = streamed->expertCacheStats();
        QVERIFY(s.streaming);
        QVERIFY(s.misses > 0);
        QVERIFY(s.bytesRead >= std::uint64_t(s.misses) * (fp.expertBytes / 2));
        if (oneSlot) {
            QCOMPARE(s.slotCount, std::int64_t(1));
            // One slot: an expert stays only while consecutive uses want it again.
            QVERIFY(s.misses > 10 * s.hits);
        } else {
            QVERIFY(s.capacityBytes <= budget);
            QVERIFY(s.hits > 0);
        }
    }

    void budgetThatHoldsEveryExpertMapsThem() {
        const fs::path path = model("gguf-q8_0");
        auto src = openModel(path);
        QVERIFY(src);
        const ModelFootprint fp = modelFootprint(**src);
        auto m = load(path, fp.routedExpertBytes, ExpertPolicy::Frequency);
        QVERIFY(!m->expertCacheStats().streaming);
        QCOMPARE(autoExpertCacheBytes(fp, 4096, 64ull << 30), std::uint64_t(0));  // all fit: no streaming
        const std::uint64_t tight = autoExpertCacheBytes(fp, 0, (fp.weightsBytes - fp.routedExpertBytes) + (1ull << 30));
        QVERIFY(tight >= fp.expertBytes * std::uint64_t(fp.activatedExperts));
        QVERIFY(tight < fp.routedExpertBytes);
    }

    // `--memory-budget auto` inside a container: the cgroup's limit, not the host's free memory.
    void cgroupLimitsCountAsAvailableMemory() {
        const fs::path root = fs::path(m_dir.path().toStdString()) / "cgroup";
        auto write = [](const fs::path& p, const std::string& text) {
            fs::create_directories(p.parent_path());
            std::ofstream(p) << text;
        };
        const std::uint64_t gib = 1ull << 30;
        // v2: limit 8 GiB, 5 GiB used of which 1 GiB inactive file cache → 4 GiB left.
        write(root / "v2.cgroup", "0::/box/inner\n");
        write(root / "sys/box/inner/memory.max", std::to_string(8 * gib) + "\n");
        write(root / "sys/box/inner/memory.current", std::to_string(5 * gib) + "\n");
        write(root / "sys/box/inner/memory.stat", "anon 1\ninactive_file " + std::to_string(gib) + "\nactive_file 7\n");
        QCOMPARE(cgroupAvailableBytes(root / "v2.cgroup", root / "sys"), 4 * gib);
        // v2 without a limit ("max"): nothing to say.
        write(root / "sys/box/inner/memory.max", "max\n");
        QCOMPARE(cgroupAvailableBytes(root / "v2.cgroup", root / "sys"), std::uint64_t(0));
        // v1: the memory controller's own line among others.
        write(root / "v1.cgroup", "4:cpu,cpuacct:/x\n3:memory:/jobs/7\n0::/\n");
        write(root / "sys/memory/jobs/7/memory.limit_in_bytes", std::to_string(6 * gib) + "\n");
        write(root / "sys/memory/jobs/7/memory.usage_in_bytes", std::to_string(3 * gib) + "\n");
        write(root / "sys/memory/jobs/7/memory.stat", "cache 5\ntotal_inactive_file " + std::to_string(gib) + "\n");
        QCOMPARE(cgroupAvailableBytes(root / "v1.cgroup", root / "sys"), 4 * gib);
        QCOMPARE(cgroupAvailableBytes(root / "missing", root / "sys"), std::uint64_t(0));
        QVERIFY(availableMemoryBytes() > 0);
    }

    void weightsInMemoryAreRefused() {
        ModelOptions o;
        o.expertCacheBytes = 1;
        auto m = Model::load(randomWeights(*presetConfig("tiny"), 3), o);
        QVERIFY(!m);
        QVERIFY2(m.error().message.find("files") != std::string::npos, m.error().message.c_str());
    }

    // Every tensor in its own shard, so the routed experts' files can be cut under a loaded
    // model without touching a mapped tensor.
    void readErrorFailsTheCallAndKeepsTheSequence() {
        const fs::path dir = fs::path(m_dir.path().toStdString()) / "sharded";
        fs::create_directories(dir);
        CreateModelOptions o;
        o.config = *presetConfig("tiny");
        o.seed = 9;
        o.scheme = WeightScheme::BF16;
        QVERIFY(writeHfModel(o, dir, 1));
        auto mapped = load(dir, 0, ExpertPolicy::Frequency);
        auto streamed = load(dir, 1, ExpertPolicy::Frequency);

        const std::int32_t V = std::int32_t(o.config.vocabSize);
        std::vector<float> want, got;
        KvCache ref = mapped->newSequence(), seq = streamed->newSequence();
        QVERIFY(mapped->forward(ref, tokens(20, 3, V), LogitsRequest::Last, want));
        QVERIFY(streamed->forward(seq, tokens(20, 3, V), LogitsRequest::Last, got));
        QVERIFY(sameBits(got, want));

        // Cut every routed expert's shard of layer 0 to its header.
        auto index = openModel(dir);
        QVERIFY(index);
        std::map<std::string, std::string> saved;
        for (int e = 0; e < o.config.nRoutedExperts; ++e) {
            const TensorView* t = (*index)->find("layers.0.ffn.experts." + std::to_string(e) + ".w1.weight");
            QVERIFY(t);
            std::ifstream in(t->file, std::ios::binary);
            saved[t->file].assign(std::istreambuf_iterator<char>(in), {});
            fs::resize_file(t->file, t->fileOffset + 1);
        }
        const std::vector<std::uint8_t> before = seq.snapshot();
        auto failed = streamed->forward(seq, tokens(1, 4, V), LogitsRequest::Last, got);
        QVERIFY(!failed);
        QVERIFY2(failed.error().message.find(".safetensors") != std::string::npos &&
                     failed.error().message.find("layers.0.ffn.experts.") != std::string::npos,
                 failed.error().message.c_str());
        QVERIFY(seq.snapshot() == before);  // the call left the sequence as it was

        for (const auto& [file, bytes] : saved) {  // the file is whole again: same model, same numbers
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out.write(bytes.data(), std::streamsize(bytes.size()));
        }
        for (int step = 0; step < 3; ++step) {
            QVERIFY(mapped->forward(ref, tokens(1, 4 + step, V), LogitsRequest::Last, want));
            QVERIFY(streamed->forward(seq, tokens(1, 4 + step, V), LogitsRequest::Last, got));
            QVERIFY(sameBits(got, want));
        }
    }
};

QTEST_GUILESS_MAIN(TestExpertStreaming)
#include "test_expert_streaming.moc"
