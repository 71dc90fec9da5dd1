#!/usr/bin/env python3
"""Folds one GPU-host run into a report: docs/gpu/YYYY-MM-DD-<gpu-slug>.json plus a markdown summary on stdout.

    merge_report.py --bench bench.json [--torch torch.jsonl] [--selftest selftest.txt]
                    [--verify panama=verify-panama.txt ...] [--check NAME=STATUS ...]
                    [--out-dir DIR] [--markdown FILE]

Inputs (any may be missing or empty; what is missing is said, never filled in):
  --bench     the JSON of sk_gpu_bench --json (gpu, driver, cuda, records with peer "cublas" or "none: ...").
  --torch     the JSON lines of ci/gpu/torch_peers.py; each peer time is paired with our time at the same shape,
              dtype and output dtype (PyTorch returns the input dtype): 2:4 vs torch-semi-structured and
              torch-matmul, dense vs torch-matmul.
  --selftest  stdout of sk_gpu_selftest (PASS/FAIL per case with separate sparse and dense bad counts).
  --verify    stdout of `sparsekernels verify` per binding ("PASS 2:4 ..." / "PASS dense ..." lines).
  --check     the outcome of another step (build, memcheck, ...), recorded as is.
The output document keeps the bench schema: {"gpu","driver","cuda","date",...,"checks":[...],"records":[{"op",
"format","device","shape","dtype","y_dtype","ours_ms","peer","peer_ms","speedup","tflops",...}]}.
Prints one "PASS|FAIL|SKIP <kernel> ..." line per kernel, then the markdown table. Exit 1 when any kernel or
check failed, else 0.
"""
import argparse
import datetime
import json
import os
import re
import sys

KERNELS = ("sk_sparse24_gemm", "sk_dense_gemm")
FORMAT_OF = {"sk_sparse24_gemm": "2:4", "sk_dense_gemm": "dense"}
TORCH_PAIRS = {"torch-semi-structured": ("2:4",), "torch-matmul": ("2:4", "dense")}
TFLOPS_NOTE = "tflops counts dense-equivalent FLOPs (2*tokens*in*out), though 2:4 does half the multiply-adds"


def read_text(path):
    if not path or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def load_bench(path):
    text = read_text(path)
    if not text or not text.strip():
        return None, "no bench JSON (%s)" % (path or "not given")
    try:
        return json.loads(text), None
    except ValueError as e:
        return None, "bench JSON unreadable: %s" % e


def load_torch(path):
    header, lines, problems = {}, [], []
    text = read_text(path)
    if text is None:
        return header, lines, ["no torch peers output (%s)" % (path or "not given")]
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line.startswith("{"):
            continue  # tee'd noise (warnings) is not ours to parse
        try:
            obj = json.loads(line)
        except ValueError:
            problems.append("torch line %d is not JSON" % n)
            continue
        if obj.get("peer") == "torch" and "shape" not in obj:
            header = obj
        else:
            lines.append(obj)
    return header, lines, problems


def shape_key(shape):
    return (int(shape["tokens"]), int(shape["in"]), int(shape["out"]))


def slug(name):
    s = re.sub(r"[^a-z0-9]+", "-", (name or "unknown-gpu").lower()).strip("-")
    return s or "unknown-gpu"


def rnd(v, digits=4):
    return None if v is None else float("%.*g" % (digits + 2, v))


def torch_records(bench_records, torch_lines):
    """One record per (our kernel, torch peer) at the same shape, dtype and output dtype."""
    ours = {}
    for r in bench_records:
        if r.get("ours_ms") is None:
            continue
        ours[(r["format"], shape_key(r["shape"]), r["dtype"], r.get("y_dtype", "f32"))] = r
    out, unmatched = [], []
    for t in torch_lines:
        peer = t.get("peer", "torch")
        if "shape" not in t or peer not in TORCH_PAIRS:
            unmatched.append(t)
            continue
        key_shape, dtype = shape_key(t["shape"]), t.get("dtype")
        y_dtype = t.get("y_dtype", dtype)
        matched = False
        for fmt in TORCH_PAIRS[peer]:
            r = ours.get((fmt, key_shape, dtype, y_dtype))
            if r is None:
                continue
            matched = True
            rec = {"op": "gemm", "format": fmt, "device": "cuda", "shape": r["shape"], "dtype": dtype,
                   "y_dtype": y_dtype, "ours_ms": r["ours_ms"]}
            if t.get("ms") is not None:
                rec.update(peer=peer, peer_ms=rnd(t["ms"]), speedup=rnd(t["ms"] / r["ours_ms"]))
            else:
                rec["peer"] = "none: %s: %s" % (peer, t.get("error", "no time"))
            rec["tflops"] = r.get("tflops")
            if "verified" in r:  # our kernel's own check (against cuBLAS) at this shape
                rec["verified"] = r["verified"]
            notes = [n for n in (TFLOPS_NOTE if fmt == "2:4" else None, t.get("note")) if n]
            if notes:
                rec["note"] = "; ".join(notes)
            out.append(rec)
        if not matched:
            unmatched.append(t)
    return out, unmatched


CASE_RE = re.compile(r"^(PASS|FAIL) tokens=.*sparse err/tol \S+ \((\d+) bad\)\s+dense err/tol \S+ \((\d+) bad\)")
PROBE_RE = re.compile(r"^(PASS|FAIL) probe ")


class Tally:
    def __init__(self):
        self.by_kernel = {k: [] for k in KERNELS}  # (source, passed, total)
        self.other = []  # (name, status, detail)

    def add(self, kernel, source, passed, total):
        self.by_kernel[kernel].append((source, passed, total))


def tally_selftest(text, tally):
    if text is None:
        tally.other.append(("native self-test", "SKIP", "no output"))
        return
    if re.search(r"^SKIP", text, re.M):
        tally.other.append(("native self-test", "SKIP", text.strip().splitlines()[0][:160]))
        return
    counts = {k: [0, 0] for k in KERNELS}
    probes = [0, 0]
    for line in text.splitlines():
        m = CASE_RE.match(line)
        if m:
            for kernel, bad in (("sk_sparse24_gemm", m.group(2)), ("sk_dense_gemm", m.group(3))):
                counts[kernel][1] += 1
                counts[kernel][0] += int(bad) == 0
        elif PROBE_RE.match(line):
            probes[1] += 1
            probes[0] += line.startswith("PASS")
    for kernel, (p, t) in counts.items():
        if t:
            tally.add(kernel, "selftest", p, t)
    if probes[1]:
        tally.other.append(("mma fragment probes", "PASS" if probes[0] == probes[1] else "FAIL",
                            "%d/%d" % tuple(probes)))
    final = re.search(r"^(PASS|FAIL): (\d+) of (\d+) cases passed(.*)$", text, re.M)
    if not final:
        tally.other.append(("native self-test", "FAIL", "no final line (crashed or timed out?)"))
    elif "timing run failed" in final.group(4):
        tally.other.append(("native self-test timing", "FAIL", "timing run failed"))


def tally_bench(bench, bench_problem, tally):
    if bench is None:
        tally.other.append(("bench", "SKIP" if "no bench" in bench_problem else "FAIL", bench_problem))
        return
    for kernel in KERNELS:
        recs = [r for r in bench.get("records", []) if r.get("format") == FORMAT_OF[kernel]]
        if recs:
            against = recs[0].get("checked_against", "cublas")
            tally.add(kernel, "bench vs " + against, sum(1 for r in recs if r.get("verified")), len(recs))
    if bench.get("failures"):
        tally.other.append(("bench", "FAIL", "%s failed checks (verify or timing)" % bench["failures"]))
    if bench.get("skipped"):
        tally.other.append(("bench", "SKIP", "%s cases skipped (time budget)" % bench["skipped"]))


def tally_verify(name, text, tally):
    if text is None:
        tally.other.append(("java verify " + name, "SKIP", "no output"))
        return
    counts = {k: [0, 0] for k in KERNELS}
    for line in text.splitlines():
        m = re.match(r"^(PASS|FAIL) (2:4|dense) ", line)
        if m:
            kernel = "sk_sparse24_gemm" if m.group(2) == "2:4" else "sk_dense_gemm"
            counts[kernel][1] += 1
            counts[kernel][0] += m.group(1) == "PASS"
    seen = False
    for kernel, (p, t) in counts.items():
        if t:
            seen = True
            tally.add(kernel, "java " + name, p, t)
    if not seen:
        tally.other.append(("java verify " + name, "FAIL", "no PASS/FAIL lines (%s)" %
                            (text.strip().splitlines() or ["empty"])[-1][:160]))


def kernel_lines(tally):
    lines, failed = [], False
    for kernel in KERNELS:
        src = tally.by_kernel[kernel]
        if not src:
            lines.append(("SKIP", kernel, "no evidence (no self-test, bench or Java output)"))
            continue
        ok = all(p == t for _, p, t in src)
        failed |= not ok
        lines.append(("PASS" if ok else "FAIL", kernel, ", ".join("%s %d/%d" % s for s in src)))
    for name, status, detail in tally.other:
        failed |= status == "FAIL"
        lines.append((status, name, detail))
    return lines, failed


def fmt_ms(v):
    return "-" if v is None else "%.4f" % v


def markdown(doc):
    out = ["# GPU report: %s, %s" % (doc.get("gpu"), doc.get("date")), "",
           "driver %s, CUDA %s, cuBLAS %s, PyTorch %s, L2 flushed before each run: %s" %
           (doc.get("driver"), doc.get("cuda"), doc.get("cublas"), doc.get("torch"), doc.get("l2_flush")), "",
           "| status | check | detail |", "|---|---|---|"]
    for c in doc["checks"]:
        out.append("| %s | %s | %s |" % (c["status"], c["name"], c["detail"]))
    out += ["", "| op | format | tokens x in x out | x | y | ours ms | peer | peer ms | speedup | TFLOP/s | verified |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc["records"]:
        s = r["shape"]
        peer = r["peer"] if not r["peer"].startswith("none") else "none"
        out.append("| %s | %s | %dx%dx%d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["op"], r["format"], s["tokens"], s["in"], s["out"], r["dtype"], r.get("y_dtype", "f32"),
            fmt_ms(r.get("ours_ms")), peer, fmt_ms(r.get("peer_ms")),
            "-" if r.get("speedup") is None else "%.2fx" % r["speedup"],
            "-" if r.get("tflops") is None else "%.1f" % r["tflops"],
            {True: "yes", False: "NO"}.get(r.get("verified"), "-")))
    missing = sorted({r["peer"] for r in doc["records"] if r["peer"].startswith("none")})
    if missing:
        out += [""] + ["peer missing: " + m for m in missing]
    out += ["", "speedup = peer ms / ours ms (above 1: ours is faster). 2:4 TFLOP/s are dense-equivalent."]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench")
    ap.add_argument("--torch")
    ap.add_argument("--selftest")
    ap.add_argument("--verify", action="append", default=[], metavar="NAME=FILE")
    ap.add_argument("--check", action="append", default=[], metavar="NAME=STATUS")
    ap.add_argument("--out-dir", default="docs/gpu")
    ap.add_argument("--markdown", help="also write the markdown summary to this file")
    args = ap.parse_args(argv)

    bench, bench_problem = load_bench(args.bench)
    torch_header, torch_lines, torch_problems = load_torch(args.torch)
    tally = Tally()
    tally_selftest(read_text(args.selftest) if args.selftest else None, tally)
    tally_bench(bench, bench_problem, tally)
    for spec in args.verify:
        name, _, path = spec.partition("=")
        tally_verify(name, read_text(path), tally)
    for spec in args.check:
        name, _, status = spec.partition("=")
        status = status.upper() or "SKIP"
        tally.other.append((name, status if status in ("PASS", "FAIL", "SKIP") else "FAIL",
                            "" if status in ("PASS", "FAIL", "SKIP") else "status '%s'" % status))
    lines, failed = kernel_lines(tally)

    bench_records = bench.get("records", []) if bench else []
    extra, unmatched = torch_records(bench_records, torch_lines)
    gpu = (bench or {}).get("gpu") or torch_header.get("device") or "unknown GPU"
    date = (bench or {}).get("date") or datetime.date.today().isoformat()
    doc = {"gpu": gpu, "driver": (bench or {}).get("driver"), "cuda": (bench or {}).get("cuda"),
           "cublas": (bench or {}).get("cublas"), "torch": torch_header.get("version"),
           "torch_cuda": torch_header.get("cuda"), "sparsekernels": (bench or {}).get("sparsekernels"),
           "capability": (bench or {}).get("capability"), "date": date, "time": (bench or {}).get("time"),
           "l2_flush": (bench or {}).get("l2_flush", torch_header.get("l2_flush")),
           "timing": (bench or {}).get("timing"),
           "checks": [{"name": n, "status": s, "detail": d} for s, n, d in lines],
           "records": bench_records + extra}
    problems = ([bench_problem] if bench_problem else []) + torch_problems
    if torch_header.get("error"):
        problems.append("torch: " + torch_header["error"])
    if unmatched:
        doc["unmatched_peers"] = unmatched
    if problems:
        doc["problems"] = problems

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "%s-%s.json" % (date, slug(gpu)))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    md = markdown(doc)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(md + "\n")
    for status, name, detail in lines:
        print("%s %s %s" % (status, name, detail))
    for p in problems:
        print("note: " + p)
    print()
    print(md)
    print()
    print("report: %s" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
