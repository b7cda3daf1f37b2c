#pragma once
// The production cache entry formats (model spec §10.2), and the simulated casts that produce
// them (§4.2, §5.1, §8.3).
// Main entry (one token or compressed block, one layer): (c−r) FP8 E4M3 NoPE bytes, r BF16 RoPE
// dims, then one UE8M0 scale per 64 NoPE dims with the scale footer padded to 8 bytes; 584
// bytes for c = 512, r = 64. Like FlashMLA, a block of B entries stores the B data rows first
// and the B scale footers after them, so an entry is addressed by two pointers.
// Indexer key (CSA): MXFP4, c_I/2 bytes of E2M1 nibbles (element 2i low, 2i+1 high) then c_I/32
// UE8M0 scales; 68 bytes for c_I = 128.
// The casts that have kernels take the kernel table to run them on (kernel_table.h; the
// forward's own, or kernels::cpuKernels()).
// Thread-safe: pure functions.

#include <cstdint>

namespace atelier::kernels {
struct KernelTable;  // kernel_table.h
}

namespace atelier::engine {

struct EntryFormat {
    int nope = 448;  // c − r, a multiple of 64
    int rope = 64;   // r
    int dataBytes() const { return nope + 2 * rope; }
    int footerBytes() const { return (nope / 64 + 7) / 8 * 8; }
    int bytes() const { return dataBytes() + footerBytes(); }
};

// Quantizes e [nope + rope] f32: each 64-block of NoPE dims gets s = 2^ceil(log2(max(amax,
// 1e-4)/448)) and e4m3(clamp(v/s, ±448)); RoPE dims round to BF16.
void packEntry(const kernels::KernelTable& k, const float* e, const EntryFormat& f,
               std::uint8_t* data, std::uint8_t* footer);
// The values a packed entry stands for: e [nope + rope] f32.
void unpackEntry(const kernels::KernelTable& k, const std::uint8_t* data,
                 const std::uint8_t* footer, const EntryFormat& f, float* e);

inline int indexerKeyBytes(int dim) { return dim / 2 + dim / 32; }
// FP4 per 32-block: s = 2^ceil(log2(max(amax, 6·2^−126)/6)), e2m1(clamp(v/s, ±6)).
void packIndexerKey(const float* k, int dim, std::uint8_t* out);
void unpackIndexerKey(const kernels::KernelTable& k, const std::uint8_t* in, int dim, float* key);
// An indexer query row rounded to FP4 as packIndexerKey rounds a key (the values simulateFp4
// gives), in the integer form of the indexer kernels (kernels/indexer_fp4.h): codes [dim]
// = 2·e2m1 of each element, scales [dim/32] the blocks' powers of two.
void quantizeIndexerQuery(const float* q, int dim, std::int8_t* codes, float* scales);

// The simulated casts on floats, in place (what pack-then-unpack gives, without the bytes):
// FP8 activations in 1×128 blocks and FP4 in 32-blocks, UE8M0 scales (§8.3); BF16.
void simulateFp8Activations(const kernels::KernelTable& k, float* x, std::int64_t n);
void simulateFp4(float* x, std::int64_t n);
void roundToBf16(const kernels::KernelTable& k, float* x, std::int64_t n);
// Normalised Walsh–Hadamard transform in Sylvester order (scale 1/sqrt(n)); n a power of two.
void hadamardTransform(float* x, int n);

}  // namespace atelier::engine
