// Host-callable entry of the fused attention kernel (cuda/attention.cu), called by native/src/attention_launch.cpp
// after it validated every argument. Plain C++ with CUDA runtime types only (included by host code).
#ifndef SK_ATTENTION_LAUNCH_H
#define SK_ATTENTION_LAUNCH_H

#include <cuda_runtime_api.h>
#include <stdint.h>

#include "attention_mask_bits.cuh"

namespace skcuda {

// Everything one launch needs (sparsekernels.h, "fused masked attention", for the meaning of each field).
struct AttentionArgs {
  const void* q;
  const void* k;
  const void* v;
  void* o;
  int dtype, o_dtype;
  int batch, hq, hkv, lq, lk, d;
  float scale;
  int causal;
  int64_t window_left, window_right;
  const int32_t* key_lengths;
  const float* bias;
  int64_t bias_sb, bias_sh, bias_sq;
  const uint8_t* mask;
  int64_t mask_sb, mask_sh, mask_sq;
  const uint8_t* head_mask;
  // block-sparse (kv_count == NULL: dense key range)
  int q_block, kv_block;
  int max_kv_blocks;
  const int32_t* kv_count;
  const int32_t* kv_index;
  const uint8_t* kv_full;
  int64_t bs_sb, bs_sh;
  // The Hopper MASKED kernel reads `mask` in this form instead, built per call by attention_sm90 (NULL: not built).
  const uint64_t* mask_bits;
  const uint8_t* mask_classes;
  MaskBits mask_shape;
  // The Hopper kernels' CTA order (attention_sm90_index.cuh, att90_cta_at): heads per group; 0, the default, lets
  // att90_group_heads choose; 1 is the order before session 16 (SPARSEKERNELS_ATTENTION_HEAD_GROUP, for comparisons).
  int cta_group;
};

// The bit-packed form of a dense mask (attention_mask_bits.cuh) into bits / classes (device memory of
// mask_bits_words(m) words and mask_bits_classes(m) bytes), stream-ordered.
cudaError_t attention_mask_bits_build(const uint8_t* mask, int64_t sb, int64_t sh, int64_t sq, const MaskBits& m,
                                      uint64_t* bits, uint8_t* classes, cudaStream_t stream);

// Shared memory bytes the kernel for head dim d needs (0 for an unsupported d).
int attention_smem_bytes(int d);

cudaError_t attention(const AttentionArgs& a, cudaStream_t stream);

// The Hopper kernels (wgmma; all verified on an H200): head dims 64 and 128; no block-sparse list (the host entries
// keep those away). hopper, the SK_HOPPER_* mode: ON: cuda/attention_sm90.cu's kernel, masks causal and key lengths
// only; EXPERIMENTAL: calls with only those masks go to the software-pipelined kernel (attention_sm90_overlap.cu),
// calls with windows, dense masks, bias or head masks to the MASKED instantiation with the decoupled mbarrier
// pipeline; TMA (the default): the same, the software-pipelined kernel loaded by TMA.
// attention_sm90_smem_bytes: the shared memory the call's kernel needs. attention_sm90_available: the current device
// is sm_90 and the library carries its sm_90a code (cached).
int attention_sm90_smem_bytes(int d, int hopper);
bool attention_sm90_available();
cudaError_t attention_sm90(const AttentionArgs& a, int hopper, cudaStream_t stream);
// The software-pipelined kernel alone (attention_sm90_overlap.cu; its shared memory: 0 for an unsupported d), loaded
// by cp.async copies of every thread or (tma) by the tensor-memory accelerator. With a.mask_bits set (a dense mask
// bit-packed, nothing else masked; experimental) only the TMA kernel runs it: cudaErrorNotSupported, launching
// nothing, where that kernel cannot (tma false, unaligned bases, maps the driver does not encode).
// pingpong (TMA, no mask; experimental, session 18): the two warpgroups take turns issuing their MMAs.
int attention_sm90_overlap_smem_bytes(int d);
// lean (TMA, no mask; experimental, session 26): the plain ring with the ping-pong's lean MMAs and folded softmax
// ($SPARSEKERNELS_ATTENTION_LEAN=1 in the default TMA mode, read per call, so that a GPU run can time it alone).
cudaError_t attention_sm90_overlap(const AttentionArgs& a, bool tma, cudaStream_t stream, bool pingpong = false,
                                   bool lean = false);

}  // namespace skcuda

#endif
