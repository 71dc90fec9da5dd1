#!/usr/bin/env bash
# Builds libsparsekernels.so and the GPU self-test / bench executables for sm_90a here (nvcc needs no GPU) and copies
# them to target/gpu-prebuilt, which ci/gpu-recheck.sh uses under SK_GPU_PREBUILT instead of compiling on the Hopper
# host: about a minute of device time saved per call (a GPU session has 15). On 2 cores the build takes ~10 minutes.
#   bash ci/gpu/prebuild.sh [BUILD_DIR]   (default /tmp/sk-prebuild-90a; incremental)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-/tmp/sk-prebuild-90a}"
out="$root/target/gpu-prebuilt"
targets=(sk_gpu_selftest sk_gpu_bench sk_gpu_sm90_selftest sk_gpu_attention_sm90_selftest sk_gpu_bsr_sm90_selftest)
bash "$root/native/build.sh" "$build" "$build/out" on 90a
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"
rm -rf "$out" && mkdir -p "$out"
for t in "${targets[@]}"; do cp "$build/$t" "$out/"; done
cp "$build/out/libsparsekernels.so" "$out/"
# What the binaries were built from, printed by the recheck so that a log names its source.
{ echo "prebuilt from $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- native cuda || echo ' + uncommitted changes') on $(date -u +%F)"; } > "$out/commit.txt"
du -sh "$out"
