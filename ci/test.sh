#!/usr/bin/env bash
# Builds everything, compiles every CUDA kernel when nvcc is present, and runs all tests (the GPU group only on a
# GPU host, through ci/gpu-check.sh). Then smoke-tests the shaded jar on JDK 17 (JavaCPP binding, CPU kernels).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. ci/lib/jdk.sh

jdk=$(sk_find_jdk) || { echo "ci/test.sh: no JDK 22+ found (Temurin 25 expected in /usr/lib/jvm)" >&2; exit 1; }
export JAVA_HOME="$jdk"
echo "== JDK: $JAVA_HOME"
command -v cmake >/dev/null || { echo "ci/test.sh: cmake is required" >&2; exit 1; }
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "== nvcc found: CUDA kernels will be compiled for sm_80, sm_86, sm_89, sm_90a"
else
  echo "== nvcc not found: host-only native library"
fi

mvn -B -ntp -Dsk.cuda=auto install "$@"

echo "== native host tests and the CPU emulations of the CUDA kernels' index math"
# The Maven build configured native/target/cmake; these targets are host C++ (no GPU needed). sk_host_test checks
# every C ABI argument path; the emulations run whole CTAs of the GEMM, attention and Hopper attention kernels, and
# whole grids of the planned column gather, on the CPU through the kernels' own index math (the quick GEMM set: the
# full one takes ~40 s more).
cmake --build native/target/cmake --target sk_host_test sk_kernel_emulation_test sk_attention_emulation_test \
  sk_attention_sm90_emulation_test sk_gather_emulation_test -j2 > native/target/cmake/tests-build.log 2>&1 ||
  { tail -n 40 native/target/cmake/tests-build.log; exit 1; }
native/target/cmake/sk_host_test
native/target/cmake/sk_kernel_emulation_test --quick
native/target/cmake/sk_attention_emulation_test
native/target/cmake/sk_attention_sm90_emulation_test
native/target/cmake/sk_gather_emulation_test

echo "== GPU report tools (merge_report pairing, torch_peers helpers; no GPU or PyTorch needed)"
if command -v python3 >/dev/null; then
  python3 ci/gpu/test_gpu_report.py
else
  echo "no python3 on this machine: skipped"
fi

echo "== JDK 17 smoke test of the shaded jar"
if jdk17=$(sk_find_jdk17); then
  bash ci/jdk17-smoke.sh "$jdk17/bin/java" cli/target/sparsekernels.jar
else
  echo "no JDK 17 on this machine: skipped"
fi
echo "== ci/test.sh: all passed"
