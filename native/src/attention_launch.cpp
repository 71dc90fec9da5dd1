// sk_attention / sk_attention_block_sparse and the experimental Hopper twin sk_experimental_attention_sm90: every
// argument is checked here, on the host, before anything reaches CUDA (check_core, shared by all three). Device arrays (key_lengths, masks, bias, head mask, block lists) cannot be read here; the kernel clamps key
// lengths and block counts and ignores out-of-range block indices, so bad contents give wrong numbers, never a
// fault; the strides are the caller's promise that every addressed element exists.
#include "attention_index.cuh"
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include "attention_launch.cuh"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

namespace {

bool aligned(const void* p, unsigned a) { return ((uintptr_t)p & (a - 1)) == 0; }

// A window bound of lq + lk or more excludes no key (|j - p| < lq + lk for every query i and key j), so it is the
// same as no bound (-1). Normalised before the kernels see it: their tile arithmetic adds the bound to positions, and
// a value near INT64_MAX (an obvious "no bound" to a caller) overflowed there and gave all-zero output.
int64_t window_bound(int64_t w, int64_t lq, int64_t lk) { return w >= lq + lk ? -1 : w; }

struct Checked {
  int batch, hq, hkv, lq, lk, d;
};

int check_core(const char* fn, const void* q, const void* k, const void* v, const void* o, int dtype, int o_dtype,
               int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk, int64_t head_dim,
               float scale, int64_t window_left, int64_t window_right, const float* bias, int64_t bias_sb,
               int64_t bias_sh, int64_t bias_sq, const uint8_t* mask, int64_t mask_sb, int64_t mask_sh,
               int64_t mask_sq) {
  if (q == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: q is NULL", fn);
  if (k == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: k is NULL", fn);
  if (v == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: v is NULL", fn);
  if (o == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: o is NULL", fn);
  if (dtype != SK_DTYPE_F16 && dtype != SK_DTYPE_BF16)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: dtype must be F16 (1) or BF16 (2), got %d (%s)", fn, dtype,
                    sk::dtype_name(dtype));
  if (o_dtype != SK_DTYPE_F32 && o_dtype != dtype)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: o_dtype must be F32 (0) or dtype %s (%d), got %d (%s)", fn,
                    sk::dtype_name(dtype), dtype, o_dtype, sk::dtype_name(o_dtype));
  if (batch < 1) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: batch must be >= 1, got %lld", fn, (long long)batch);
  if (heads_q < 1)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: heads_q must be >= 1, got %lld", fn, (long long)heads_q);
  if (heads_kv < 1)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: heads_kv must be >= 1, got %lld", fn, (long long)heads_kv);
  if (heads_q % heads_kv != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: heads_q (%lld) must be a multiple of heads_kv (%lld)", fn,
                    (long long)heads_q, (long long)heads_kv);
  if (lq < 1) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: lq must be >= 1, got %lld", fn, (long long)lq);
  if (lk < 1) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: lk must be >= 1, got %lld", fn, (long long)lk);
  if (head_dim < 8 || head_dim > 256 || head_dim % 8 != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: head_dim must be a multiple of 8 in [8, 256], got %lld", fn,
                    (long long)head_dim);
  if (lq > skcuda::kAttMaxLen || lk > skcuda::kAttMaxLen)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: lq and lk must be <= %lld, got lq=%lld lk=%lld", fn,
                    (long long)skcuda::kAttMaxLen, (long long)lq, (long long)lk);
  // divided, not multiplied: batch * heads_q can wrap for huge values and then pass
  if (heads_q > skcuda::kAttMaxBH / batch)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: batch * heads_q must be <= %lld, got batch %lld, heads_q %lld", fn,
                    (long long)skcuda::kAttMaxBH, (long long)batch, (long long)heads_q);
  if (!isfinite(scale)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: scale must be finite, got %g", fn, (double)scale);
  if (window_left < -1)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: window_left must be >= 0 or -1 (no window), got %lld", fn,
                    (long long)window_left);
  if (window_right < -1)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: window_right must be >= 0 or -1 (no bound), got %lld", fn,
                    (long long)window_right);
  if (bias != nullptr && (bias_sb < 0 || bias_sh < 0 || bias_sq < 0))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bias strides must be >= 0, got (%lld, %lld, %lld)", fn,
                    (long long)bias_sb, (long long)bias_sh, (long long)bias_sq);
  if (mask != nullptr && (mask_sb < 0 || mask_sh < 0 || mask_sq < 0))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: mask strides must be >= 0, got (%lld, %lld, %lld)", fn,
                    (long long)mask_sb, (long long)mask_sh, (long long)mask_sq);
  // 16-byte cp.async copies of Q/K/V rows; pairs of outputs stored together; 4-byte bias elements.
  if (!aligned(q, 16)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: q must be 16-byte aligned, got %p", fn, q);
  if (!aligned(k, 16)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: k must be 16-byte aligned, got %p", fn, k);
  if (!aligned(v, 16)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: v must be 16-byte aligned, got %p", fn, v);
  const unsigned o_align = o_dtype == SK_DTYPE_F32 ? 8u : 4u;
  if (!aligned(o, o_align))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: o must be %u-byte aligned, got %p", fn, o_align, o);
  if (!aligned(bias, 4)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bias must be 4-byte aligned", fn);
  return SK_OK;
}

#ifdef SK_WITH_CUDA
// Whether a Hopper kernel takes this call: head dims 64 and 128 without block-sparse lists; causal and key lengths
// always (the TMA-loaded software-pipelined kernel by default, 2.0-2.1x the mma.sync kernel on an H200; the
// cp.async kernel of attention_sm90.cu, 1.7x, under sk_hopper_kernels on); windows, dense masks, bias and head masks
// by default and in the experimental mode (the decoupled MASKED instantiation, dense masks bit-packed per call: H200,
// B2 H16 L4096 D128 bf16 dense mask 1.49 ms in session 16, 3.28 reading the bytes, 3.91 for the mma.sync kernel);
// sk_hopper_kernels not off, an sm_90 device with our
// sm_90a code, and its shared memory.
bool use_sm90(const skcuda::AttentionArgs& a, int optin, int mode) {
  const bool masked = a.mask != nullptr || a.bias != nullptr || a.head_mask != nullptr || a.window_left != -1 ||
                      a.window_right != -1;
  // Their 1-D grid (attention_sm90_index.cuh, att90_cta_at) holds one CTA per 128 query rows of every head.
  const int64_t ctas = (int64_t)((a.lq + 127) / 128) * a.batch * a.hq;
  return (a.d == 64 || a.d == 128) && a.kv_count == nullptr && mode != SK_HOPPER_OFF &&
         ctas <= 0x7FFFFFFF &&
         (!masked || mode >= SK_HOPPER_EXPERIMENTAL) && skcuda::attention_sm90_available() &&
         skcuda::attention_sm90_smem_bytes(a.d, mode) <= optin;
}

int run(const char* fn, const skcuda::AttentionArgs& a, void* stream) {
  int dev = 0, optin = 0;
  char what[96];
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  if (e != cudaSuccess) {
    snprintf(what, sizeof what, "%s: device query", fn);
    return sk::cuda_fail(e, what);
  }
  // the mode read once: another thread's sk_hopper_kernels between choosing the route and launching it could
  // otherwise launch a kernel the route was not sized for
  const int mode = sk::hopper_mode();
  if (use_sm90(a, optin, mode)) {
    e = skcuda::attention_sm90(a, mode, (cudaStream_t)stream);
    if (e != cudaSuccess) {
      snprintf(what, sizeof what, "%s: kernel launch (sm_90a)", fn);
      return sk::cuda_fail(e, what);
    }
    return SK_OK;
  }
  const int need = skcuda::attention_smem_bytes(a.d);
  if (need > optin)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: head_dim %d needs %d bytes of shared memory per block, device %d has %d",
                    fn, a.d, need, dev, optin);
  e = skcuda::attention(a, (cudaStream_t)stream);
  if (e != cudaSuccess) {
    snprintf(what, sizeof what, "%s: kernel launch", fn);
    return sk::cuda_fail(e, what);
  }
  return SK_OK;
}
#endif


#ifdef SK_WITH_CUDA
// $SPARSEKERNELS_ATTENTION_HEAD_GROUP: the Hopper kernels' heads per CTA group (AttentionArgs::cta_group), read per
// call so that a self-test can time the orders side by side; 1 is the order before session 16. Unset or not a
// positive number: 0, the kernels' own choice.
int head_group_override() {
  const char* v = getenv("SPARSEKERNELS_ATTENTION_HEAD_GROUP");
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const long g = strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && g > 0 && g <= 65535) ? (int)g : 0;
}

// The fields every attention kernel reads (tensors, dtypes, shape, scale, causal, key lengths), windows off; the
// caller adds its masks and block lists.
skcuda::AttentionArgs core_args(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype,
                                int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk,
                                int64_t head_dim, float scale, int causal, const int32_t* key_lengths) {
  skcuda::AttentionArgs a = {};
  a.q = q;
  a.k = k;
  a.v = v;
  a.o = o;
  a.dtype = dtype;
  a.o_dtype = o_dtype;
  a.batch = (int)batch;
  a.hq = (int)heads_q;
  a.hkv = (int)heads_kv;
  a.lq = (int)lq;
  a.lk = (int)lk;
  a.d = (int)head_dim;
  a.scale = scale;
  a.causal = causal != 0;
  a.window_left = -1;
  a.window_right = -1;
  a.key_lengths = key_lengths;
  a.cta_group = head_group_override();
  return a;
}
#endif
}  // namespace

SK_EXPORT int sk_attention_block_sparse(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype,
                                        int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk,
                                        int64_t head_dim, float scale, int causal, int64_t window_left,
                                        int64_t window_right, const int32_t* key_lengths, const float* bias,
                                        int64_t bias_stride_b, int64_t bias_stride_h, int64_t bias_stride_q,
                                        const uint8_t* mask,
                                        int64_t mask_stride_b, int64_t mask_stride_h, int64_t mask_stride_q,
                                        const uint8_t* head_mask, int q_block, int kv_block, int64_t max_kv_blocks,
                                        const int32_t* kv_count, const int32_t* kv_index, const uint8_t* kv_full,
                                        int64_t bs_stride_b, int64_t bs_stride_h, void* stream) {
  const bool sparse = kv_count != nullptr;
  const char* fn = sparse ? "sk_attention_block_sparse" : "sk_attention";
  int rc = check_core(fn, q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim, scale, window_left,
                      window_right, bias, bias_stride_b, bias_stride_h, bias_stride_q, mask, mask_stride_b,
                      mask_stride_h, mask_stride_q);
  if (rc != SK_OK) return rc;
  if (sparse) {
    if (kv_index == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: kv_index is NULL", fn);
    // The kernel's 64-row query blocks and 64 / 32-key tiles must nest in the caller's blocks.
    if (q_block < 64 || q_block % 64 != 0 || q_block > (1 << 20))
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: q_block must be a multiple of 64 in [64, 2^20], got %d", fn,
                      q_block);
    if (kv_block < 64 || kv_block % 64 != 0 || kv_block > (1 << 20))
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: kv_block must be a multiple of 64 in [64, 2^20], got %d", fn,
                      kv_block);
    const int64_t nkb = (lk + kv_block - 1) / kv_block;
    if (max_kv_blocks < 1 || max_kv_blocks > nkb)
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: max_kv_blocks must be in [1, %lld] (ceil(lk / kv_block)), got %lld",
                      fn, (long long)nkb, (long long)max_kv_blocks);
    if (bs_stride_b < 0 || bs_stride_h < 0)
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bs_stride_b and bs_stride_h must be >= 0, got (%lld, %lld)", fn,
                      (long long)bs_stride_b, (long long)bs_stride_h);
    if (!aligned(kv_count, 4) || !aligned(kv_index, 4))
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: kv_count and kv_index must be 4-byte aligned", fn);
  }
  if (!aligned(key_lengths, 4)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: key_lengths must be 4-byte aligned", fn);
#ifdef SK_WITH_CUDA
  skcuda::AttentionArgs a = core_args(q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim, scale,
                                      causal, key_lengths);
  a.window_left = window_bound(window_left, lq, lk);
  a.window_right = window_bound(window_right, lq, lk);
  a.bias = bias;
  a.bias_sb = bias_stride_b;
  a.bias_sh = bias_stride_h;
  a.bias_sq = bias_stride_q;
  a.mask = mask;
  a.mask_sb = mask_stride_b;
  a.mask_sh = mask_stride_h;
  a.mask_sq = mask_stride_q;
  a.head_mask = head_mask;
  a.q_block = sparse ? q_block : 64;
  a.kv_block = sparse ? kv_block : 64;
  a.max_kv_blocks = sparse ? (int)max_kv_blocks : 0;
  a.kv_count = sparse ? kv_count : nullptr;
  a.kv_index = sparse ? kv_index : nullptr;
  a.kv_full = sparse ? kv_full : nullptr;
  a.bs_sb = bs_stride_b;
  a.bs_sh = bs_stride_h;
  return run(fn, a, stream);
#else
  (void)causal;
  (void)head_mask;
  (void)kv_full;
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_attention(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype,
                           int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk, int64_t head_dim,
                           float scale, int causal, int64_t window_left, int64_t window_right,
                           const int32_t* key_lengths, const float* bias,
                           int64_t bias_stride_b, int64_t bias_stride_h, int64_t bias_stride_q, const uint8_t* mask,
                           int64_t mask_stride_b, int64_t mask_stride_h, int64_t mask_stride_q,
                           const uint8_t* head_mask, void* stream) {
  return sk_attention_block_sparse(q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim, scale,
                                   causal, window_left, window_right, key_lengths, bias, bias_stride_b, bias_stride_h,
                                   bias_stride_q, mask, mask_stride_b, mask_stride_h, mask_stride_q, head_mask, 64,
                                   64, 0, nullptr, nullptr, nullptr, 0, 0, stream);
}

// The sm_90a (wgmma) kernel alone, whatever sk_hopper_kernels says: sk_attention's arguments and checks (check_core),
// then SK_ERR_UNSUPPORTED for what its first version leaves out (head dims other than 64 / 128, windows, dense masks,
// bias, head masks) and unless the device is sm_90 with the library's sm_90a code. sk_attention never runs it.
SK_EXPORT int sk_experimental_attention_sm90(const void* q, const void* k, const void* v, void* o, int dtype,
                                             int o_dtype, int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq,
                                             int64_t lk, int64_t head_dim, float scale, int causal,
                                             int64_t window_left, int64_t window_right, const int32_t* key_lengths,
                                             const float* bias, int64_t bias_stride_b, int64_t bias_stride_h,
                                             int64_t bias_stride_q, const uint8_t* mask, int64_t mask_stride_b,
                                             int64_t mask_stride_h, int64_t mask_stride_q, const uint8_t* head_mask,
                                             void* stream) {
  const char* fn = "sk_experimental_attention_sm90";
  int rc = check_core(fn, q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim, scale, window_left,
                      window_right, bias, bias_stride_b, bias_stride_h, bias_stride_q, mask, mask_stride_b,
                      mask_stride_h, mask_stride_q);
  if (rc != SK_OK) return rc;
  if (!aligned(key_lengths, 4)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: key_lengths must be 4-byte aligned", fn);
  // Valid for sk_attention, but outside this kernel's first version.
  if (head_dim != 64 && head_dim != 128)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: only head_dim 64 and 128 are supported, got %lld", fn,
                    (long long)head_dim);
  if (window_bound(window_left, lq, lk) != -1 || window_bound(window_right, lq, lk) != -1)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: sliding windows are not supported (window_left %lld, window_right %lld)",
                    fn, (long long)window_left, (long long)window_right);
  if (mask != nullptr) return sk::fail(SK_ERR_UNSUPPORTED, "%s: dense masks are not supported", fn);
  if (bias != nullptr) return sk::fail(SK_ERR_UNSUPPORTED, "%s: bias is not supported", fn);
  if (head_mask != nullptr) return sk::fail(SK_ERR_UNSUPPORTED, "%s: head masks are not supported", fn);
#ifdef SK_WITH_CUDA
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_attention_sm90: cudaGetDeviceCount");
  if (!skcuda::attention_sm90_available())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: needs an sm_90 (Hopper) device and a library built for sm_90a", fn);
  int dev = 0, optin = 0;
  e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_attention_sm90: device query");
  const int mode = sk::hopper_mode();  // read once, as in run()
  const int need = skcuda::attention_sm90_smem_bytes((int)head_dim, mode);
  if (need > optin)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: head_dim %lld needs %d bytes of shared memory per block, device %d has %d",
                    fn, (long long)head_dim, need, dev, optin);
  if ((lq + 127) / 128 * batch * heads_q > 0x7FFFFFFF)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: %lld query blocks of 128 rows over %lld heads exceed the kernel's grid", fn,
                    (long long)((lq + 127) / 128), (long long)(batch * heads_q));
  const skcuda::AttentionArgs a = core_args(q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim,
                                            scale, causal, key_lengths);
  e = skcuda::attention_sm90(a, mode, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_attention_sm90: kernel launch");
  return SK_OK;
#else
  (void)causal;
  (void)key_lengths;
  (void)stream;
  return sk::no_cuda(fn);
#endif
}
