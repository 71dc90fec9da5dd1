#!/usr/bin/env bash
# Runs every CLI command of the shaded jar with a plain `java -jar` on JDK 17: the JavaCPP binding must load, the
# CPU kernels must give the right answer (gemm dense/2:4/bsr, prune, attention, channels checked against Python),
# bad input to every command must exit 2 with one line and no stack trace, and no run may leave a JVM crash report.
# bench and demo run the quick suite for minutes, so only their argument handling is smoke-tested here.
set -euo pipefail
java17="$1"
jar="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - <<'PY'
import struct, random
def save(name, shape, data):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % d for d in shape)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(name, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(data), *data))
random.seed(1)
tokens, n_in, n_out = 5, 16, 6
x = [random.uniform(-1, 1) for _ in range(tokens * n_in)]
w = [random.uniform(-1, 1) for _ in range(n_out * n_in)]
b = [random.uniform(-1, 1) for _ in range(n_out)]
save("x.npy", (tokens, n_in), x); save("w.npy", (n_out, n_in), w); save("b.npy", (n_out,), b)
# expected dense result and the 2:4 magnitude-pruned one
def prune(row):
    out = []
    for g in range(0, len(row), 4):
        grp = row[g:g+4]
        keep = sorted(sorted(range(4), key=lambda i: -abs(grp[i]))[:2])
        out += [grp[i] if i in keep else 0.0 for i in range(4)]
    return out
wp = sum((prune(w[o*n_in:(o+1)*n_in]) for o in range(n_out)), [])
def lin(W):
    return [sum(x[t*n_in+i]*W[o*n_in+i] for i in range(n_in)) + b[o] for t in range(tokens) for o in range(n_out)]
save("y_dense_expected.npy", (tokens, n_out), lin(w)); save("y_24_expected.npy", (tokens, n_out), lin(wp))
# block-sparse: W 32x32 whose block (16..31, 0..15) is zero; bsr:16 stores the other three blocks exactly
wb = [random.uniform(-1, 1) if not (r >= 16 and c < 16) else 0.0 for r in range(32) for c in range(32)]
xb = [random.uniform(-1, 1) for _ in range(3 * 32)]
save("wb.npy", (32, 32), wb); save("xb.npy", (3, 32), xb)
save("y_bsr_expected.npy", (3, 32), [sum(xb[t*32+i]*wb[o*32+i] for i in range(32)) for t in range(3) for o in range(32)])
# causal attention, B=1, H=2, L=4, D=8, scale 1/sqrt(8)
import math
H, L, D = 2, 4, 8
q = [random.uniform(-1, 1) for _ in range(H*L*D)]; k = [random.uniform(-1, 1) for _ in range(H*L*D)]
v = [random.uniform(-1, 1) for _ in range(H*L*D)]
save("q.npy", (1, H, L, D), q); save("k.npy", (1, H, L, D), k); save("v.npy", (1, H, L, D), v)
o = []
for h in range(H):
    for i in range(L):
        s = [sum(q[(h*L+i)*D+d]*k[(h*L+j)*D+d] for d in range(D)) / math.sqrt(D) for j in range(i+1)]
        m = max(s); e = [math.exp(x - m) for x in s]; z = sum(e)
        o += [sum(e[j]*v[(h*L+j)*D+d] for j in range(i+1)) / z for d in range(D)]
save("o_expected.npy", (1, H, L, D), o)
# channels: W1 [8, 4], W2 [3, 8]
save("w1.npy", (8, 4), [random.uniform(-1, 1) for _ in range(32)])
save("w2.npy", (3, 8), [random.uniform(-1, 1) for _ in range(24)])
open("broken.npy", "wb").write(b"\x93NUMPY\x01\x00" + b"\x76\x00" + b"{'descr': '<f4'")
PY

run() { "$java17" -jar "$jar" "$@"; }
compare() {
python3 - "$1" "$2" <<'PY'
import struct, sys
def load(n):
    d = open(n, "rb").read(); hl = struct.unpack("<H", d[8:10])[0]; body = d[10+hl:]
    return struct.unpack("<%df" % (len(body)//4), body)
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a) == len(b), (len(a), len(b))
worst = max(abs(p - q) for p, q in zip(a, b))
assert worst < 1e-4, "max abs diff %g" % worst
print("  %s matches (max abs diff %.2g)" % (sys.argv[1], worst))
PY
}

echo "-- info"
run info | tee info.txt
grep -q "binding: *javacpp" info.txt || { echo "expected the JavaCPP binding on JDK 17" >&2; exit 1; }
echo "-- gemm dense / 2:4 / prune"
run gemm --format dense --w w.npy --x x.npy --bias b.npy --device cpu --out y_dense.npy
compare y_dense.npy y_dense_expected.npy
run gemm --format 2:4 --prune --w w.npy --x x.npy --bias b.npy --device cpu --out y_24.npy
compare y_24.npy y_24_expected.npy
run prune --pattern 2:4 --in w.npy --out wp.npy
run gemm --format 2:4 --w wp.npy --x x.npy --bias b.npy --device cpu --out y_24b.npy
compare y_24b.npy y_24_expected.npy
echo "-- gemm bsr"
run gemm --format bsr:16 --w wb.npy --x xb.npy --device cpu --out y_bsr.npy
compare y_bsr.npy y_bsr_expected.npy
run prune --pattern block:16 --density 0.5 --in wb.npy --out wbp.npy
echo "-- attention"
run attention --q q.npy --k k.npy --v v.npy --causal --device cpu --out o.npy
compare o.npy o_expected.npy
echo "-- channels"
run channels --w1 w1.npy --w2 w2.npy --keep 0.5 --criterion l2 --round-to 1 --out-dir ch
python3 - <<'PY'
import struct
def shape(n):
    d = open(n, "rb").read(); hl = struct.unpack("<H", d[8:10])[0]
    return eval(d[10:10+hl].decode())["shape"]
assert shape("ch/W1.npy") == (4, 4) and shape("ch/W2.npy") == (3, 4) and shape("ch/kept.npy") == (4,), "channels shapes"
print("  channels wrote W1 (4, 4), W2 (3, 4), kept (4,)")
PY
echo "-- help, bench, demo, verify"
run help > /dev/null
run bench --help > /dev/null
run demo --help > /dev/null
set +e
run verify --device cuda > verify.txt 2> err.txt; rc=$?
set -e
if [ "$rc" = 0 ]; then
  tail -n 1 verify.txt
else
  [ "$rc" = 1 ] && [ "$(wc -l < err.txt)" = 1 ] || { echo "verify without a GPU: expected exit 1 and one line, got $rc:" >&2; cat err.txt >&2; exit 1; }
  echo "  no GPU: $(cat err.txt)"
fi

echo "-- bad input to every command exits 2 with one line"
expect_bad() { # mention, then the command line
  local mention="$1"; shift
  set +e
  run "$@" > /dev/null 2> err.txt; local rc=$?
  set -e
  [ "$rc" = 2 ] || { echo "expected exit 2 from: $*; got $rc" >&2; cat err.txt >&2; exit 1; }
  [ "$(wc -l < err.txt)" = 1 ] || { echo "expected one line on stderr from: $*" >&2; cat err.txt >&2; exit 1; }
  grep -q -- "$mention" err.txt || { echo "expected '$mention' in: $(cat err.txt)" >&2; exit 1; }
  if grep -q $'\tat ' err.txt; then echo "stack trace from: $*" >&2; exit 1; fi
  echo "  $1: $(cat err.txt)"
}
expect_bad "row 0, group 0" gemm --format 2:4 --w w.npy --x x.npy --out y.npy
expect_bad "missing.npy" gemm --format dense --w missing.npy --x x.npy --out y.npy
expect_bad "broken.npy" gemm --format dense --w broken.npy --x x.npy --out y.npy
expect_bad "Unknown option" info --bogus
expect_bad "broken.npy" prune --pattern 2:4 --in broken.npy --out y.npy
expect_bad "--window" attention --q q.npy --k k.npy --v v.npy --window 0 --out o.npy
expect_bad "broken.npy" attention --q q.npy --k broken.npy --v v.npy --out o.npy
expect_bad "--keep" channels --w1 w1.npy --w2 w2.npy --keep 2 --criterion l2 --out-dir ch
expect_bad "--suite" bench --suite huge
expect_bad "--device" verify --device gpu
expect_bad "Unknown option" demo --bogus
expect_bad "Unknown subcommand" help nonsense

if ls hs_err_pid*.log >/dev/null 2>&1; then echo "a JVM crash report was written:" >&2; ls hs_err_pid*.log >&2; exit 1; fi
echo "JDK 17 smoke test passed"
