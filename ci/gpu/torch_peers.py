"""PyTorch peers for the GPU check, at sk_gpu_bench's shapes: dense matmul and 2:4 (to_sparse_semi_structured),
then attention (scaled_dot_product_attention, flex_attention), then BSR (a to_sparse_bsr weight).

    python3 torch_peers.py [--budget-ms MS] [--max-seconds S] [--no-flush] [--no-gemm] [--no-attention] [--no-bsr]
                           [TxIxO ...]

Prints one JSON object per line: first {"peer": "torch", "version", "device"}, then per case one record with "ms",
or the same record with "error" instead (a peer that cannot run, or a case skipped past --max-seconds):
  GEMM (TxIxO shapes, f16 and bf16): {"peer": "torch-matmul" | "torch-semi-structured", "shape": {"tokens","in",
      "out"}, "dtype", "y_dtype", "ms"}. Y = X @ W.T with W [out, in], the same contract as our kernels; PyTorch's
      output dtype is the input dtype, so these compare with sk_gpu_bench's y_dtype = x_dtype rows.
  attention (bf16, q/k/v [B, H, L, D] contiguous; B 2 H 16 L 4096 D 128 with no mask, causal and dense-mask (the
      causal pattern as a boolean [L, L] attn_mask), B 1 H 16 L 8192 D 128 causal, as in attention_selftest.cu's
      bench): {"peer": "torch-sdpa" | "torch-flex", "op": "attention", "mask": "none" | "causal" | "dense-mask",
      "shape": {"batch","heads","lq","lk","d"}, "dtype": "bf16", "ms"}. torch-sdpa is the fastest of the flash,
      cuDNN and efficient backends that accept the call (forced one at a time; "backend" says which, the note has
      all), the default dispatch when none runs. torch-flex (causal only) is flex_attention under torch.compile with a causal
      BlockMask of 128x128 blocks; its first call compiles (20-40 s), so it runs only with time left for that.
  BSR (tokens = in = out = 4096, bf16 and f16, 64x64 and 32x32 blocks, densities 0.5 / 0.3 / 0.1 / 0.05, blocks kept
      at random as in gpu_bench.cu): {"peer": "torch-bsr", "op": "gemm", "format": "bsr:64x64", "density" (blocks
      kept / blocks, like the bench's), "shape", "dtype", "y_dtype", "ms", "call", "max_rel_err"}: F.linear(X, W_bsr)
      or, where PyTorch refuses that, W_bsr @ X^T (Y^T, the same FLOPs); "call" says which ran, checked against the
      dense product first.
ci/gpu/merge_report.py pairs every record with ours at the same shape, dtype and output dtype (and mask or density).

Timed like sk_gpu_bench: warm-up, then cudaEvent pairs around single calls queued back to back (one synchronize at
the end, so Python's launch latency is hidden as long as the GPU is busy), a memset of twice the L2 size before
each timed call (outside the events) so W comes from HBM, median over about --budget-ms (BSR: at most 100 ms and
20 runs a case, so a slow PyTorch path cannot eat the budget). No case starts past --max-seconds.
"""
import json
import sys
import time

torch = None  # imported in main(): the helpers below stay importable (and testable) where PyTorch is not

DEFAULT_SHAPES = [(4096, 4096, 4096), (2048, 4096, 4096), (512, 4096, 4096), (16, 4096, 4096),
                  (1, 4096, 4096), (4096, 4096, 11008)]
# sk_gpu_bench's attention section (attention_selftest.cu, attention_bench): (mask, batch, heads, L, D), bf16.
# "dense-mask": the causal pattern as a boolean [L, L] attn_mask (torch.ones(L, L, dtype=bool).tril()).
ATTENTION_CASES = (("causal", 2, 16, 4096, 128), ("causal", 1, 16, 8192, 128), ("none", 2, 16, 4096, 128),
                   ("dense-mask", 2, 16, 4096, 128), ("causal", 1, 16, 16384, 128))
# sk_gpu_bench's BSR section (gpu_bench.cu): --bsr-shape default, dtypes, block sizes and densities, in its order.
BSR_SHAPE = (4096, 4096, 4096)
BSR_DTYPES = ("bf16", "f16")
BSR_BLOCKS = (64, 32)
BSR_DENSITIES = (0.5, 0.3, 0.1, 0.05)
BSR_BUDGET_MS, BSR_MAX_REPS = 100.0, 20  # per case: PyTorch's BSR path may be far slower than ours
BSR_MAX_REL_ERR = 0.02  # against the dense product; bf16 output rounding is 2^-8, a wrong layout gives O(1)
FLEX_BLOCK = 128
# Seconds flex_attention needs before its first call (torch.compile: 20-40 s seen) and for a recompile at a new
# shape; and the seconds it leaves for the BSR section after it, which would otherwise be skipped altogether.
FLEX_COMPILE_S, FLEX_RECOMPILE_S, BSR_RESERVE_S = 30.0, 12.0, 12.0
SKIPPED = "skipped: past --max-seconds"


def emit(obj):
    print(json.dumps(obj), flush=True)


def error_text(e):
    """First line of an exception, short enough for a table cell."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


class Deadline:
    """--max-seconds, counted from the script's start (the caller's timeout counts from there too)."""

    def __init__(self, max_seconds, clock=time.monotonic):
        self.max_seconds, self.clock, self.start = max_seconds, clock, clock()

    def left(self):
        return self.max_seconds - (self.clock() - self.start)

    def past(self):
        return self.left() < 0


def gemm_shape_dict(tokens, k, n):
    return {"tokens": tokens, "in": k, "out": n}


def attention_shape_dict(batch, heads, length, d):
    return {"batch": batch, "heads": heads, "lq": length, "lk": length, "d": d}


def attention_record(peer, mask, shape, ms=None, error=None, **extra):
    rec = {"peer": peer, "op": "attention", "mask": mask, "shape": shape, "dtype": "bf16"}
    rec.update({"ms": ms} if error is None else {"error": error})
    rec.update((k, v) for k, v in extra.items() if v is not None)
    return rec


def bsr_keep(density, cells):
    """Blocks kept, as gpu_bench.cu counts them: max(1, llround(density * cells))."""
    return max(1, int(density * cells + 0.5))


def bsr_cases(dtypes=BSR_DTYPES, blocks=BSR_BLOCKS, densities=BSR_DENSITIES):
    """(dtype name, block size, target density) in the bench's order."""
    return [(dt, b, d) for dt in dtypes for b in blocks for d in densities]


def bsr_record(dtype, block, density, shape, ms=None, error=None, **extra):
    rec = {"peer": "torch-bsr", "op": "gemm", "format": "bsr:%dx%d" % (block, block),
           "density": float("%.6g" % density), "shape": shape, "dtype": dtype, "y_dtype": dtype}
    rec.update({"ms": ms} if error is None else {"error": error})
    rec.update((k, v) for k, v in extra.items() if v is not None)
    return rec


def sdpa_pick(times, failures):
    """(backend, ms, note) of the fastest backend that ran, or (None, None, why) when none did."""
    why = "; ".join("%s: %s" % kv for kv in failures.items())
    if not times:
        return None, None, why or "no SDPA backend ran"
    best = min(times, key=times.get)
    parts = ["%s %.4f ms" % kv for kv in times.items()] + (["refused: " + why] if why else [])
    return best, times[best], "fastest backend: " + ", ".join(parts)


def flex_needs_s(compiled_before, bsr_after):
    """Seconds to have left before a flex_attention case: its compile, plus the BSR section's share."""
    return (FLEX_RECOMPILE_S if compiled_before else FLEX_COMPILE_S) + (BSR_RESERVE_S if bsr_after else 0.0)


def causal_mask_mod(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


NO_FLAGS = {"--no-flush": "flush", "--no-gemm": "gemm", "--no-attention": "attention", "--no-bsr": "bsr"}


def parse_args(argv):
    opts = {"budget_ms": 250.0, "max_seconds": 100.0, "flush": True, "gemm": True, "attention": True, "bsr": True,
            "shapes": []}
    it = iter(argv)
    for a in it:
        if a == "--budget-ms":
            opts["budget_ms"] = float(next(it))
        elif a == "--max-seconds":
            opts["max_seconds"] = float(next(it))
        elif a in NO_FLAGS:
            opts[NO_FLAGS[a]] = False
        else:
            t, k, n = (int(v) for v in a.split("x"))
            opts["shapes"].append((t, k, n))
    opts["shapes"] = opts["shapes"] or DEFAULT_SHAPES
    return opts


class Timer:
    def __init__(self, budget_ms, flush):
        self.budget_ms = budget_ms
        self.flush_buf = None
        if flush:
            l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 0) or (50 << 20)
            self.flush_buf = torch.empty(max(2 * l2, 64 << 20), dtype=torch.uint8, device="cuda")

    def median_ms(self, fn, budget_ms=None, max_reps=200, min_reps=5):
        budget_ms = self.budget_ms if budget_ms is None else budget_ms
        for _ in range(2):
            fn()
        torch.cuda.synchronize()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        if self.flush_buf is not None:
            self.flush_buf.zero_()
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        est = max(s.elapsed_time(e), 1e-3)
        n = int(min(max_reps, max(min_reps, budget_ms / est)))
        events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(n)]
        for s, e in events:
            if self.flush_buf is not None:
                self.flush_buf.zero_()
            s.record()
            fn()
            e.record()
        torch.cuda.synchronize()
        times = sorted(s.elapsed_time(e) for s, e in events)
        m = len(times) // 2
        return times[m] if len(times) % 2 else 0.5 * (times[m - 1] + times[m])


def prune24(w):
    groups = w.reshape(w.shape[0], -1, 4)
    idx = groups.abs().topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, idx, True)
    return (groups * mask).reshape(w.shape)


def block_prune(w, block, density):
    """W with round(density * blocks) of its block x block blocks kept, chosen uniformly over the whole matrix (the
    bench's global pruning); returns (W, the density kept)."""
    n, k = w.shape
    nbr, nbc = n // block, k // block
    keep = bsr_keep(density, nbr * nbc)
    cells = torch.zeros(nbr * nbc, dtype=torch.bool, device=w.device)
    cells[torch.randperm(nbr * nbc, device=w.device)[:keep]] = True
    mask = cells.view(nbr, 1, nbc, 1).expand(nbr, block, nbc, block).reshape(n, k)
    return w * mask, keep / (nbr * nbc)


def dtype_of(name):
    return {"f16": torch.float16, "bf16": torch.bfloat16}[name]


def run_gemm(opts, timer, deadline):
    try:
        from torch.sparse import to_sparse_semi_structured
    except Exception as e:  # older PyTorch
        to_sparse_semi_structured = None
        semi_error = "torch.sparse.to_sparse_semi_structured not importable: %s" % e
    for dtype_name, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        for tokens, k, n in opts["shapes"]:
            shape = gemm_shape_dict(tokens, k, n)
            if deadline.past():
                emit({"peer": "torch", "shape": shape, "dtype": dtype_name, "error": SKIPPED})
                continue
            x = torch.randn(tokens, k, device="cuda", dtype=dtype)
            w = prune24(torch.randn(n, k, device="cuda", dtype=dtype))
            wt = w.t()
            emit({"peer": "torch-matmul", "shape": shape, "dtype": dtype_name, "y_dtype": dtype_name,
                  "ms": timer.median_ms(lambda: torch.matmul(x, wt))})
            if to_sparse_semi_structured is None:
                emit({"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name, "error": semi_error})
                continue
            try:
                ws = to_sparse_semi_structured(w)
                # The sparse operand must come first: Y^T [out, tokens] = W . X^T, same FLOPs as X . W^T. PyTorch
                # wants the dense operand's columns padded (to 8 or more); a shape it refuses is padded and noted.
                xt = x.t().contiguous()
                note = None
                try:
                    torch.mm(ws, xt)
                except Exception:
                    pad = max(16, -(-tokens // 16) * 16)
                    xt = torch.zeros(k, pad, device="cuda", dtype=dtype)
                    xt[:, :tokens] = x.t()
                    torch.mm(ws, xt)
                    note = "tokens padded to %d for PyTorch's semi-structured kernel" % pad
                rec = {"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name, "y_dtype": dtype_name,
                       "ms": timer.median_ms(lambda: torch.mm(ws, xt))}
                if note:
                    rec["note"] = note
                emit(rec)
            except Exception as e:
                emit({"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name, "error": error_text(e)})
            del x, w, wt
            torch.cuda.empty_cache()


def qkv(batch, heads, length, d):
    return [torch.randn(batch, heads, length, d, device="cuda", dtype=torch.bfloat16) for _ in range(3)]


def run_sdpa(timer, deadline):
    sdpa = torch.nn.functional.scaled_dot_product_attention
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backends = [(name, getattr(SDPBackend, attr)) for name, attr in
                    (("flash", "FLASH_ATTENTION"), ("cudnn", "CUDNN_ATTENTION"),
                     ("efficient", "EFFICIENT_ATTENTION")) if hasattr(SDPBackend, attr)]
    except Exception:  # no backend selection in this PyTorch: the default dispatch only
        sdpa_kernel, backends = None, []
    for mask, b, h, length, d in ATTENTION_CASES:
        shape = attention_shape_dict(b, h, length, d)
        if deadline.past():
            emit(attention_record("torch-sdpa", mask, shape, error=SKIPPED))
            continue
        q, k, v = qkv(b, h, length, d)
        causal = mask == "causal"
        if mask == "dense-mask":  # flash refuses a mask; cuDNN and efficient attention take it
            attn = torch.ones(length, length, dtype=torch.bool, device="cuda").tril()
            call = lambda: sdpa(q, k, v, attn_mask=attn)  # noqa: E731
        else:
            call = lambda: sdpa(q, k, v, is_causal=causal)  # noqa: E731
        times, failures = {}, {}
        for name, backend in backends:  # forced one at a time: the name of what ran is then known
            try:
                with sdpa_kernel(backend):
                    times[name] = timer.median_ms(call)
            except Exception as e:
                failures[name] = error_text(e)
        if not times:
            try:
                times["default"] = timer.median_ms(call)
            except Exception as e:
                failures["default"] = error_text(e)
        best, ms, note = sdpa_pick(times, failures)
        if best is None:
            emit(attention_record("torch-sdpa", mask, shape, error=note))
        else:
            emit(attention_record("torch-sdpa", mask, shape, ms=ms, backend=best, note=note))
        q = k = v = attn = None
        torch.cuda.empty_cache()


def run_flex(opts, timer, deadline):
    cases = [c for c in ATTENTION_CASES if c[0] == "causal"]
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    except Exception as e:
        for mask, b, h, length, d in cases:
            emit(attention_record("torch-flex", mask, attention_shape_dict(b, h, length, d),
                                  error="flex_attention not importable: %s" % error_text(e)))
        return
    compiled, compiled_before, broken = None, False, None
    for mask, b, h, length, d in cases:
        shape = attention_shape_dict(b, h, length, d)
        if broken:  # a failed compile is not retried at the next shape: it would cost as long again
            emit(attention_record("torch-flex", mask, shape, error=broken))
            continue
        need = flex_needs_s(compiled_before, opts["bsr"])
        if deadline.left() < need:  # a compile cannot be interrupted: do not start one that would overrun
            emit(attention_record("torch-flex", mask, shape, error=SKIPPED,
                                  note="needs about %.0f s, %.0f s left" % (need, max(0.0, deadline.left()))))
            continue
        try:
            if compiled is None:
                compiled = torch.compile(flex_attention, dynamic=False)
            q, k, v = qkv(b, h, length, d)
            block_mask = create_block_mask(causal_mask_mod, None, None, length, length, device="cuda",
                                           BLOCK_SIZE=FLEX_BLOCK)
            t0 = time.monotonic()
            compiled(q, k, v, block_mask=block_mask)
            torch.cuda.synchronize()
            compile_s = time.monotonic() - t0
            compiled_before = True
            ms = timer.median_ms(lambda: compiled(q, k, v, block_mask=block_mask))
            emit(attention_record("torch-flex", mask, shape, ms=ms, note="torch.compile, causal BlockMask %dx%d; "
                                  "first call (compile) %.1f s" % (FLEX_BLOCK, FLEX_BLOCK, compile_s)))
        except Exception as e:
            broken = "failed at %s: %s" % ("x".join(str(n) for n in (b, h, length, d)), error_text(e))
            emit(attention_record("torch-flex", mask, shape, error=error_text(e)))
        q = k = v = block_mask = None
        torch.cuda.empty_cache()


def bsr_calls(x, w_bsr):
    """(name, fn, output transposed) in the order to try: Y = X . W^T as nn.Linear does it, else Y^T = W . X^T."""
    xt = x.t().contiguous()  # made once, outside the timed call
    return [("F.linear(X, W_bsr)", lambda: torch.nn.functional.linear(x, w_bsr), False),
            ("W_bsr @ X^T", lambda: torch.matmul(w_bsr, xt), True)]


def max_rel_err(y, ref):
    if y.layout != torch.strided:
        y = y.to_dense()
    if tuple(y.shape) != tuple(ref.shape):
        raise ValueError("output shape %s, expected %s" % (tuple(y.shape), tuple(ref.shape)))
    ref = ref.float()
    return ((y.float() - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()


def run_bsr(opts, timer, deadline):
    tokens, k, n = BSR_SHAPE
    shape = gemm_shape_dict(tokens, k, n)
    budget_ms = min(opts["budget_ms"], BSR_BUDGET_MS)
    for dtype_name, block, target in bsr_cases():
        if deadline.past():
            emit(bsr_record(dtype_name, block, target, shape, error=SKIPPED))
            continue
        dtype = dtype_of(dtype_name)
        x = torch.randn(tokens, k, device="cuda", dtype=dtype)
        w, density = block_prune(torch.randn(n, k, device="cuda", dtype=dtype), block, target)
        failures = []
        try:
            w_bsr = w.to_sparse_bsr((block, block))
            ref = x @ w.t()
        except Exception as e:
            emit(bsr_record(dtype_name, block, density, shape, error="to_sparse_bsr: " + error_text(e)))
            continue
        for name, fn, transposed in bsr_calls(x, w_bsr):
            try:
                err = max_rel_err(fn(), ref.t() if transposed else ref)
                if not err <= BSR_MAX_REL_ERR:
                    raise ValueError("max rel err %.3g against the dense product" % err)
                ms = timer.median_ms(fn, budget_ms=budget_ms, max_reps=BSR_MAX_REPS, min_reps=3)
            except Exception as e:
                failures.append("%s: %s" % (name, error_text(e)))
                continue
            emit(bsr_record(dtype_name, block, density, shape, ms=ms, call=name, max_rel_err=float("%.3g" % err),
                            note="; ".join(["torch " + name] + ["refused: " + f for f in failures])))
            break
        else:
            emit(bsr_record(dtype_name, block, density, shape, error="; ".join(failures)[:400]))
        x = w = w_bsr = ref = None
        torch.cuda.empty_cache()


def section(name, fn, *args):
    """Runs one section; an exception it did not expect becomes a record, and the next section still runs."""
    try:
        fn(*args)
    except Exception as e:
        emit({"peer": name, "error": "section failed: " + error_text(e)})


def main():
    global torch
    deadline = Deadline(100.0)  # replaced below once the arguments are read; the clock starts now
    try:
        import torch as _torch
    except Exception as e:  # no PyTorch on this host: say so, do not fail the check
        emit({"peer": "torch", "error": "PyTorch not importable: %s" % e})
        return
    torch = _torch
    opts = parse_args(sys.argv[1:])
    deadline.max_seconds = opts["max_seconds"]
    if not torch.cuda.is_available():
        emit({"peer": "torch", "version": torch.__version__, "error": "torch.cuda.is_available() is False"})
        return
    emit({"peer": "torch", "version": torch.__version__, "device": torch.cuda.get_device_name(0),
          "cuda": torch.version.cuda, "l2_flush": opts["flush"]})
    timer = Timer(opts["budget_ms"], opts["flush"])
    # Order: the GEMM peers first (the long-standing ones), then attention (SDPA before flex, whose compile is
    # long), then BSR; each skips its remaining cases past --max-seconds.
    if opts["gemm"]:
        section("torch-gemm", run_gemm, opts, timer, deadline)
    if opts["attention"]:
        section("torch-sdpa", run_sdpa, timer, deadline)
        section("torch-flex", run_flex, opts, timer, deadline)
    if opts["bsr"]:
        section("torch-bsr", run_bsr, opts, timer, deadline)


if __name__ == "__main__":
    main()
