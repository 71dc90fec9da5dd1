#!/usr/bin/env bash
# Builds libsparsekernels.so and the GPU self-test / bench executables for sm_90a here (nvcc needs no GPU) and copies
# them to target/gpu-prebuilt, which ci/gpu-check.sh and ci/gpu-recheck.sh use under SK_GPU_PREBUILT instead of
# compiling on the Hopper host: 60-90 s of device time saved per call (a GPU session has 15). On 2 cores the build
# takes 2-10 minutes (incremental after the first).
#   bash ci/gpu/prebuild.sh [BUILD_DIR]   (default /tmp/sk-prebuild-90a; incremental)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-/tmp/sk-prebuild-90a}"
out="$root/target/gpu-prebuilt"
targets=(sk_gpu_selftest sk_gpu_bench sk_gpu_sm90_selftest sk_gpu_attention_sm90_selftest sk_gpu_bsr_sm90_selftest)
bash "$root/native/build.sh" "$build" "$build/out" on 90a
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"
rm -rf "$out" && mkdir -p "$out"
# gzipped: 4.5 MB instead of 17, so the folder fits the device tool's 64 MiB carry beside target/gpu-pack.
for t in "${targets[@]}"; do gzip -9 -c "$build/$t" > "$out/$t.gz"; done
gzip -9 -c "$build/out/libsparsekernels.so" > "$out/libsparsekernels.so.gz"
# What the binaries were built from, printed by the recheck so that a log names its source.
{ echo "prebuilt from $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- native cuda || echo ' + uncommitted changes') on $(date -u +%F)"; } > "$out/commit.txt"
du -sh "$out"
