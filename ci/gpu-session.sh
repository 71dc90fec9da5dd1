#!/usr/bin/env bash
# A whole GPU session's work in one device call. A session has 15 minutes of device time, a machine takes minutes to
# start and goes back after 30 s idle, so one long call beats several short ones. In order of value, each part given
# what is left of SK_GPU_SESSION_SECONDS (default 560, for a call with timeout_s 600):
#   1. ci/gpu-check.sh (verdicts, bench against cuBLAS and PyTorch, JUnit gpu group, the experimental self-tests),
#      capped at SK_GPU_SESSION_CHECK_SECONDS (default 360: 291 s in session 16, before the pruned-encoder test and
#      two more 2:4 self-test rounds); its report packed into $OUT/check/gpu-report.tgz;
#   2. the bench in the experimental mode, same shapes as the recheck's (the candidates' same-process numbers against
#      the default run of step 1 and of step 3), in three processes (attention, gather, then the GEMMs: a trapping
#      never-run kernel costs only its own part), $OUT/bench-experimental.txt;
#   3. the bench in the default mode again, right after, so that 2 has a neighbour on the same warm host,
#      $OUT/bench-default.txt;
#   4. ci/gpu-profile.sh with what is left (Nsight Compute on the default kernels), $OUT/gpu-profile.tgz.
# Run from the repository root with the binaries built here (bash ci/gpu/prebuild.sh; bash ci/pack-jre.sh
# target/gpu-pack) and docs/ set aside (the carry's 64 MiB; docs/gpu/README.md):
#   run(command="SK_GPU_PREBUILT=target/gpu-prebuilt bash ci/gpu-session.sh",
#       carry=["target/gpu-pack", "target/gpu-prebuilt"], timeout_s=600)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1
out="${OUT:-$root/gpu-report}"
mkdir -p "$out"
exec > >(tee "$out/session.txt") 2>&1
deadline=${SK_GPU_SESSION_SECONDS:-560}
status=0
left() { echo $(( deadline - SECONDS )); }

echo "== [${SECONDS}s] gpu-check"
check_cap=${SK_GPU_SESSION_CHECK_SECONDS:-360}
mkdir -p "$out/check"
OUT="$out/check" SK_GPU_CHECK_SECONDS=$check_cap timeout -k 10 $(( check_cap + 30 )) bash ci/gpu-check.sh \
  > /dev/null 2>&1
rc=$?
echo "(gpu-check: exit $rc, ${SECONDS}s)"
[ $rc = 0 ] || status=1
# The verdict lines, here as well as in the packed report.
if [ -f "$out/check/gpu-report.tgz" ]; then
  tar xzf "$out/check/gpu-report.tgz" -O ./gpu-check.txt 2>/dev/null |
    grep -E "^(PASS|FAIL|SKIP)|^== |verdict" | cut -c1-200 | tail -n 80
fi

build="${SK_GPU_BUILD_DIR:-${TMPDIR:-/tmp}/sk-gpu-check-build}"
bench="$build/sk_gpu_bench"
shapes=4096x4096x4096,2048x4096x4096,512x4096x4096,128x4096x4096,16x4096x4096,1x4096x4096
# bench MODE FILE CAP [ARGS...]: a run of the bench under SPARSEKERNELS_HOPPER=MODE (empty: the default), appended to
# $out/FILE, for at most CAP seconds (and what is left).
bench_in() {
  local mode=$1 file=$2 cap=$3 t
  shift 3
  t=$(left)
  if [ ! -x "$bench" ] || (( t < 40 )); then echo "SKIP: bench ${mode:-default} $* (no bench or no time left)"; return; fi
  (( t > cap )) && t=$cap
  echo; echo "== [${SECONDS}s] bench, mode ${mode:-default} $*"
  SPARSEKERNELS_HOPPER=$mode timeout -k 5 "$t" "$bench" --max-seconds $(( t - 5 )) --bsr-densities 0.1 \
    --shapes "$shapes" "$@" > "$out/bench-part.txt" 2>&1
  local rc=$?
  { echo "== bench, mode ${mode:-default} $* (exit $rc)"; cat "$out/bench-part.txt"; } >> "$out/$file"
  grep -E "^ *[0-9]+x[0-9]+x[0-9]+ |^attention |^gather|^bsr" "$out/bench-part.txt" | cut -c1-200
  rm -f "$out/bench-part.txt"
  echo "(bench ${mode:-default} $*: exit $rc)"
  [ $rc = 0 ] || status=1
}
# The experimental mode in three processes, the candidates that only this bench measures first (BITS dense mask,
# ping-pong attention, PLANNED gather), the never-run 2:4 cluster kernels last: a kernel that traps leaves its CUDA
# context unusable, and one process would lose every number after it.
: > "$out/bench-experimental.txt"
bench_in experimental bench-experimental.txt 45 --attention-only
bench_in experimental bench-experimental.txt 20 --gather-only
bench_in experimental bench-experimental.txt 75 --no-attention --no-gather
: > "$out/bench-default.txt"
bench_in "" bench-default.txt 75

t=$(left)
if (( t >= 60 )); then
  echo; echo "== [${SECONDS}s] gpu-profile (${t}s left)"
  OUT="$out" SK_GPU_PROFILE_SECONDS=$(( t - 15 )) timeout -k 5 $(( t - 5 )) bash ci/gpu-profile.sh > /dev/null 2>&1
  echo "(gpu-profile: exit $?)"
  # gpu-profile.sh packs its folder into gpu-profile.tgz (the device tool brings back few files) and removes it.
  [ -f "$out/gpu-profile.tgz" ] && tar xzf "$out/gpu-profile.tgz" -O ./profile-summary.txt 2>/dev/null |
    cut -c1-160 | head -n 60
else
  echo "SKIP: gpu-profile (${t}s left)"
fi
echo
echo "session: $([ $status = 0 ] && echo PASS || echo FAIL) (${SECONDS}s)"
exit $status
