#!/usr/bin/env bash
# Builds libsparsekernels.so with CMake and copies it to an output folder. Called by Maven (native/pom.xml):
#   bash native/build.sh <cmake-build-dir> <output-dir> <cuda: auto|on|off> <archs: all | list like 90a or 80;86>
# Incremental: a second run with nothing changed only re-checks the CMake cache and the build graph.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: build.sh <cmake-build-dir> <output-dir> <auto|on|off> <all|arch list>" >&2
  exit 2
fi
build_dir=$1
out_dir=$2
cuda_mode=$3
archs=$4
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

find_nvcc() {
  local c
  if c=$(command -v nvcc 2>/dev/null); then echo "$c"; return 0; fi
  for c in /usr/local/cuda/bin/nvcc /usr/local/bin/nvcc; do
    if [[ -x $c ]]; then echo "$c"; return 0; fi
  done
  return 1
}

nvcc_path=""
case "$cuda_mode" in
  off) ;;
  auto) nvcc_path=$(find_nvcc || true) ;;
  on)
    if ! nvcc_path=$(find_nvcc); then
      echo "build.sh: CUDA requested (on) but nvcc was not found on PATH, /usr/local/cuda/bin or /usr/local/bin" >&2
      exit 1
    fi
    ;;
  *) echo "build.sh: cuda mode must be auto, on or off, got '$cuda_mode'" >&2; exit 2 ;;
esac

cmake_args=(-S "$src_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release)
if [[ -n $nvcc_path ]]; then
  cmake_args+=(-DSK_CUDA=ON "-DSK_CUDA_ARCHS=$archs" "-DCMAKE_CUDA_COMPILER=$nvcc_path")
else
  cmake_args+=(-DSK_CUDA=OFF)
fi
if command -v ninja >/dev/null 2>&1 && [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake_args+=(-G Ninja)
fi

mkdir -p "$build_dir" "$out_dir"
if ! cmake "${cmake_args[@]}" >"$build_dir/configure.log" 2>&1; then
  if [[ $cuda_mode == auto && -n $nvcc_path ]]; then
    # auto: an nvcc that CMake cannot use (broken toolkit, unsupported host compiler) means a host-only build.
    echo "build.sh: CMake could not use $nvcc_path (see $build_dir/configure.log); building host code only" >&2
    cp -f "$build_dir/configure.log" "$build_dir/configure-cuda-failed.log"
    nvcc_path=""
    cmake_args+=(-DSK_CUDA=OFF)
    cmake "${cmake_args[@]}" >"$build_dir/configure.log" 2>&1 || { cat "$build_dir/configure.log" >&2; exit 1; }
  else
    cat "$build_dir/configure.log" >&2
    exit 1
  fi
fi
# The build log keeps ptxas -v output (registers, spills); it is echoed only on failure to keep Maven quiet.
if ! cmake --build "$build_dir" --config Release -j2 >"$build_dir/build.log" 2>&1; then
  cat "$build_dir/build.log" >&2
  exit 1
fi

# Keep the ptxas -v report (registers, spills per kernel) of the last build that compiled CUDA code.
if grep -q "ptxas info" "$build_dir/build.log"; then cp -f "$build_dir/build.log" "$build_dir/ptxas.log"; fi

lib="$build_dir/libsparsekernels.so"
if ! cmp -s "$lib" "$out_dir/libsparsekernels.so"; then
  cp -f "$lib" "$out_dir/libsparsekernels.so"
fi

if [[ -n $nvcc_path ]]; then
  if [[ $archs == all ]]; then shown="sm_80;sm_86;sm_89;sm_90a + compute_80 PTX"; else shown="$archs"; fi
  echo "sparsekernels: CUDA kernels compiled with $nvcc_path for $shown -> $out_dir/libsparsekernels.so"
else
  echo "sparsekernels: host-only build, no CUDA kernels (cuda=$cuda_mode) -> $out_dir/libsparsekernels.so"
fi
