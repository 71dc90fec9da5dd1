"""PyTorch peers for the GPU check: dense matmul and 2:4 (to_sparse_semi_structured) at the bench shapes.

Prints one JSON object per line: {"peer", "shape": {"tokens","in","out"}, "dtype", "ms"} or {"peer", "error"}.
Y = X @ W.T with W [out, in], the same contract as our kernels.
"""
import json
import sys

try:
    import torch
except Exception as e:  # no PyTorch on this host: say so, do not fail the check
    print(json.dumps({"peer": "torch", "error": "PyTorch not importable: %s" % e}))
    sys.exit(0)


def time_ms(fn, warmup=10, iters=50):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iters):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def prune24(w):
    groups = w.reshape(w.shape[0], -1, 4)
    idx = groups.abs().topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, idx, True)
    return (groups * mask).reshape(w.shape)


def main():
    shapes = [(int(a), int(b), int(c)) for a, b, c in (s.split("x") for s in sys.argv[1:])] or [
        (4096, 4096, 4096), (16, 4096, 4096), (1, 4096, 4096)]
    print(json.dumps({"peer": "torch", "version": torch.__version__, "device": torch.cuda.get_device_name(0)}))
    for dtype_name, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        for tokens, k, n in shapes:
            shape = {"tokens": tokens, "in": k, "out": n}
            x = torch.randn(tokens, k, device="cuda", dtype=dtype)
            w = prune24(torch.randn(n, k, device="cuda", dtype=dtype))
            print(json.dumps({"peer": "torch-matmul", "shape": shape, "dtype": dtype_name,
                              "ms": time_ms(lambda: x @ w.t())}), flush=True)
            try:
                from torch.sparse import to_sparse_semi_structured
                ws = to_sparse_semi_structured(w)
                # PyTorch's semi-structured kernels want the sparse operand first and tokens padded to 8+
                xt = x.t().contiguous()
                ms = time_ms(lambda: torch.mm(ws, xt))
                print(json.dumps({"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name,
                                  "ms": ms}), flush=True)
            except Exception as e:
                print(json.dumps({"peer": "torch-semi-structured", "shape": shape, "dtype": dtype_name,
                                  "error": str(e).splitlines()[0][:200]}), flush=True)


if __name__ == "__main__":
    main()
