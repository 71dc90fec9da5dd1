#!/usr/bin/env bash
# GPU host check, prepared to finish in a few minutes: build the library for the local GPU, run the native
# self-test (every kernel vs an fp64 host reference, PASS/FAIL per case, timings), the Java twin check (GPU vs CPU
# twin through the bindings), a short compute-sanitizer pass, and the PyTorch peers. Report in $OUT (or gpu-report/).
#
# Java: uses target/gpu-pack (from ci/pack-jre.sh, carried to the host) or any JDK 22+ on the host.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
report="${OUT:-$root/gpu-report}"
mkdir -p "$report"
log="$report/gpu-check.txt"
exec > >(tee "$log") 2>&1
status=0
step() { echo; echo "== $*"; }
fail() { echo "FAIL: $*"; status=1; }

step "device"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader || fail "nvidia-smi"
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d ' .')
case "$cap" in
  90) arch="90a" ;;
  80|86|89) arch="$cap" ;;
  *) arch="$cap"; echo "note: compute capability $cap is not one we tune for" ;;
esac
nvcc --version | tail -n 2

step "build libsparsekernels.so for sm_$arch"
build="$report/build"
if bash native/build.sh "$build" "$report/lib" on "$arch"; then
  cmake --build "$build" --target sk_gpu_selftest -j "$(nproc)" >/dev/null || fail "selftest build"
else
  fail "native build"
fi
lib="$report/lib/libsparsekernels.so"

step "native self-test (kernels vs fp64 host reference)"
selftest=$(find "$build" -name sk_gpu_selftest -type f | head -n1)
if [ -n "$selftest" ]; then
  timeout 120 "$selftest" | tee "$report/selftest.txt" || fail "native self-test"
else
  fail "sk_gpu_selftest not built"
fi

step "compute-sanitizer memcheck (short)"
if command -v compute-sanitizer >/dev/null && [ -n "$selftest" ]; then
  SK_SELFTEST_QUICK=1 timeout 120 compute-sanitizer --tool memcheck --error-exitcode 3 "$selftest" \
    > "$report/memcheck.txt" 2>&1 && echo "PASS memcheck" || { tail -n 30 "$report/memcheck.txt"; fail "memcheck"; }
else
  echo "compute-sanitizer not available: skipped"
fi

step "Java twin check (GPU vs CPU twin, both bindings)"
java=""
if [ -x target/gpu-pack/jre/bin/java ]; then java=target/gpu-pack/jre/bin/java; jar=target/gpu-pack/lib/sparsekernels.jar
elif command -v java >/dev/null; then java=java; jar=cli/target/sparsekernels.jar; fi
if [ -n "$java" ] && [ -f "${jar:-}" ]; then
  for binding in panama javacpp; do
    timeout 240 "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -Dsparsekernels.library.path="$lib" -Dsparsekernels.binding=$binding -jar "$jar" verify \
      | tee "$report/verify-$binding.txt" || fail "Java twin check ($binding)"
  done
else
  echo "no Java runtime or jar (run ci/pack-jre.sh and carry target/gpu-pack): skipped"
fi

step "PyTorch peers"
if command -v python3 >/dev/null; then
  timeout 180 python3 ci/gpu/torch_peers.py | tee "$report/torch.jsonl" || echo "torch peers failed (not fatal)"
fi

step "summary"
grep -hE "^(PASS|FAIL)" "$report"/selftest.txt "$report"/verify-*.txt 2>/dev/null | sort | uniq -c | sort -rn | head -n 5
[ $status = 0 ] && echo "gpu-check: PASS" || echo "gpu-check: FAIL"
exit $status
