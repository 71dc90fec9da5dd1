"""Tests of merge_report.py's torch pairing and of torch_peers.py's pure helpers; no GPU and no PyTorch needed.

    python3 ci/gpu/test_gpu_report.py        (or: python3 -m unittest discover -s ci/gpu -p 'test_*.py')

testdata/bench-h100.json and testdata/torch-h100.jsonl are trimmed from a real H100 run (2026-11-26: bf16 4096^3
2:4/dense/BSR records, one gather record, the three attention records; the torch header and two GEMM peer lines).
The torch-sdpa / torch-flex / torch-bsr lines below are made up (no run has produced them yet): their times are
round numbers, not measurements.
"""
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import merge_report  # noqa: E402
import torch_peers  # noqa: E402

BENCH = os.path.join(HERE, "testdata", "bench-h100.json")
TORCH = os.path.join(HERE, "testdata", "torch-h100.jsonl")
G4096 = {"tokens": 4096, "in": 4096, "out": 4096}
A4096 = {"batch": 2, "heads": 16, "lq": 4096, "lk": 4096, "d": 128}
A8192 = {"batch": 1, "heads": 16, "lq": 8192, "lk": 8192, "d": 128}

FAKE_PEERS = [  # made-up times
    {"peer": "torch-sdpa", "op": "attention", "mask": "causal", "shape": A4096, "dtype": "bf16", "ms": 1.0,
     "backend": "flash", "note": "fastest backend: flash 1.0000 ms, cudnn 1.2000 ms"},
    {"peer": "torch-sdpa", "op": "attention", "mask": "none", "shape": A4096, "dtype": "bf16", "ms": 2.0,
     "backend": "cudnn"},
    {"peer": "torch-flex", "op": "attention", "mask": "causal", "shape": A4096, "dtype": "bf16", "ms": 1.5},
    {"peer": "torch-flex", "op": "attention", "mask": "causal", "shape": A8192, "dtype": "bf16",
     "error": "skipped: past --max-seconds"},
    {"peer": "torch-bsr", "op": "gemm", "format": "bsr:64x64", "density": 0.100098, "shape": G4096, "dtype": "bf16",
     "y_dtype": "bf16", "ms": 0.5, "call": "F.linear(X, W_bsr)", "note": "torch F.linear(X, W_bsr)"},
    {"peer": "torch-bsr", "op": "gemm", "format": "bsr:32x32", "density": 0.05, "shape": G4096, "dtype": "bf16",
     "y_dtype": "bf16", "ms": 0.25},  # target density: pairs with our 0.0499878
    {"peer": "torch-bsr", "op": "gemm", "format": "bsr:64x64", "density": 0.5, "shape": G4096, "dtype": "bf16",
     "y_dtype": "bf16", "error": "F.linear(X, W_bsr): not supported"},
    {"peer": "torch-bsr", "op": "gemm", "format": "bsr:64x64", "density": 0.1, "shape": G4096, "dtype": "f16",
     "y_dtype": "f16", "error": "skipped: past --max-seconds"},  # no f16 BSR record in the fixture
    {"peer": "torch-bsr", "error": "section failed: CUDA error"},
]


def load_bench():
    with open(BENCH) as f:
        return json.load(f)


def by(records, **want):
    return [r for r in records if all(r.get(k) == v for k, v in want.items())]


class TorchGemmPairing(unittest.TestCase):
    def setUp(self):
        self.bench = load_bench()
        self.out, self.unmatched = merge_report.torch_records(self.bench["records"], FAKE_PEERS)

    def test_bsr_pairs_by_format_and_density(self):
        rec = by(self.out, peer="torch-bsr", format="bsr:64x64")
        self.assertEqual(len(rec), 1)
        rec = rec[0]
        self.assertEqual(rec["density"], 0.100098)  # ours, not the peer's
        self.assertEqual(rec["ours_ms"], 0.111328)
        self.assertAlmostEqual(rec["speedup"], 0.5 / 0.111328, places=3)
        self.assertEqual(rec["tflops"], 1234.54)
        self.assertTrue(rec["verified"])
        self.assertIn("density times", rec["note"])
        self.assertIn("F.linear", rec["note"])

    def test_bsr_target_density_pairs_with_the_kept_one(self):
        rec = by(self.out, peer="torch-bsr", format="bsr:32x32")
        self.assertEqual([r["density"] for r in rec], [0.0499878])

    def test_bsr_error_is_a_missing_peer(self):
        rec = [r for r in self.out if str(r["peer"]).startswith("none: torch-bsr")]
        self.assertEqual(len(rec), 1)
        self.assertEqual(rec[0]["density"], 0.5)
        self.assertNotIn("speedup", rec[0])

    def test_unpaired_lines_stay_unmatched(self):
        self.assertEqual(sum(t.get("peer") == "torch-bsr" for t in self.unmatched), 2)  # f16 and section error
        self.assertEqual(sum(t.get("peer") in ("torch-sdpa", "torch-flex") for t in self.unmatched), 4)

    def test_density_tolerance(self):
        self.assertTrue(merge_report.same_density({}, {}))
        self.assertFalse(merge_report.same_density({"density": 0.1}, {}))
        self.assertTrue(merge_report.same_density({"density": 0.300049}, {"density": 0.3}))
        self.assertFalse(merge_report.same_density({"density": 0.0500488}, {"density": 0.1}))

    def test_matmul_pairing_unchanged(self):
        with open(TORCH) as f:
            lines = [json.loads(line) for line in f][1:]
        out, _ = merge_report.torch_records(self.bench["records"], lines)
        self.assertEqual(sorted((r["format"], r["peer"]) for r in out),
                         [("2:4", "torch-matmul"), ("2:4", "torch-semi-structured"), ("dense", "torch-matmul")])
        self.assertTrue(all("density" not in r for r in out))


class TorchAttentionPairing(unittest.TestCase):
    def setUp(self):
        self.bench = load_bench()
        _, unmatched = merge_report.torch_records(self.bench["records"], FAKE_PEERS)
        self.out, self.unmatched = merge_report.torch_attention_records(self.bench["attention_records"], unmatched)

    def test_pairs_by_mask_and_shape(self):
        got = sorted((r["peer"], r["mask"], r["shape"]["lq"]) for r in self.out)
        self.assertEqual(got, [("none: torch-flex: skipped: past --max-seconds", "causal", 8192),
                               ("torch-flex", "causal", 4096), ("torch-sdpa", "causal", 4096),
                               ("torch-sdpa", "none", 4096)])
        sdpa = by(self.out, peer="torch-sdpa", mask="causal")[0]
        self.assertEqual(sdpa["ours_ms"], 0.673952)
        self.assertAlmostEqual(sdpa["speedup"], 1.0 / 0.673952, places=3)
        self.assertEqual(sdpa["tflops"], 203.93)  # ours
        self.assertEqual(sdpa["peer_backend"], "flash")
        self.assertEqual(sdpa["o_dtype"], "bf16")
        self.assertIn("halved for causal", sdpa["note"])
        self.assertIn("cudnn 1.2000 ms", sdpa["note"])

    def test_other_dtype_or_shape_does_not_pair(self):
        lines = [dict(FAKE_PEERS[0], dtype="f16"), dict(FAKE_PEERS[0], shape=dict(A4096, d=64)),
                 dict(FAKE_PEERS[0], mask="none", shape=A8192)]
        out, unmatched = merge_report.torch_attention_records(self.bench["attention_records"], lines)
        self.assertEqual((out, len(unmatched)), ([], 3))

    def test_our_f32_output_does_not_pair(self):
        ours = [dict(self.bench["attention_records"][0], o_dtype="f32")]
        out, unmatched = merge_report.torch_attention_records(ours, FAKE_PEERS[:1])
        self.assertEqual((out, len(unmatched)), ([], 1))

    def test_non_attention_lines_pass_through(self):
        self.assertEqual(sorted(t.get("peer") for t in self.unmatched), ["torch-bsr", "torch-bsr"])


class MergeReportMain(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.torch = os.path.join(self.dir, "torch.jsonl")
        with open(TORCH) as src, open(self.torch, "w") as f:
            f.write(src.read())
            f.write("some tee'd warning\n")
            for t in FAKE_PEERS:
                f.write(json.dumps(t) + "\n")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_main(self, *extra):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = merge_report.main(["--bench", BENCH, "--torch", self.torch, "--out-dir", self.dir] + list(extra))
        with open(os.path.join(self.dir, "2026-11-26-nvidia-h100-80gb-hbm3.json")) as f:
            return rc, out.getvalue(), json.load(f)

    def test_report(self):
        rc, text, doc = self.run_main()
        self.assertEqual(rc, 0)  # torch errors never fail the check
        self.assertEqual(len(doc["attention_records"]), 3 + 4)
        self.assertEqual(len(by(doc["records"], peer="torch-bsr")), 2)
        self.assertIn("| attention | causal | 2x16x4096x4096x128 | bf16 | bf16 | 0.6740 | torch-sdpa (flash) | "
                      "1.0000 | 1.48x | 203.9 | yes |", text)
        self.assertIn("| gemm | bsr:64x64 | 0.1 | 4096x4096x4096 | bf16 | bf16 | 0.1113 | torch-bsr | 0.5000 | 4.49x",
                      text)
        self.assertIn("| bsr:64x64 | 0.1 | 4096x4096x4096 | bf16 | bf16 | 0.1113 | cublas (dense, same W) |", text)
        self.assertIn("peer missing: none: torch-flex: skipped: past --max-seconds", text)
        self.assertIn("peer missing: none: torch-bsr: F.linear(X, W_bsr): not supported", text)
        self.assertIn("note: torch peer torch-bsr bsr:64x64 f16 4096x4096x4096: skipped: past --max-seconds", text)
        self.assertIn("note: torch peer torch-bsr: section failed: CUDA error", text)
        self.assertNotIn("not tabled", text)
        self.assertEqual(len(doc["unmatched_peers"]), 2)
        self.assertRegex(text, r"(?m)^PASS sk_bsr_gemm bench vs cublas 8/8$")  # our verdicts ignore the peers

    def test_attention_rows_follow_ours(self):
        _, text, _ = self.run_main()
        rows = [l for l in text.splitlines() if l.startswith("| attention |")]
        self.assertEqual([r.split(" | ")[6] for r in rows],
                         ["none", "none", "none", "torch-sdpa (flash)", "torch-flex", "none", "torch-sdpa (cudnn)"])

    def test_torch_not_importable(self):
        with open(self.torch, "w") as f:
            f.write('{"peer": "torch", "error": "PyTorch not importable: No module named \'torch\'"}\n')
        rc, text, doc = self.run_main()
        self.assertEqual(rc, 0)
        self.assertIn("note: torch: PyTorch not importable", text)
        self.assertEqual(len(doc["attention_records"]), 3)


class TorchPeersHelpers(unittest.TestCase):
    def test_flags(self):
        o = torch_peers.parse_args([])
        self.assertEqual((o["gemm"], o["attention"], o["bsr"], o["flush"]), (True, True, True, True))
        self.assertEqual(o["shapes"], torch_peers.DEFAULT_SHAPES)
        o = torch_peers.parse_args(["--no-gemm", "--no-bsr", "--max-seconds", "60", "--budget-ms", "100", "8x16x32"])
        self.assertEqual((o["gemm"], o["attention"], o["bsr"], o["flush"]), (False, True, False, True))
        self.assertEqual((o["max_seconds"], o["budget_ms"], o["shapes"]), (60.0, 100.0, [(8, 16, 32)]))
        self.assertFalse(torch_peers.parse_args(["--no-attention"])["attention"])
        self.assertFalse(torch_peers.parse_args(["--no-flush"])["flush"])

    def test_cases_are_the_bench_ones(self):
        bench = load_bench()
        ours = {(r["mask"], merge_report.attention_shape(r)) for r in bench["attention_records"]}
        mine = {(m, (b, h, l, l, d)) for m, b, h, l, d in torch_peers.ATTENTION_CASES}
        # The fixture (an H100 run of 2026-11-26) predates the bench's dense-mask and L 16384 cases (2026-11-27).
        self.assertEqual(mine - ours, {("dense-mask", (2, 16, 4096, 4096, 128)), ("causal", (1, 16, 16384, 16384, 128))})
        self.assertTrue(ours <= mine)
        cases = torch_peers.bsr_cases()
        self.assertEqual(len(cases), 16)
        self.assertEqual(cases[0], ("bf16", 64, 0.5))
        # The density kept is the bench's (blocks kept / blocks), so the pairing is exact, not just within tolerance.
        for r in by(bench["records"], dtype="bf16"):
            if r["format"].startswith("bsr:"):
                b = int(r["format"].split("x")[1])
                cells = (4096 // b) ** 2
                target = min(torch_peers.BSR_DENSITIES, key=lambda d: abs(d - r["density"]))
                rec = torch_peers.bsr_record("bf16", b, torch_peers.bsr_keep(target, cells) / cells, G4096, ms=1.0)
                self.assertEqual(rec["density"], r["density"])

    def test_records(self):
        rec = torch_peers.attention_record("torch-sdpa", "causal", torch_peers.attention_shape_dict(2, 16, 4096, 128),
                                           ms=1.25, backend="flash", note=None)
        self.assertEqual(rec, {"peer": "torch-sdpa", "op": "attention", "mask": "causal", "shape": A4096,
                               "dtype": "bf16", "ms": 1.25, "backend": "flash"})
        rec = torch_peers.bsr_record("f16", 32, 0.1, G4096, error="boom")
        self.assertEqual(rec, {"peer": "torch-bsr", "op": "gemm", "format": "bsr:32x32", "density": 0.1,
                               "shape": G4096, "dtype": "f16", "y_dtype": "f16", "error": "boom"})
        # What the script writes, merge_report reads: a flex record pairs with our causal record.
        out, _ = merge_report.torch_attention_records(load_bench()["attention_records"], [
            torch_peers.attention_record("torch-flex", "causal", torch_peers.attention_shape_dict(1, 16, 8192, 128),
                                         ms=2.0)])
        self.assertEqual(out[0]["ours_ms"], 1.25741)

    def test_sdpa_pick(self):
        self.assertEqual(torch_peers.sdpa_pick({"flash": 2.0, "cudnn": 1.5}, {})[:2], ("cudnn", 1.5))
        best, ms, note = torch_peers.sdpa_pick({"flash": 2.0}, {"cudnn": "No available kernel"})
        self.assertEqual((best, ms), ("flash", 2.0))
        self.assertIn("refused: cudnn: No available kernel", note)
        best, ms, note = torch_peers.sdpa_pick({}, {"flash": "a", "default": "b"})
        self.assertEqual((best, ms, note), (None, None, "flash: a; default: b"))

    def test_deadline_and_flex_budget(self):
        now = [100.0]
        d = torch_peers.Deadline(60, clock=lambda: now[0])
        now[0] += 20
        self.assertEqual(d.left(), 40)
        self.assertFalse(d.past())
        self.assertTrue(torch_peers.flex_needs_s(False, True) > d.left() - 10)  # first compile + BSR's share
        self.assertTrue(torch_peers.flex_needs_s(True, False) < torch_peers.flex_needs_s(False, False))
        now[0] += 41
        self.assertTrue(d.past())

    def test_bsr_keep_rounds_like_llround(self):
        self.assertEqual(torch_peers.bsr_keep(0.1, 4096), 410)
        self.assertEqual(torch_peers.bsr_keep(0.05, 16384), 819)
        self.assertEqual(torch_peers.bsr_keep(0.0001, 10), 1)

    def test_error_text(self):
        self.assertEqual(torch_peers.error_text(RuntimeError("first\nsecond")), "first")
        self.assertEqual(torch_peers.error_text(KeyError()), "KeyError")

    @unittest.skipIf(subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0,
                     "PyTorch is importable here")
    def test_without_torch_says_so_and_exits_0(self):
        p = subprocess.run([sys.executable, os.path.join(HERE, "torch_peers.py"), "--max-seconds", "5"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0)
        line = json.loads(p.stdout.strip())
        self.assertEqual(line["peer"], "torch")
        self.assertTrue(line["error"].startswith("PyTorch not importable"))


if __name__ == "__main__":
    unittest.main()
