#!/usr/bin/env python3
"""Folds one GPU-host run into a report: docs/gpu/YYYY-MM-DD-<gpu-slug>.json plus a markdown summary on stdout.

    merge_report.py --bench bench.json [--torch torch.jsonl] [--selftest selftest.txt]
                    [--verify panama=verify-panama.txt ...] [--check NAME=STATUS[:DETAIL] ...]
                    [--out-dir DIR] [--markdown FILE]

Inputs (any may be missing or empty; what is missing is said, never filled in):
  --bench     the JSON of sk_gpu_bench --json (gpu, driver, cuda, records with peer "cublas" or "none: ...": 2:4,
              dense and "bsr:RxC" GEMMs, the latter with "density" and cuBLAS dense on the same W as peer; and
              "gather_records": gather-rows / gather-cols against cudaMemcpy, with "gbps" and "fraction_of_copy").
  --torch     the JSON lines of ci/gpu/torch_peers.py; each peer time is paired with our time at the same shape,
              dtype and output dtype (PyTorch returns the input dtype): 2:4 vs torch-semi-structured and
              torch-matmul, dense vs torch-matmul, bsr:RxC vs torch-bsr (same block size and density, within 2%),
              and the bench's "attention_records" vs torch-sdpa and torch-flex (same mask, shape and dtype). A peer's
              error record (it could not run, or was skipped for time) shows as "peer missing" or a note, never as
              a failure.
  --selftest  stdout of sk_gpu_selftest: PASS/FAIL per case (2:4 + dense lines with separate bad counts, "BSR",
              "gather_rows|cols", "channel_stats", "probe", and any line naming attention).
  --verify    stdout of `sparsekernels verify` per binding ("PASS|FAIL dense|2:4|bsr:RxC|gather rows|gather cols|
              channel statistics ..." lines, then "verify: ..."); lines naming attention count for sk_attention.
  --check     the outcome of another step (build, memcheck, the JUnit gpu group, ...), recorded as is, with an optional
              detail after a colon ("junit gpu group panama=PASS:5 found, 4 successful, 0 failed, 1 aborted").
              A check whose name ends in "(experimental)" is recorded but does not make the exit status 1.
The output document keeps the bench schema: {"gpu","driver","cuda","date",...,"checks":[...],"records":[{"op",
"format","device","shape","dtype","y_dtype","ours_ms","peer","peer_ms","speedup","tflops",...}],"gather_records":[...],
"attention_records":[{"op":"attention","mask","shape":{"batch","heads","lq","lk","d"},"dtype","o_dtype","ours_ms",
"peer","peer_ms","speedup","tflops",...}]}: the bench's records, then one per torch peer paired with one of them.
Records it does not recognise are kept as they are (and left out of the tables).
Prints one "PASS|FAIL|SKIP <kernel> ..." line per kernel family (sk_attention only when some input mentions it),
then the markdown tables. Exit 1 when any kernel or check failed, else 0.
"""
import argparse
import datetime
import json
import os
import re
import sys

# Kernel families, in report order. OPTIONAL ones get a line only when some input mentions them.
KERNELS = ("sk_sparse24_gemm", "sk_dense_gemm", "sk_bsr_gemm", "sk_gather_rows", "sk_gather_cols",
           "sk_channel_stats", "sk_attention")
OPTIONAL = ("sk_attention",)
TORCH_PAIRS = {"torch-semi-structured": ("2:4",), "torch-matmul": ("2:4", "dense")}
TORCH_BSR = "torch-bsr"  # pairs with our record of its own format (bsr:RxC) and density
TORCH_ATTENTION = ("torch-sdpa", "torch-flex")
TFLOPS_NOTE = "tflops counts dense-equivalent FLOPs (2*tokens*in*out), though 2:4 does half the multiply-adds"
BSR_TFLOPS_NOTE = "tflops counts dense-equivalent FLOPs (2*tokens*in*out); the kernel does density times that"
# Both sides write blocks kept / blocks (0.100098 for 0.1 of 4096 blocks); a peer that wrote its target density
# still pairs, and the nearest other density (0.05 vs 0.1) is far outside this.
DENSITY_TOLERANCE = 0.02
ATTENTION_RE = re.compile(r"attention|\battn", re.I)


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
        bench = json.loads(text)
    except ValueError as e:
        return None, "bench JSON unreadable: %s" % e
    if not isinstance(bench, dict):
        return None, "bench JSON is not an object"
    return bench, None


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
        if not isinstance(obj, dict):
            continue
        if obj.get("peer") == "torch" and "shape" not in obj:
            header = obj
        else:
            lines.append(obj)
    return header, lines, problems


def gemm_shape(r):
    """(tokens, in, out) of a GEMM record, or None when r is not one we can table."""
    if not isinstance(r, dict) or r.get("op", "gemm") != "gemm" or not isinstance(r.get("format"), str):
        return None
    s = r.get("shape")
    try:
        return (int(s["tokens"]), int(s["in"]), int(s["out"]))
    except (TypeError, KeyError, ValueError):
        return None


def gather_shape(r):
    """(rows, cols, kept) of a gather record, or None."""
    if not isinstance(r, dict) or r.get("op") not in ("gather-rows", "gather-cols"):
        return None
    s = r.get("shape")
    try:
        return (int(s["rows"]), int(s["cols"]), int(s["kept"]))
    except (TypeError, KeyError, ValueError):
        return None


def attention_shape(r):
    """(batch, heads, lq, lk, d) of an attention record, or None."""
    if not isinstance(r, dict) or r.get("op") != "attention":
        return None
    s = r.get("shape")
    try:
        return tuple(int(s[k]) for k in ("batch", "heads", "lq", "lk", "d"))
    except (TypeError, KeyError, ValueError):
        return None


def kernel_of_record(r):
    """The kernel family a bench record checks, or None."""
    if not isinstance(r, dict):
        return None
    op, fmt = str(r.get("op", "")), r.get("format")
    if gemm_shape(r) is not None:
        if fmt == "2:4":
            return "sk_sparse24_gemm"
        if fmt == "dense":
            return "sk_dense_gemm"
        if fmt.startswith("bsr:"):
            return "sk_bsr_gemm"
    if gather_shape(r) is not None:
        return "sk_gather_rows" if op == "gather-rows" else "sk_gather_cols"
    if ATTENTION_RE.search(op) or ATTENTION_RE.search(str(fmt or "")):
        return "sk_attention"
    return None


def slug(name):
    s = re.sub(r"[^a-z0-9]+", "-", (name or "unknown-gpu").lower()).strip("-")
    return s or "unknown-gpu"


def rnd(v, digits=4):
    return None if v is None else float("%.*g" % (digits + 2, v))


def num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def same_density(ours, peer):
    """Whether a peer's "density" is ours (both absent for 2:4 and dense)."""
    a, b = num(ours.get("density")), num(peer.get("density"))
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= DENSITY_TOLERANCE * max(a, b)


def peer_fields(t, ours_ms):
    """peer, peer_ms and speedup of a paired record; an error record leaves a "none: <peer>: <error>" peer."""
    peer = t.get("peer", "torch")
    if num(t.get("ms")) is not None and t["ms"] > 0:
        return {"peer": peer, "peer_ms": rnd(t["ms"]), "speedup": rnd(t["ms"] / ours_ms)}
    return {"peer": "none: %s: %s" % (peer, t.get("error", "no time"))}


def torch_records(bench_records, torch_lines):
    """One record per (our kernel, torch peer) at the same shape, dtype and output dtype (and density for BSR)."""
    ours = {}  # (format, shape, dtype, y_dtype) -> our records there: one, or one per density for BSR
    for r in bench_records:
        shape = gemm_shape(r)
        if shape is None or not num(r.get("ours_ms")):
            continue
        ours.setdefault((r["format"], shape, r.get("dtype"), r.get("y_dtype", "f32")), []).append(r)
    out, unmatched = [], []
    for t in torch_lines:
        peer = t.get("peer", "torch")
        try:
            key_shape = (int(t["shape"]["tokens"]), int(t["shape"]["in"]), int(t["shape"]["out"]))
        except (TypeError, KeyError, ValueError):
            key_shape = None
        if peer == TORCH_BSR and str(t.get("format")).startswith("bsr:"):
            formats = (t["format"],)
        else:
            formats = TORCH_PAIRS.get(peer, ())
        if key_shape is None or not formats:
            unmatched.append(t)
            continue
        dtype = t.get("dtype")
        y_dtype = t.get("y_dtype", dtype)
        matched = False
        for fmt in formats:
            r = next((c for c in ours.get((fmt, key_shape, dtype, y_dtype), []) if same_density(c, t)), None)
            if r is None:
                continue
            matched = True
            rec = {"op": "gemm", "format": fmt, "device": "cuda", "shape": r["shape"], "dtype": dtype,
                   "y_dtype": y_dtype, "ours_ms": r["ours_ms"]}
            if "density" in r:
                rec["density"] = r["density"]
            rec.update(peer_fields(t, r["ours_ms"]))
            rec["tflops"] = r.get("tflops")
            if "verified" in r:  # our kernel's own check (against cuBLAS) at this shape
                rec["verified"] = r["verified"]
            tflops_note = TFLOPS_NOTE if fmt == "2:4" else BSR_TFLOPS_NOTE if fmt.startswith("bsr:") else None
            notes = [n for n in (tflops_note, t.get("note")) if n]
            if notes:
                rec["note"] = "; ".join(notes)
            out.append(rec)
        if not matched:
            unmatched.append(t)
    return out, unmatched


def torch_attention_records(attention_records, torch_lines):
    """One record per (our attention record, torch-sdpa or torch-flex) at the same mask, shape and dtype; lines of
    other peers pass through to the unmatched ones."""
    ours = {}
    for r in attention_records:
        shape = attention_shape(r)
        if shape is not None and num(r.get("ours_ms")):
            # PyTorch's output dtype is the input dtype: pair only our records with o_dtype == dtype.
            if r.get("o_dtype", r.get("dtype")) == r.get("dtype"):
                ours[(r.get("mask", "none"), shape, r.get("dtype"))] = r
    out, unmatched = [], []
    for t in torch_lines:
        r = ours.get((t.get("mask", "none"), attention_shape(t), t.get("dtype")))
        if t.get("peer") not in TORCH_ATTENTION or r is None:
            unmatched.append(t)
            continue
        rec = {"op": "attention", "device": "cuda", "mask": r.get("mask", "none"), "shape": r["shape"],
               "dtype": r.get("dtype"), "o_dtype": r.get("o_dtype", r.get("dtype")), "ours_ms": r["ours_ms"]}
        rec.update(peer_fields(t, r["ours_ms"]))
        rec["tflops"] = r.get("tflops")  # ours: the bench's FLOP count (4*B*H*Lq*Lk*D, halved for causal)
        if "verified" in r:
            rec["verified"] = r["verified"]
        if t.get("backend"):
            rec["peer_backend"] = t["backend"]
        notes = [n for n in (r.get("note"), t.get("note")) if n]
        if notes:
            rec["note"] = "; ".join(notes)
        out.append(rec)
    return out, unmatched


def describe_torch_line(t):
    """A short name for a torch peer line in a note: peer, op/format/mask and shape."""
    shape = t.get("shape") if isinstance(t.get("shape"), dict) else {}
    parts = [str(t.get("peer", "torch"))] + [str(t[k]) for k in ("format", "mask", "dtype") if t.get(k)]
    if shape:
        parts.append("x".join(str(v) for v in shape.values()))
    return " ".join(parts)


# sk_gpu_selftest (sparse24_selftest.cu, bsr_selftest.cu, channels_selftest.cu; attention lines matched loosely).
CASE_RE = re.compile(r"^(PASS|FAIL) tokens=.*sparse err/tol \S+ \((\d+) bad\)\s+dense err/tol \S+ \((\d+) bad\)")
PROBE_RE = re.compile(r"^(PASS|FAIL) probe ")
SELFTEST_LINES = (  # (regex, kernel family): one case per line
    (re.compile(r"^(PASS|FAIL) BSR tokens="), "sk_bsr_gemm"),
    (re.compile(r"^(PASS|FAIL) gather_rows "), "sk_gather_rows"),
    (re.compile(r"^(PASS|FAIL) gather_cols "), "sk_gather_cols"),
    (re.compile(r"^(PASS|FAIL) channel_stats "), "sk_channel_stats"),
)
# `sparsekernels verify` (TwinCheck.Result.toString: "PASS|FAIL <name> (error ..., limit ...)").
VERIFY_LINES = (
    (re.compile(r"^(PASS|FAIL) dense "), "sk_dense_gemm"),
    (re.compile(r"^(PASS|FAIL) 2:4 "), "sk_sparse24_gemm"),
    (re.compile(r"^(PASS|FAIL) bsr:\d+x\d+ "), "sk_bsr_gemm"),
    (re.compile(r"^(PASS|FAIL) gather rows "), "sk_gather_rows"),
    (re.compile(r"^(PASS|FAIL) gather cols "), "sk_gather_cols"),
    (re.compile(r"^(PASS|FAIL) channel statistics "), "sk_channel_stats"),
)
ANY_CASE_RE = re.compile(r"^(PASS|FAIL) (?!verify:)(\S.*)$")  # a case line none of the above knows
CALL_ERROR_RE = re.compile(r"^\S+\.cuh?:\d+: .* -> -?\d+: ")  # SK_CHECK in selftest_support.cuh


def classify(line, table):
    """(kernel or None, passed) for a PASS/FAIL case line; (None, None) when it is not one."""
    for rx, kernel in table:
        m = rx.match(line)
        if m:
            return kernel, m.group(1) == "PASS"
    m = ANY_CASE_RE.match(line)
    if not m:
        return None, None
    return ("sk_attention" if ATTENTION_RE.search(m.group(2)) else None), m.group(1) == "PASS"


class Tally:
    def __init__(self):
        self.by_kernel = {k: [] for k in KERNELS}  # (source, passed, total)
        self.other = []  # (name, status, detail)

    def add(self, kernel, source, passed, total):
        self.by_kernel[kernel].append((source, passed, total))

    def add_counts(self, counts, source):
        for kernel in KERNELS:
            p, t = counts.get(kernel, (0, 0))
            if t:
                self.add(kernel, source, p, t)


def tally_selftest(text, tally):
    if text is None:
        tally.other.append(("native self-test", "SKIP", "no output"))
        return
    if re.search(r"^SKIP", text, re.M):
        tally.other.append(("native self-test", "SKIP", text.strip().splitlines()[0][:160]))
        return
    counts = {k: [0, 0] for k in KERNELS}
    probes, unknown = [0, 0], [0, 0]
    fail_lines, call_errors = 0, []
    for line in text.splitlines():
        if CALL_ERROR_RE.match(line):
            call_errors.append(line.strip())
            continue
        m = CASE_RE.match(line)
        if m:
            for kernel, bad in (("sk_sparse24_gemm", m.group(2)), ("sk_dense_gemm", m.group(3))):
                counts[kernel][1] += 1
                counts[kernel][0] += int(bad) == 0
            fail_lines += m.group(1) == "FAIL"
            continue
        if PROBE_RE.match(line):
            probes[1] += 1
            probes[0] += line.startswith("PASS")
            fail_lines += line.startswith("FAIL")
            continue
        if re.match(r"^(PASS|FAIL): \d+ of \d+ cases passed", line):
            continue
        kernel, passed = classify(line, SELFTEST_LINES)
        if passed is None:
            continue
        target = counts[kernel] if kernel else unknown
        target[1] += 1
        target[0] += passed
        fail_lines += not passed
    tally.add_counts(counts, "selftest")
    if probes[1]:
        tally.other.append(("mma fragment probes", "PASS" if probes[0] == probes[1] else "FAIL",
                            "%d/%d" % tuple(probes)))
    if unknown[1]:
        tally.other.append(("native self-test, other cases", "PASS" if unknown[0] == unknown[1] else "FAIL",
                            "%d/%d lines of no known kernel" % tuple(unknown)))
    final = re.search(r"^(PASS|FAIL): (\d+) of (\d+) cases passed(.*)$", text, re.M)
    if not final:
        tally.other.append(("native self-test", "FAIL", "no final line (crashed or timed out?)" +
                            ("; " + call_errors[0][:160] if call_errors else "")))
        return
    if "timing run failed" in final.group(4):
        tally.other.append(("native self-test timing", "FAIL", "timing run failed"))
    failed_cases = int(final.group(3)) - int(final.group(2))
    if failed_cases > fail_lines:
        # A case whose sk_ call failed returns before its PASS/FAIL line (SK_CHECK prints file:line to stderr).
        tally.other.append(("native self-test", "FAIL", "%d of %s cases failed, %d of them without a FAIL line%s" % (
            failed_cases, final.group(3), failed_cases - fail_lines,
            ": " + call_errors[0][:160] if call_errors else "")))


def tally_bench(bench, bench_problem, tally):
    if bench is None:
        tally.other.append(("bench", "SKIP" if "no bench" in bench_problem else "FAIL", bench_problem))
        return
    groups = {}  # (kernel, source) -> [passed, total]
    for key in record_arrays(bench):
        for r in bench[key]:
            kernel = kernel_of_record(r)
            if kernel is None or "verified" not in r:
                continue
            if kernel in ("sk_gather_rows", "sk_gather_cols"):
                source = "bench vs host gather"
            elif "checked_against" in r or gemm_shape(r) is not None:
                source = "bench vs " + str(r.get("checked_against", "cublas"))
            else:
                source = "bench"
            g = groups.setdefault((kernel, source), [0, 0])
            g[1] += 1
            g[0] += r.get("verified") is True
    for kernel in KERNELS:
        for (k, source), (p, t) in groups.items():
            if k == kernel:
                tally.add(kernel, source, p, t)
    if bench.get("failures"):
        tally.other.append(("bench", "FAIL", "%s failed checks (verify or timing)" % bench["failures"]))
    if bench.get("skipped"):
        tally.other.append(("bench", "SKIP", "%s cases skipped (time budget)" % bench["skipped"]))


def record_arrays(bench):
    """The bench's record arrays: "records", "gather_records" and any other "*_records" list."""
    return [k for k, v in bench.items() if (k == "records" or k.endswith("_records")) and isinstance(v, list)]


def tally_verify(name, text, tally):
    if text is None:
        tally.other.append(("java verify " + name, "SKIP", "no output"))
        return
    counts = {k: [0, 0] for k in KERNELS}
    unknown = [0, 0]
    for line in text.splitlines():
        kernel, passed = classify(line, VERIFY_LINES)
        if passed is None:
            continue
        target = counts[kernel] if kernel else unknown
        target[1] += 1
        target[0] += passed
    tally.add_counts(counts, "java " + name)
    seen = sum(t for _, t in counts.values()) + unknown[1]
    if unknown[1]:
        tally.other.append(("java verify %s, other cases" % name, "PASS" if unknown[0] == unknown[1] else "FAIL",
                            "%d/%d lines of no known kernel" % tuple(unknown)))
    last = (text.strip().splitlines() or ["empty"])[-1][:160]
    final = re.search(r"^verify: (?:all (\d+) cases PASS|(\d+) of (\d+) cases FAIL)\s*$", text, re.M)
    if not seen:
        tally.other.append(("java verify " + name, "FAIL", "no PASS/FAIL lines (%s)" % last))
    elif not final:
        tally.other.append(("java verify " + name, "FAIL", "no final 'verify:' line, stopped after %d cases (%s)"
                            % (seen, last)))
    elif int(final.group(1) or final.group(3)) != seen:
        tally.other.append(("java verify " + name, "FAIL", "%d case lines, the final line says %s" %
                            (seen, final.group(1) or final.group(3))))


def kernel_lines(tally):
    lines, failed = [], False
    for kernel in KERNELS:
        src = tally.by_kernel[kernel]
        if not src:
            if kernel not in OPTIONAL:
                lines.append(("SKIP", kernel, "no evidence (no self-test, bench or Java output)"))
            continue
        ok = all(p == t for _, p, t in src)
        failed |= not ok
        lines.append(("PASS" if ok else "FAIL", kernel, ", ".join("%s %d/%d" % s for s in src)))
    for name, status, detail in tally.other:
        # "<name> (experimental)": a kernel not yet verified on a GPU (gpu-check runs it in its own process). Its
        # result is recorded but stays outside the verdict until it has passed once and joins the real self-test.
        failed |= status == "FAIL" and not name.endswith("(experimental)")
        lines.append((status, name, detail))
    return lines, failed


def fmt_num(v, pattern):
    v = num(v)
    return "-" if v is None else pattern % v


def markdown(doc):
    out = ["# GPU report: %s, %s" % (doc.get("gpu"), doc.get("date")), "",
           "driver %s, CUDA %s, cuBLAS %s, PyTorch %s, L2 flushed before each run: %s" %
           (doc.get("driver"), doc.get("cuda"), doc.get("cublas"), doc.get("torch"), doc.get("l2_flush")), "",
           "| status | check | detail |", "|---|---|---|"]
    for c in doc["checks"]:
        out.append("| %s | %s | %s |" % (c["status"], c["name"], c["detail"]))
    out += ["", "| op | format | density | tokens x in x out | x | y | ours ms | peer | peer ms | speedup | TFLOP/s "
            "| verified |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    untabled, missing, bsr = 0, set(), False
    for r in doc["records"]:
        shape = gemm_shape(r)
        if shape is None:
            untabled += 1
            continue
        peer = str(r.get("peer", "-"))
        if peer.startswith("none"):
            missing.add(peer)
            peer = "none"
        elif r["format"].startswith("bsr:"):
            bsr = True
            if peer == "cublas":
                peer += " (dense, same W)"
        out.append("| %s | %s | %s | %dx%dx%d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["op"] if "op" in r else "gemm", r["format"], fmt_num(r.get("density"), "%.3g"), shape[0], shape[1],
            shape[2], r.get("dtype", "-"), r.get("y_dtype", "f32"), fmt_num(r.get("ours_ms"), "%.4f"), peer,
            fmt_num(r.get("peer_ms"), "%.4f"), fmt_num(r.get("speedup"), "%.2fx"), fmt_num(r.get("tflops"), "%.1f"),
            {True: "yes", False: "NO"}.get(r.get("verified"), "-")))
    if missing:
        out += [""] + ["peer missing: " + m for m in sorted(missing)]
    out += ["", "speedup = peer ms / ours ms (above 1: ours is faster). 2:4%s TFLOP/s are dense-equivalent "
            "(2*tokens*in*out)%s." % (" and bsr" if bsr else "",
                                      "; BSR does density times those FLOPs" if bsr else "")]
    gathers = doc.get("gather_records") or []
    rows = []
    for r in gathers:
        shape = gather_shape(r)
        if shape is None:
            untabled += 1
            continue
        rows.append("| %s | %s | %s | %dx%d | %d | %s | %s | %s | %s | %s | %s |" % (
            r["op"], r.get("dtype", "-"), r.get("pattern", "-"), shape[0], shape[1], shape[2],
            fmt_num(r.get("ours_ms"), "%.4f"), r.get("peer", "-"), fmt_num(r.get("peer_ms"), "%.4f"),
            fmt_num(r.get("gbps"), "%.0f"), fmt_num(r.get("peer_gbps"), "%.0f"),
            fmt_num(None if num(r.get("fraction_of_copy")) is None else 100 * r["fraction_of_copy"], "%.0f%%")) +
            " %s |" % {True: "yes", False: "NO"}.get(r.get("verified"), "-"))
    if rows:
        out += ["", "| op | dtype | pattern | rows x cols | kept | ours ms | peer | peer ms | GB/s | peer GB/s "
                "| of copy | verified |", "|---|---|---|---|---|---|---|---|---|---|---|---|"] + rows
        out += ["", "GB/s = 2 * output bytes / ours ms (what a copy of the kept data moves); of copy = peer ms / "
                "ours ms (100%: as fast as cudaMemcpy of the same bytes)."]
    attention, missing_attention = doc.get("attention_records") or [], set()
    rows = attention_rows(attention, missing_attention)
    untabled += sum(1 for r in attention if attention_shape(r) is None)
    if rows:
        out += ["", "| op | mask | B x H x Lq x Lk x D | dtype | out | ours ms | peer | peer ms | speedup | TFLOP/s "
                "| verified |", "|---|---|---|---|---|---|---|---|---|---|---|"] + rows
        if missing_attention:
            out += [""] + ["peer missing: " + m for m in sorted(missing_attention)]
        out += ["", "Attention: TFLOP/s are ours, 4*B*H*Lq*Lk*D, halved for causal; speedup = peer ms / ours ms."]
    untabled += sum(len(v) for k, v in doc.items() if k.endswith("_records")
                    and k not in ("gather_records", "attention_records") and isinstance(v, list))
    if untabled:
        out += ["", "%d record(s) not tabled (not recognised; kept as they are in the JSON)." % untabled]
    return "\n".join(out)


def attention_rows(records, missing):
    """Table rows for attention records, each shape's peers right after ours; "none: ..." peers go to missing."""
    tabled = [r for r in records if attention_shape(r) is not None]
    tabled.sort(key=lambda r: (attention_shape(r), str(r.get("mask"))))  # stable: ours stay before their peers
    rows = []
    for r in tabled:
        peer = str(r.get("peer", "-"))
        if peer.startswith("none:"):
            missing.add(peer)
            peer = "none"
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["op"], r.get("mask", "none"), "x".join(str(v) for v in attention_shape(r)), r.get("dtype", "-"),
            r.get("o_dtype", r.get("dtype", "-")), fmt_num(r.get("ours_ms"), "%.4f"),
            peer + (" (%s)" % r["peer_backend"] if r.get("peer_backend") else ""), fmt_num(r.get("peer_ms"), "%.4f"),
            fmt_num(r.get("speedup"), "%.2fx"), fmt_num(r.get("tflops"), "%.1f"),
            {True: "yes", False: "NO"}.get(r.get("verified"), "-")))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench")
    ap.add_argument("--torch")
    ap.add_argument("--selftest")
    ap.add_argument("--verify", action="append", default=[], metavar="NAME=FILE")
    ap.add_argument("--check", action="append", default=[], metavar="NAME=STATUS[:DETAIL]")
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
        status, _, detail = status.partition(":")
        status = status.strip().upper() or "SKIP"
        tally.other.append((name, status if status in ("PASS", "FAIL", "SKIP") else "FAIL",
                            detail.strip() if status in ("PASS", "FAIL", "SKIP") else "status '%s'" % status))
    lines, failed = kernel_lines(tally)

    bench_records = bench.get("records", []) if bench else []
    if not isinstance(bench_records, list):
        bench_records = []
    extra, unmatched = torch_records(bench_records, torch_lines)
    attention = (bench or {}).get("attention_records")
    attention = attention if isinstance(attention, list) else []
    attention_extra, unmatched = torch_attention_records(attention, unmatched)
    gpu = (bench or {}).get("gpu") or torch_header.get("device") or "unknown GPU"
    date = (bench or {}).get("date") or datetime.date.today().isoformat()
    doc = {"gpu": gpu, "driver": (bench or {}).get("driver"), "cuda": (bench or {}).get("cuda"),
           "cublas": (bench or {}).get("cublas"), "torch": torch_header.get("version"),
           "torch_cuda": torch_header.get("cuda"), "sparsekernels": (bench or {}).get("sparsekernels"),
           "capability": (bench or {}).get("capability"), "date": date, "time": (bench or {}).get("time"),
           "l2_flush": (bench or {}).get("l2_flush", torch_header.get("l2_flush")),
           "timing": (bench or {}).get("timing"),
           "checks": [{"name": n, "status": s, "detail": d} for s, n, d in lines],
           "records": bench_records + extra,
           "gather_records": (bench or {}).get("gather_records") if isinstance(
               (bench or {}).get("gather_records"), list) else [],
           "attention_records": attention + attention_extra}
    for key in record_arrays(bench or {}):  # arrays a newer bench writes that this script does not know yet
        if key not in doc:
            doc[key] = bench[key]
    problems = ([bench_problem] if bench_problem else []) + torch_problems
    if torch_header.get("error"):
        problems.append("torch: " + str(torch_header["error"]))
    for t in unmatched:  # a peer that could not run (or was skipped for time) where we have no record to pair
        if t.get("error"):
            problems.append("torch peer %s: %s" % (describe_torch_line(t), t["error"]))
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
