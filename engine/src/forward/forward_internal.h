#pragma once
// Internal to the forward pass: the bound weights of each mechanism, the scratch buffers and
// the per-mechanism functions (one .cpp each). Shapes: T tokens of the chunk, D hidden, H heads,
// C head dim, R rope dims, V vocab. Threads: Model::forward's caller, which hands parts of its
// work to the Workspace's pool (rows, row chunks, heads, keys, or whole sequences of a decode
// batch, each with its own Workspace lane); a part never starts a pool run of its own.
// Compute goes through one kernel table (kernels/kernel_table.h), picked when the model is
// loaded and carried in the Workspace: the forward calls its slots and never names a level.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/engine/kv_cache.h"
#include "atelier/engine/model_config.h"
#include "atelier/engine/numerics.h"
#include "atelier/engine/weight_decode.h"
#include "atelier/kernels/kernel_table.h"
#include "forward/thread_pool.h"

namespace atelier::engine::fwd {

// A stored matrix, the kernel tables' product slot of its dtype (found once, when it is bound)
// and whether its input is FP8-quantized under Release (LinearFp8/ExpertFp4).
struct Linear {
    StoredMatrix m;
    kernels::MatmulFormat format = kernels::MatmulFormat::F32;
    bool fp8Input = false;
};

struct HcParams {
    std::vector<float> fn;     // [mixes, 4D] f32
    std::vector<float> base;   // [mixes]
    std::vector<float> scale;  // [3] (head: [1])
};

struct CompressorWeights {
    Linear wkv, wgate;         // [κ·c, D]
    std::vector<float> ape;    // [ratio, κ·c]
    std::vector<float> norm;   // [c]
    int ratio = 0;
    int width = 0;             // c (main: C, indexer: c_I)
    bool overlap = false;      // κ = 2
};

struct IndexerWeights {
    Linear wqB;                // [nI·cI, d_c]
    Linear weightsProj;        // [nI, D]
    CompressorWeights comp;
};

struct AttentionWeights {
    Linear wqA, wqB, wkv, woA, woB;
    std::vector<float> qNorm, kvNorm, sink;  // [d_c], [C], [H]
    CompressorWeights comp;                  // ratio > 0
    IndexerWeights indexer;                  // ratio == 4
};

struct ExpertWeights {
    Linear w1, w2, w3;         // [F, D], [D, F], [F, D]
};

struct MoeWeights {
    Linear gate;                       // [E, D]
    std::vector<float> bias;           // [E] (score-routed layers)
    std::vector<std::int32_t> tid2eid; // [V, k] (hash-routed layers)
    std::vector<ExpertWeights> experts;
    ExpertWeights shared;
    bool hash = false;
};

struct BlockWeights {
    HcParams hcAttn, hcFfn;
    std::vector<float> attnNorm, ffnNorm;  // [D]
    AttentionWeights attn;
    MoeWeights moe;
};

struct ModelWeights {
    StoredMatrix embed;       // [V, D]
    Linear head;              // [V, D]
    std::vector<float> norm;  // [D]
    HcParams hcHead;          // fn [4, 4D], base [4], scale [1]
    std::vector<BlockWeights> blocks;
};

// Frequencies f'_i of one layer kind's RoPE table (spec §4.4), [R/2].
struct RopeTable {
    std::vector<double> freq;
};
RopeTable makeRopeTable(const ModelConfig& c, bool yarn);
// cos/sin [R/2] of angle pos · f'_i.
void ropeAngles(const RopeTable& t, std::int64_t pos, float* cos, float* sin);

// One product of a matmulMany() call: y[t * ldy + r] = W[r] · x[t] over all rows of W.
struct MatmulJob {
    const Linear* w = nullptr;
    const float* x = nullptr;  // [T, cols]
    std::int64_t T = 0;
    float* y = nullptr;        // [T, ldy]: rows [rowBegin, rowEnd) of w's product
    std::int64_t ldy = 0;
    std::int64_t rowBegin = 0, rowEnd = -1;  // -1: every row
};
// Reused buffers: grown on demand, never shrunk, so steady-state calls do not allocate.
class ExpertCache;

// The storage of activations rounded for an integer product (roundActivations; grown on demand).
struct ActivationBlocks {
    std::vector<kernels::BlockQ8K> q8k;
    std::vector<kernels::BlockQ8A> q8a;
};

struct Workspace {
    const kernels::KernelTable* kernels = nullptr; // the backend's table, picked at Model::load
    ThreadPool* pool = nullptr;                    // matmul rows are split across it
    ExpertCache* experts = nullptr;                // routed experts streamed (null: mapped)
    std::optional<Error> failure;                  // a read failed: the forward stops
    std::vector<std::vector<float>> rowScratch;    // matmul: [threads][gemmScratchFloats(cols)]
    std::vector<float> X, y, xn, F;                // block loop: [T, 4, D], [T, D] ×3
    std::vector<float> cosT, sinT;                 // [T, R/2]
    std::vector<float> cQ, q, kvRows, window, compressed, o, probs, groupIn, groupOut;  // attention
    std::vector<std::uint8_t> entryBytes;          // one packed entry
    std::vector<const float*> entries;             // one query's visible entries
    std::vector<float> compK, compZ, entry;        // compressor: [T, κc] ×2, [c]
    std::vector<float> indexK, indexZ;             // indexer compressor: [T, κc_I] ×2
    std::vector<float> indexQ, indexW, keys, scores;  // indexer
    std::vector<std::int8_t> indexCodes;           // indexer, Release: [T, nI, cI] query codes,
    std::vector<float> indexScales, indexPacked;   //   [T, nI, cI/32] scales, packed queries
    std::vector<kernels::IndexerQueryFp4> indexQueries;  //   [T] views of the packed queries
    std::vector<std::int32_t> selected, selectedCount, order;
    std::vector<std::int64_t> partTop;             // indexer: [parts] candidates each part found
    std::vector<std::int32_t> rowOf;               // attention: [nComp] a selected CSA entry's row
    std::vector<std::int32_t> decodeList;          // attention: the compressed entries to decode
    std::vector<float> router, expertWeight, expertIn, expertOut, expertRowWeight, expertGate,
        expertUp;                                  // MoE
    std::vector<std::int32_t> expertIdx, expertRows, expertCount, expertWant;
    std::vector<std::int64_t> activeRows;          // MoE: [first row, count] pairs to activate
    std::vector<MatmulJob> jobs;                   // matmulMany: the jobs, their row chunks,
    std::vector<std::int64_t> jobParts;            //   [parts] job index, first row, end row ×3
    std::vector<std::vector<float>> jobInputs;     //   Release FP8-quantized inputs, per job
    std::vector<const float*> jobInputPtrs;        //   the input each job reads
    std::vector<ActivationBlocks> jobRounded;      //   integer kernels' activations per job
    std::vector<std::uint8_t> jobPrep;             //   what of its input each job prepares
    std::vector<const void*> jobRoundedPtrs;       //   (shared by jobs on the same input)
    // attention() of a decode batch, one sequence per pool part: the parts' own scratch (no
    // pool: each part runs on one thread), the sequences' first rows and the order they go in.
    std::vector<Workspace> lanes;
    std::vector<std::int64_t> chunkRows;
    std::vector<std::int32_t> chunkOrder;
};
float* grow(std::vector<float>& v, std::size_t n);
// fn(b, e) over [0, n) split across the pool, each part at least `grain` items long (one part,
// on the calling thread, when n < 2 · grain or there is no pool). For items computed alone
// (rows of a per-row operation), so that every split gives the same bits. Prefill runs these
// over hundreds of rows that were the serial part of a chunk.
template <typename F>
void splitAcrossPool(Workspace& ws, std::int64_t n, std::int64_t grain, F&& fn) {
    const int threads = ws.pool ? ws.pool->threads() : 1;
    const int parts = int(std::clamp<std::int64_t>(n / std::max<std::int64_t>(grain, 1), 1, threads));
    if (parts == 1) {
        fn(std::int64_t(0), n);
        return;
    }
    auto part = [&](int p) { fn(n * p / parts, n * (p + 1) / parts); };
    ws.pool->run(parts, part);
}

// y [T, rows] = W · x[t] for every row; x [T, cols]. Under Release a fp8Input matrix sees x
// quantized in 1×128 blocks (spec §8.3) and its output is rounded to BF16 (the release's
// FP8/FP4 GEMMs write bf16). Row ranges of several matrices: matmulMany.
void matmul(const Linear& w, const float* x, std::int64_t T, float* y, Numerics numerics,
            Workspace& ws);
// The bare product of matmul() on one thread: the table's slot of w's format; rowScratch
// [kernels::gemmScratchFloats(cols)]. For a slot that reads rounded activations (the integer
// products: Q8_K blocks for K- and i-quants, blocks of 32 for Q8_0, MXFP4 and the legacy
// formats, as llama.cpp does, at every token count so that results do not depend on the batch)
// `rounded` may hold x already rounded (roundActivations) so that row chunks do not round it
// again; null: rounded here.
void multiply(const kernels::KernelTable& k, const Linear& w, const float* x, std::int64_t T,
              float* y, float* rowScratch, std::int64_t rowBegin, std::int64_t rowEnd,
              std::int64_t ldy, const void* rounded = nullptr);
// x [T, cols] rounded for w's slot into `store` ([T, cols/32] BlockQ8A or [T, cols/256]
// BlockQ8K); null when the slot reads f32.
const void* roundActivations(const kernels::KernelTable& k, const Linear& w, const float* x,
                             std::int64_t T, ActivationBlocks& store);
// roundActivations in two steps, so that rows can be rounded on several threads: `store`
// sized for T rows (returns its blocks; null when the slot reads f32), then rows [t0, t1).
const void* activationStore(const kernels::KernelTable& k, const Linear& w, std::int64_t T,
                            ActivationBlocks& store);
void roundActivationRows(const kernels::KernelTable& k, const Linear& w, const float* x,
                         std::int64_t t0, std::int64_t t1, ActivationBlocks& store);
// Independent products in one pool run (each split into row chunks so that every thread has
// work and there is one hand-off for all): the same bits as calling matmul() on each.
void matmulMany(const MatmulJob* jobs, std::size_t count, Numerics numerics, Workspace& ws);

// RMSNorm of each row of x [T, n] in place with weight w; rounded to BF16 under Release.
void rmsnormRows(const kernels::KernelTable& k, float* x, std::int64_t T, std::int64_t n,
                 const float* w, float eps, Numerics numerics);

// Everything a mechanism needs about the chunk.
struct Chunk {
    const ModelConfig& cfg;
    Numerics numerics;
    KvCache& cache;
    Workspace& ws;
    std::int64_t start;  // position of the chunk's first token
    std::int64_t T;
    const std::int32_t* tokens;  // [T]
};

// hyper_connections.cpp
struct HcMix {
    float pre[4], post[4], comb[16];  // comb[j * 4 + k]
};
// Mixes of X [4, D] and the sub-layer input y [D] (spec §3).
void hcPre(const kernels::KernelTable& k, const HcParams& p, const ModelConfig& cfg,
           const float* X, HcMix& mix, float* y, Numerics numerics);
// X [4, D] ← post ⊗ F + combᵀ X.
void hcPost(const kernels::KernelTable& k, const HcMix& mix, const float* F, float* X,
            std::int64_t dim);
// Collapses X [4, D] into h [D] (spec §2 step 4).
void hcHead(const kernels::KernelTable& k, const HcParams& p, const ModelConfig& cfg,
            const float* X, float* h, Numerics numerics);
// The Sinkhorn projection of logits b [16] into comb [16], in the kernel's order.
void sinkhorn(const float* b, int iters, float eps, float* comb);

// attention.cpp: x [T, D] attention-normed input of every row → out [T, D]. `chunks` (one
// per sequence, rows one after the other, spanned by `all`) each attend over their own cache;
// the sequence-independent projections run once over all rows.
void attention(const std::vector<Chunk>& chunks, const Chunk& all, int layer,
               const AttentionWeights& w, const RopeTable& rope, const float* x, float* out);
// compressor.cpp: feeds the chunk's tokens to a compressor (spec §5.1, §7.2) and appends every
// entry that closes to `store`. Indexer compressors emit Hadamard + FP4 keys. kT, zT [T, κc]:
// the chunk's rows of the products W_kv·x and W_gate·x (attention() runs them over all rows).
void compress(const Chunk& ch, const CompressorWeights& w, const RopeTable& rope, bool indexer,
              std::vector<float>& stateK, std::vector<float>& stateZ, PagedStore& store,
              const float* kT, const float* zT);
// Reads compressed entry / indexer key i of a store as floats.
void readEntry(const kernels::KernelTable& k, const KvCache& cache, const PagedStore& s,
               std::int64_t i, float* out);
void readIndexKey(const kernels::KernelTable& k, const KvCache& cache, const PagedStore& s,
                  std::int64_t i, float* out);
// indexer.cpp: for each query, the selected compressed entries (ties to the lower index).
// q [T, nI, cI] = W_qB·c_Q and wts [T, nI] = W_w·x are the chunk's rows of the products
// (attention() runs them over all rows), changed in place. sel [T, topk] with counts [T].
void indexerSelect(const Chunk& ch, const RopeTable& rope, const LayerCache& lc, float* q,
                   float* wts, std::vector<std::int32_t>& sel, std::vector<std::int32_t>& counts);
// moe.cpp: x [T, D] ffn-normed input → out [T, D]. With an expert cache (ws.experts) the
// routed experts of `layer` come from it; a failed read sets ws.failure and leaves out unset.
void moe(const Chunk& ch, const MoeWeights& w, int layer, const float* x, float* out);

}  // namespace atelier::engine::fwd
