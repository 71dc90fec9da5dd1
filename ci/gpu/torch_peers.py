"""PyTorch peers for the GPU check: dense matmul and 2:4 (to_sparse_semi_structured) at the bench shapes.

    python3 torch_peers.py [--budget-ms MS] [--max-seconds S] [--no-flush] [TxIxO ...]

Prints one JSON object per line: first {"peer": "torch", "version", "device"}, then per shape and dtype
{"peer", "shape": {"tokens","in","out"}, "dtype", "y_dtype", "ms"} or {"peer", "shape", "dtype", "error"}.
Y = X @ W.T with W [out, in], the same contract as our kernels; PyTorch's output dtype is the input dtype, so these
compare with sk_gpu_bench's y_dtype = x_dtype rows (ci/gpu/merge_report.py pairs them).

Timed like sk_gpu_bench: warm-up, then cudaEvent pairs around single calls queued back to back (one synchronize at
the end, so Python's launch latency is hidden as long as the GPU is busy), a memset of twice the L2 size before
each timed call (outside the events) so W comes from HBM, median over about --budget-ms.
"""
import json
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


try:
    import torch
except Exception as e:  # no PyTorch on this host: say so, do not fail the check
    emit({"peer": "torch", "error": "PyTorch not importable: %s" % e})
    sys.exit(0)

DEFAULT_SHAPES = [(4096, 4096, 4096), (2048, 4096, 4096), (512, 4096, 4096), (16, 4096, 4096),
                  (1, 4096, 4096), (4096, 4096, 11008)]


class Timer:
    def __init__(self, budget_ms, flush):
        self.budget_ms = budget_ms
        self.flush_buf = None
        if flush:
            l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 0) or (50 << 20)
            self.flush_buf = torch.empty(max(2 * l2, 64 << 20), dtype=torch.uint8, device="cuda")

    def median_ms(self, fn):
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
        n = int(min(200, max(5, self.budget_ms / est)))
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


def parse_args(argv):
    budget_ms, max_seconds, flush, shapes = 250.0, 100.0, True, []
    it = iter(argv)
    for a in it:
        if a == "--budget-ms":
            budget_ms = float(next(it))
        elif a == "--max-seconds":
            max_seconds = float(next(it))
        elif a == "--no-flush":
            flush = False
        else:
            t, k, n = (int(v) for v in a.split("x"))
            shapes.append((t, k, n))
    return budget_ms, max_seconds, flush, shapes or DEFAULT_SHAPES


def main():
    start = time.monotonic()
    budget_ms, max_seconds, flush, shapes = parse_args(sys.argv[1:])
    if not torch.cuda.is_available():
        emit({"peer": "torch", "version": torch.__version__, "error": "torch.cuda.is_available() is False"})
        return
    emit({"peer": "torch", "version": torch.__version__, "device": torch.cuda.get_device_name(0),
          "cuda": torch.version.cuda, "l2_flush": flush})
    timer = Timer(budget_ms, flush)
    try:
        from torch.sparse import to_sparse_semi_structured
    except Exception as e:  # older PyTorch
        to_sparse_semi_structured = None
        semi_error = "torch.sparse.to_sparse_semi_structured not importable: %s" % e
    for dtype_name, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        for tokens, k, n in shapes:
            shape = {"tokens": tokens, "in": k, "out": n}
            if time.monotonic() - start > max_seconds:
                emit({"peer": "torch", "shape": shape, "dtype": dtype_name, "error": "skipped: past --max-seconds"})
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
                emit({"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name,
                      "error": (str(e).splitlines() or [type(e).__name__])[0][:200]})
            del x, w, wt
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
