#!/usr/bin/env bash
# Runs every CLI command of the shaded jar with a plain `java -jar` on JDK 17: the JavaCPP binding must load, the
# CPU kernels must give the right answer, and bad input must exit 2 with one line.
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
echo "-- bad input exits 2 with one line"
set +e
run gemm --format 2:4 --w w.npy --x x.npy --out y.npy 2> err.txt; rc=$?
set -e
[ "$rc" = 2 ] || { echo "expected exit 2 for a W that is not 2:4, got $rc" >&2; cat err.txt >&2; exit 1; }
[ "$(wc -l < err.txt)" = 1 ] || { echo "expected one line on stderr:" >&2; cat err.txt >&2; exit 1; }
echo "  $(cat err.txt)"
set +e
run gemm --format dense --w missing.npy --x x.npy --out y.npy 2> err.txt; rc=$?
set -e
[ "$rc" = 2 ] || { echo "expected exit 2 for a missing file, got $rc" >&2; exit 1; }
echo "  $(cat err.txt)"
echo "-- bench --help"
run bench --help > /dev/null
echo "JDK 17 smoke test passed"
