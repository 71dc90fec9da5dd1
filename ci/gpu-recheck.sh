#!/usr/bin/env bash
# A short GPU-host re-check after a kernel fix, for a session whose device time is nearly spent (gpu-check.sh takes
# ~6 minutes, this ~2.5): builds the library and the self-tests for the local GPU (or takes them prebuilt), then runs
# in order of value the Hopper self-tests (attention, 2:4 and BSR: each variant by mode or name, the default TMA
# kernels last), the native self-test (every kernel against an fp64 reference) in the default, experimental and on
# modes, the JUnit gpu group through one binding (panama), and the GEMM / attention bench in the same three modes
# (L2 flushed). Logs in $OUT (or gpu-report/): recheck.txt (this one) and one file per step; every step runs under
# `timeout`.
#   run(command="bash ci/gpu-recheck.sh", carry=["target/gpu-pack"], timeout_s=300)
# or, with the binaries built here beforehand (bash ci/gpu/prebuild.sh):
#   run(command="SK_GPU_PREBUILT=target/gpu-prebuilt bash ci/gpu-recheck.sh",
#       carry=["target/gpu-pack", "target/gpu-prebuilt"], timeout_s=330)   (both fit the 64 MiB carry)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
report="${OUT:-$root/gpu-report}"
mkdir -p "$report"
exec > >(tee "$report/recheck.txt") 2>&1
build="${SK_GPU_BUILD_DIR:-${TMPDIR:-/tmp}/sk-gpu-check-build}"
status=0
step() { echo; echo "== [${SECONDS}s] $*"; }

step "device"
nvidia-smi --query-gpu=name,driver_version,compute_cap,clocks.sm,clocks.max.sm,power.limit --format=csv,noheader
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')
arch=$([ "$cap" = 90 ] && echo 90a || echo "${cap:-all}")

# SK_GPU_PREBUILT=DIR (carried, e.g. target/gpu-prebuilt from ci/gpu/prebuild.sh): libsparsekernels.so and the five
# self-test / bench executables built here for sm_90a, so that a Hopper host spends no device time compiling.
. "$root/ci/gpu/prebuilt.sh"
prebuilt_ok=0
if [ -n "${SK_GPU_PREBUILT:-}" ] && [ "$arch" = 90a ]; then
  step "prebuilt sm_90a binaries from $SK_GPU_PREBUILT"
  use_prebuilt "$SK_GPU_PREBUILT" "$build" && prebuilt_ok=1
fi
if [ $prebuilt_ok = 0 ]; then
step "build for sm_$arch"
if ! { timeout -k 5 150 bash native/build.sh "$build" "$build/out" on "$arch" > "$report/build.log" 2>&1 &&
       timeout -k 5 120 cmake --build "$build" --target sk_gpu_selftest sk_gpu_bench sk_gpu_sm90_selftest \
         sk_gpu_attention_sm90_selftest sk_gpu_bsr_sm90_selftest -j "$(nproc)" >> "$report/build.log" 2>&1; }; then
  tail -n 30 "$report/build.log"; echo "FAIL: build"; exit 1
fi
grep -c "C7513" "$report/build.log" | sed 's/^/ptxas C7513 (serialized wgmma) notices: /'
fi

# run NAME TIMEOUT LOG CMD...: the command's summary lines here, everything in LOG
run() {
  local name=$1 t=$2 log=$3
  shift 3
  step "$name"
  timeout -k 5 "$t" "$@" > "$report/$log" 2>&1
  local rc=$?
  grep -E "^(FAIL|PASS: |SKIP|TIME|RATIO)|^  wrong|^  sk_attention" "$report/$log" | cut -c1-220 | head -n 70
  echo "($name: exit $rc)"
  # A trap or fault ends the process mid-log: its last lines name the case it was in.
  [ $rc = 0 ] || { tail -n 6 "$report/$log" | cut -c1-220; status=1; }
}

run "attention sm90 self-test (mode on's kernel; overlap tma = the software-pipelined kernel loaded by TMA, the default; overlap tma ping-pong = experimental, last)" 50 \
  attention-sm90.txt \
  "$build/sk_gpu_attention_sm90_selftest"
run "2:4 sm90 self-test (mode on's dispatch, then wide = 256-row blocks, decoupled = mbarrier pipeline, both; tma = loaded by TMA, the default; tma wide staged, tma wide cluster 2x1 / 1x2 / 2x2 = experimental, last)" 70 \
  sm90-sparse24.txt \
  "$build/sk_gpu_sm90_selftest" sparse24
run "BSR sm90 self-test (128-token CTAs (mode on), 256-token CTAs, the persistent TMA kernel (the default), the same with 256 tokens)" 50 bsr-sm90.txt \
  "$build/sk_gpu_bsr_sm90_selftest"
run "native self-test (default dispatch)" 60 selftest.txt "$build/sk_gpu_selftest"
# Every kernel against its fp64 reference again, through the experimental variants (2:4 with 256-row blocks where
# their grid fills the SMs and decoupled elsewhere, deep tiny-token 2:4, the software-pipelined Hopper attention and
# its decoupled MASKED instantiation for dense masks, bias, windows and head masks, in-flight dense).
SPARSEKERNELS_HOPPER=experimental run "native self-test, experimental mode" 60 selftest-experimental.txt \
  "$build/sk_gpu_selftest"
# And through mode on's cp.async Hopper kernels, the defaults before the TMA-loaded ones (SK_HOPPER_TMA, the default).
SPARSEKERNELS_HOPPER=on run "native self-test, mode on" 60 selftest-on.txt "$build/sk_gpu_selftest"

bash ci/gpu/unpack.sh target/gpu-pack || true   # libjvm.so travels gzipped (ci/pack-jre.sh)
java=target/gpu-pack/jre/bin/java
jar=target/gpu-pack/lib/sparsekernels.jar
if [ -x "$java" ] && [ -f "$jar" ]; then
  step "JUnit gpu group (panama)"
  timeout -k 5 90 bash ci/gpu/junit-gpu.sh --java "$java" --jar "$jar" --lib "$build/out/libsparsekernels.so" \
    --binding panama > "$report/junit-gpu.txt" 2>&1
  rc=$?
  grep -E "\[(X|A)\]|^ *=> |^junit-gpu" "$report/junit-gpu.txt" | cut -c1-220
  echo "(junit: exit $rc)"
  [ $rc = 0 ] || status=1
else
  echo "SKIP: JUnit gpu group (no target/gpu-pack)"
fi

run "bench (sk_gpu_bench: GEMMs at 4096 out/in, attention; default dispatch)" 90 bench.txt "$build/sk_gpu_bench" \
  --bsr-densities 0.1 --shapes 4096x4096x4096,512x4096x4096,128x4096x4096,16x4096x4096,1x4096x4096
grep -E "^ *[0-9]+x[0-9]+x[0-9]+ |^attention |^gather|^bsr" "$report/bench.txt" | cut -c1-200
# The same bench with every experimental variant (wide or decoupled 2:4, ping-pong attention, deep tiny-token 2:4), L2
# flushed as above: compare its lines with the default run's.
SPARSEKERNELS_HOPPER=experimental run "bench, experimental mode" 60 bench-experimental.txt "$build/sk_gpu_bench" \
  --bsr-densities 0.1 --shapes 4096x4096x4096,512x4096x4096,128x4096x4096,16x4096x4096,1x4096x4096
grep -E "^ *[0-9]+x[0-9]+x[0-9]+ |^attention |^gather|^bsr" "$report/bench-experimental.txt" | cut -c1-200
# And with mode on's cp.async Hopper kernels (the defaults before 2026-11-27).
SPARSEKERNELS_HOPPER=on run "bench, mode on" 60 bench-on.txt "$build/sk_gpu_bench" \
  --bsr-densities 0.1 --shapes 4096x4096x4096,512x4096x4096,128x4096x4096,16x4096x4096,1x4096x4096
grep -E "^ *[0-9]+x[0-9]+x[0-9]+ |^attention |^gather|^bsr" "$report/bench-on.txt" | cut -c1-200
# SK_GPU_RECHECK_TORCH=1: the PyTorch peers at the bench's 4096^3 shape (attention SDPA / flex, 2:4, BSR), so that
# the ratios against them come from the same host.
if [ "${SK_GPU_RECHECK_TORCH:-0}" = 1 ] && command -v python3 >/dev/null; then
  step "PyTorch peers"
  timeout -k 5 70 python3 ci/gpu/torch_peers.py --max-seconds 55 4096x4096x4096 > "$report/torch.jsonl" \
    2> "$report/torch-stderr.txt" || { tail -n 5 "$report/torch-stderr.txt"; echo "(torch peers failed, not fatal)"; }
  cut -c1-260 "$report/torch.jsonl"
fi
echo
echo "recheck: $([ $status = 0 ] && echo PASS || echo FAIL) (${SECONDS}s)"
exit $status
