#!/usr/bin/env bash
# GPU host check, prepared to finish in under 6 minutes: build the library for the local GPU, run the native
# self-test (every kernel vs an fp64 host reference), the benchmark against cuBLAS (sk_gpu_bench, verified against
# cuBLAS before timing), the PyTorch peers, a short compute-sanitizer pass, the Java twin check (GPU vs CPU twin
# through both bindings) and the JUnit gpu group (@Tag("gpu") tests of java-api, through both bindings), then merge
# everything into one report. Report in $OUT (or gpu-report/):
#   gpu-check.txt (this log), selftest.txt, sm90.txt, sm90-sparse24.txt, bench.txt, bench.json, torch.jsonl,
#   memcheck.txt, verify-*.txt,
#   junit-gpu.txt (+ junit-gpu-xml/), build.log / ptxas.log, summary.md, and docs/gpu/YYYY-MM-DD-<gpu>.json (copy
#   it into the repo's docs/gpu/).
#
# Time: every step runs under `timeout`, capped by what is left of SK_GPU_CHECK_SECONDS (default 350 s; the merge
# and summary get the last seconds), in priority order; a step that no longer fits prints SKIP. Expected on an
# H100: build ~30 s, self-test ~20 s, bench ~45 s, torch ~30 s, memcheck ~30 s, Java ~2 x 20 s, JUnit gpu group
# ~2 x 30 s (an estimate: the twin check again plus the concurrency and fault tests; not yet timed on a GPU host).
#
# Java: uses target/gpu-pack (from ci/pack-jre.sh, carried to the host) or any JDK 22+ on the host; the JUnit gpu
# group needs the pack's test/ folder (or java-api/target/test-classes and gpu-tests/ from a Maven build).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
report="${OUT:-$root/gpu-report}"
mkdir -p "$report"
log="$report/gpu-check.txt"
exec > >(tee "$log") 2>&1
status=0
deadline=${SK_GPU_CHECK_SECONDS:-350}
shapes="4096x4096x4096 2048x4096x4096 512x4096x4096 16x4096x4096 1x4096x4096 4096x4096x11008"
checks=()  # NAME=STATUS for the merged report
step_start=0
step() { echo; echo "== [${SECONDS}s] $*"; step_start=$SECONDS; }
took() { echo "($(( SECONDS - step_start ))s)"; }
fail() { echo "FAIL: $*"; status=1; }
# budget CAP MIN: prints the timeout for the next step (CAP, or what is left before the deadline), or fails when
# fewer than MIN seconds are left.
budget() {
  local left=$(( deadline - SECONDS ))
  if (( left < $2 )); then return 1; fi
  if (( left < $1 )); then echo "$left"; else echo "$1"; fi
}

step "device"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader || fail "nvidia-smi"
# Two hosts of the same GPU model have differed by ~25% in whole-run speed: record clocks and power limit with it.
nvidia-smi --query-gpu=clocks.sm,clocks.max.sm,clocks.mem,power.limit,temperature.gpu --format=csv 2>/dev/null || true
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')
case "$cap" in
  90) arch="90a" ;;
  80|86|89) arch="$cap" ;;
  "") arch="all"; echo "note: no compute capability from nvidia-smi: building for all architectures" ;;
  *) arch="$cap"; echo "note: compute capability $cap is not one we tune for" ;;
esac
nvcc --version | tail -n 2

step "build libsparsekernels.so, sk_gpu_selftest and sk_gpu_bench for sm_$arch"
build="${SK_GPU_BUILD_DIR:-${TMPDIR:-/tmp}/sk-gpu-check-build}"  # outside $report: object files need not come back
lib="$build/out/libsparsekernels.so"
built=0
. "$root/ci/gpu/prebuilt.sh"
# SK_GPU_PREBUILT=DIR (carried; ci/gpu/prebuild.sh): the library and executables built beforehand for sm_90a. Its
# sk_gpu_bench reaches cuBLAS through the library at run time. Saves the 60-90 s the build takes here.
if [ -n "${SK_GPU_PREBUILT:-}" ] && [ "$arch" = 90a ] && use_prebuilt "$SK_GPU_PREBUILT" "$build"; then
  built=1
  checks+=("build=PASS:prebuilt")
elif t=$(budget 150 30); then
  if timeout -k 5 "$t" bash native/build.sh "$build" "$build/out" on "$arch" &&
     timeout -k 5 "$(budget 120 10 || echo 10)" cmake --build "$build" --target sk_gpu_selftest sk_gpu_bench sk_gpu_sm90_selftest \
       sk_gpu_bsr_sm90_selftest sk_gpu_attention_sm90_selftest \
       -j "$(nproc)" > "$build/targets.log" 2>&1; then
    built=1
    grep -E "sk_gpu_bench: " "$build/configure.log" || true
    checks+=("build=PASS")
  else
    tail -n 40 "$build/targets.log" 2>/dev/null
    fail "native build"
    checks+=("build=FAIL")
  fi
  cp -f "$build/build.log" "$report/build.log" 2>/dev/null
  cp -f "$build/ptxas.log" "$report/ptxas.log" 2>/dev/null
  cp -f "$build/targets.log" "$report/targets.log" 2>/dev/null
else
  fail "no time left for the build"
fi
selftest="$build/sk_gpu_selftest"
bench="$build/sk_gpu_bench"
took

step "native self-test (kernels vs fp64 host reference)"
if [ $built = 1 ] && [ -x "$selftest" ] && t=$(budget 90 20); then
  timeout -k 5 "$t" "$selftest" > "$report/selftest.txt" 2>&1
  rc=$?
  grep -E "^(PASS|FAIL|SKIP|TIME)" "$report/selftest.txt" | grep -vE "^PASS (tokens|probe|BSR|gather_|channel_stats)" | tail -n 12
  if [ "$rc" != 0 ]; then
    [ "$rc" = 2 ] || tail -n 20 "$report/selftest.txt"  # 2: no GPU, already shown by its SKIP line
    fail "native self-test (exit $rc)"
  fi
else
  echo "SKIP: native self-test (not built or no time left)"
fi
took

# experimental NAME CAP REPORT SKIP_RE EXE [ARGS...]: runs one unverified kernel's self-test in a process of its own
# (a bad descriptor can fault and poison the CUDA context) and records NAME (experimental) outside the verdict.
experimental() {
  local name=$1 cap=$2 out="$report/$3" skip_re=$4 exe=$5 t rc
  shift 5
  if [ $built = 1 ] && [ -x "$exe" ] && t=$(budget "$cap" 15); then
    timeout -k 5 "$t" "$exe" "$@" > "$out" 2>&1
    rc=$?
    grep -E "^(PASS|FAIL|SKIP|TIME|RATIO|  wrong per warp)" "$out" | grep -vE "$skip_re" | tail -n 60
    case "$rc" in
      0) checks+=("$name (experimental)=PASS") ;;
      2) checks+=("$name (experimental)=SKIP") ;;
      *) tail -n 12 "$out"; checks+=("$name (experimental)=FAIL") ;;
    esac
  else
    echo "SKIP: $name (not built or no time left)"
    checks+=("$name (experimental)=SKIP")
  fi
}

sm90="$build/sk_gpu_sm90_selftest"
step "experimental Hopper 2:4 GEMM (wgmma.mma_async.sp; own process, not part of the verdict until verified)"
# ~140 small cases (20 per kernel variant) and timings at 4096, 512, 128, 16 and 1 tokens: ~15 seconds when it works;
# the cap only bounds a hang or a trap (the decoupled pipelines run after the lockstep ones, the TMA ones last).
# Since session 25 two more rounds: 16-bit outputs staged, then three cluster kernels (~15 s more).
experimental "sm90 2:4" 65 sm90-sparse24.txt \
  "^PASS sm90 2:4( wide| decoupled| wide decoupled| tma| tma wide| tma wide persistent| tma wide cluster 2x1| tma wide cluster 1x2| tma wide cluster 2x2| tma wide staged)? tokens" \
  "$sm90" sparse24
took

step "experimental Hopper BSR GEMM (wgmma, 64x64 blocks; own process, not part of the verdict until verified)"
# Five passes of 18 cases and a 4096^3 timing: 128-token CTAs, 256-token CTAs, the persistent TMA kernel (the
# default), the same with 256 tokens per item (experimental; the TMA ones last), the default with the item order before
# session 16 (SPARSEKERNELS_BSR_ORDER=plain) for comparison.
experimental "bsr sm90" 35 bsr-sm90.txt "^PASS bsr sm90 tokens" "$build/sk_gpu_bsr_sm90_selftest"
took

step "experimental Hopper attention (wgmma, D 64/128, causal / key lengths; own process, not part of the verdict until verified)"
# ~20 small cases and three timed shapes (ours and sk_attention) in the mode-on and default passes ("overlap tma"),
# two causal shapes in the CTA order before session 16 ("heads one by one") for comparison, the lean MMAs and folded
# softmax on the default ring ("overlap tma lean", session 26), then the experimental pass ("overlap tma ping-pong",
# session 18, last so that a hang costs nothing else): 3-4 seconds each when it works (11 s for three passes in
# session 16); the cap only bounds a hang or a trap.
experimental "attn sm90" 35 attention-sm90.txt "^PASS attn sm90 " "$build/sk_gpu_attention_sm90_selftest"
took

step "benchmark: ours vs cuBLAS (sk_gpu_bench)"
if [ $built = 1 ] && [ -x "$bench" ] && t=$(budget 120 30); then
  # --max-seconds keeps the bench itself inside its timeout (cases past it are skipped and recorded as such).
  timeout -k 5 "$t" "$bench" --json "$report/bench.json" --max-seconds $(( t - 20 > 10 ? t - 20 : 10 )) \
    --shapes "${shapes// /,}" 2>&1 | tee "$report/bench.txt" | grep -vE "^PASS verify"
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || fail "sk_gpu_bench (exit $rc)"
else
  echo "SKIP: benchmark (not built or no time left)"
fi
took

step "PyTorch peers"
if command -v python3 >/dev/null && t=$(budget 110 25); then
  # shellcheck disable=SC2086  # $shapes: one argument per shape
  timeout -k 5 "$t" python3 ci/gpu/torch_peers.py --max-seconds $(( t - 15 > 10 ? t - 15 : 10 )) $shapes \
    > "$report/torch.jsonl" 2> "$report/torch-stderr.txt"
  rc=$?
  cat "$report/torch.jsonl"
  [ $rc = 0 ] || { tail -n 5 "$report/torch-stderr.txt"; echo "torch peers failed (exit $rc, not fatal)"; }
else
  echo "SKIP: PyTorch peers (no python3 or no time left)"
fi
took

step "compute-sanitizer memcheck (self-test without its timing)"
if command -v compute-sanitizer >/dev/null && [ $built = 1 ] && [ -x "$selftest" ] && t=$(budget 90 30); then
  if SK_SELFTEST_QUICK=1 timeout -k 5 "$t" compute-sanitizer --tool memcheck --error-exitcode 3 "$selftest" \
      > "$report/memcheck.txt" 2>&1; then
    echo "PASS memcheck"
    checks+=("memcheck=PASS")
  else
    tail -n 30 "$report/memcheck.txt"
    fail "memcheck"
    checks+=("memcheck=FAIL")
  fi
else
  echo "SKIP: memcheck (no compute-sanitizer, nothing built or no time left)"
  checks+=("memcheck=SKIP")
fi
took

step "Java twin check (GPU vs CPU twin, both bindings)"
# The library loads cuBLAS at run time for dense layers (sk_blas_gemm): point the loader at the toolkit's copy.
cuda_root=$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /usr/local/cuda/bin/nvcc)")")
for d in "$cuda_root/lib64" "$cuda_root/targets/x86_64-linux/lib"; do
  if ls "$d"/libcublas.so* >/dev/null 2>&1; then
    export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuBLAS for dense layers: $d"
    break
  fi
done
bash ci/gpu/unpack.sh target/gpu-pack || true   # libjvm.so travels gzipped (ci/pack-jre.sh)
java=""
jar=""
if [ -x target/gpu-pack/jre/bin/java ]; then java=target/gpu-pack/jre/bin/java; jar=target/gpu-pack/lib/sparsekernels.jar
elif command -v java >/dev/null; then java=java; jar=cli/target/sparsekernels.jar; fi
verify_args=()
if [ -n "$java" ] && [ -f "$jar" ] && [ $built = 1 ]; then
  for binding in panama javacpp; do
    if t=$(budget 90 20); then
      timeout -k 5 "$t" "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -Dsparsekernels.library.path="$lib" -Dsparsekernels.binding=$binding -jar "$jar" verify \
        > "$report/verify-$binding.txt" 2>&1 || fail "Java twin check ($binding)"
      grep -vE "^PASS " "$report/verify-$binding.txt" | tail -n 8
      verify_args+=(--verify "$binding=$report/verify-$binding.txt")
    else
      echo "SKIP: Java twin check ($binding): no time left"
      checks+=("java twin check $binding=SKIP")
    fi
  done
else
  echo "SKIP: Java twin check (no Java runtime or jar: run ci/pack-jre.sh and carry target/gpu-pack)"
  checks+=("java twin check=SKIP")
fi
took

step "JUnit gpu group (CUDA concurrency, CUDA faults, CUDA vs CPU twin, MiniLM; both bindings)"
# ci/gpu/junit-gpu.sh runs the console launcher from the pack's test/ folder on the library built above. The MiniLM
# test runs against the pack's oracle folder (ci/gpu/pack-minilm.sh: F16 weights and ONNX Runtime's embeddings made
# here); a pack without one skips (aborts) it with its reason.
junit_txt="$report/junit-gpu.txt"
: > "$junit_txt"
if [ -n "$java" ] && [ -f "$jar" ] && [ $built = 1 ]; then
  for binding in panama javacpp; do
    if t=$(budget 100 30); then
      echo "== binding $binding, timeout ${t}s" >> "$junit_txt"
      timeout -k 5 "$t" bash ci/gpu/junit-gpu.sh --java "$java" --jar "$jar" --lib "$lib" --binding $binding \
        --reports-dir "$report/junit-gpu-xml/$binding" 2>&1 | tee -a "$junit_txt" |
        grep -E "^  (binding|deviceCount|lastError):|\[(X|A)\]|^ *=> |^junit-gpu( $binding)?: (PASS|FAIL|SKIP)" |
        cut -c1-300
      rc=${PIPESTATUS[0]}
      echo >> "$junit_txt"
      # "junit-gpu panama: PASS 5 found, 4 successful, 0 failed, 1 aborted" -> the counts, as the check's detail
      result=$(grep -E "^junit-gpu $binding: (PASS|FAIL) " "$junit_txt" | tail -n 1 | cut -d' ' -f4-)
      case "$rc" in
        0) checks+=("junit gpu group $binding=PASS:$result") ;;
        3) checks+=("junit gpu group $binding=SKIP:$(grep "^junit-gpu: SKIP" "$junit_txt" | tail -n 1 | cut -c17-)") ;;
        124|137) fail "JUnit gpu group ($binding): timed out after ${t}s"
          checks+=("junit gpu group $binding=FAIL:timed out after ${t}s${result:+, }$result") ;;
        *) fail "JUnit gpu group ($binding, exit $rc)"
          checks+=("junit gpu group $binding=FAIL:${result:-exit $rc, no launcher summary}") ;;
      esac
    else
      echo "SKIP: JUnit gpu group ($binding): no time left"
      checks+=("junit gpu group $binding=SKIP:no time left")
    fi
  done
else
  echo "SKIP: JUnit gpu group (no Java runtime, no jar or no library built)"
  checks+=("junit gpu group=SKIP:no Java runtime, no jar or no library built")
fi
took

# Last but one: our dense wgmma kernel against cuBLAS (dense layers run on cuBLAS where the host has it, so this is the
# least needed timing; its fp64-reference cases take ~35 s, which a slow build once took from the JUnit group).
step "experimental Hopper dense GEMM (wgmma; own process, not part of the verdict until verified)"
experimental "sm90 dense" 30 sm90.txt "^PASS sm90 dense( inflight)? tokens" "$sm90" dense
took

step "native self-test in the experimental mode (SPARSEKERNELS_HOPPER=experimental; outside the verdict)"
# The same fp64-reference cases through every experimental variant (sparsekernels.h, sk_hopper_kernels: 2:4 on
# persistent TMA CTAs, BSR with 256 tokens per TMA item, dense masks on the software-pipelined TMA attention kernel,
# the PLANNED column gather, the cp.async software-pipelined attention, in-flight dense): ~10 s when they work. Last, so that a
# hang there (40 s at most) costs only time nothing else needed.
experimental "selftest experimental mode" 40 selftest-experimental.txt "^PASS " /usr/bin/env \
  SPARSEKERNELS_HOPPER=experimental "$selftest"
took

step "summary"
if command -v python3 >/dev/null; then
  check_args=()
  for c in ${checks[@]+"${checks[@]}"}; do check_args+=(--check "$c"); done
  timeout -k 5 30 python3 ci/gpu/merge_report.py --bench "$report/bench.json" --torch "$report/torch.jsonl" \
    --selftest "$report/selftest.txt" ${verify_args[@]+"${verify_args[@]}"} ${check_args[@]+"${check_args[@]}"} \
    --out-dir "$report/docs/gpu" --markdown "$report/summary.md" || fail "a kernel check failed (see above)"
else
  grep -hE "^(PASS|FAIL)" "$report"/selftest.txt "$report"/bench.txt "$report"/verify-*.txt 2>/dev/null |
    cut -c1-4 | sort | uniq -c
fi
echo "total ${SECONDS}s"
# The device tool brings back only a few files per call: under $OUT, pack everything into one archive and keep
# the log still streaming to stdout. Unpack it here, then commit docs/gpu/<date>-<gpu>.json.
if [ -n "${OUT:-}" ] && [ "$report" = "$OUT" ] && [ "${SK_GPU_CHECK_PACK:-1}" = 1 ]; then
  tar czf /tmp/sk-gpu-report.tgz -C "$report" . && find "$report" -mindepth 1 -delete &&
    mv /tmp/sk-gpu-report.tgz "$report/gpu-report.tgz"
fi
if [ $status = 0 ]; then echo "gpu-check: PASS"; else echo "gpu-check: FAIL"; fi
exit $status
