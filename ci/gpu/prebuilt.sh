# Sourced by ci/gpu-check.sh and ci/gpu-recheck.sh: use_prebuilt DIR BUILD copies binaries built here for sm_90a by
# ci/gpu/prebuild.sh (DIR, carried to the host) into BUILD as if the host had built them (BUILD/sk_gpu_* and
# BUILD/out/libsparsekernels.so; gzipped there, as prebuild.sh leaves them to fit the carry limit beside the Java
# pack), so a Hopper host spends no device time compiling. Returns 1, with the reason printed, when DIR lacks them or
# they do not load here; the caller then builds.
use_prebuilt() {
  local dir=$1 build=$2 f name
  [ -f "$dir/sk_gpu_selftest.gz" ] && [ -f "$dir/libsparsekernels.so.gz" ] ||
    { echo "prebuilt: nothing usable in $dir"; return 1; }
  mkdir -p "$build/out" || return 1
  for f in "$dir"/*.gz; do
    name=$(basename "$f" .gz)
    case "$name" in
      libsparsekernels.so) gunzip -c "$f" > "$build/out/$name" ;;
      *) gunzip -c "$f" > "$build/$name" && chmod +x "$build/$name" ;;
    esac || { echo "prebuilt: unpacking $f failed"; return 1; }
  done
  cat "$dir/commit.txt" 2>/dev/null
  # The executables' run path names the build folder where they were made; the library's copy here is found this way.
  export LD_LIBRARY_PATH="$build/out${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ldd "$build/sk_gpu_selftest" | grep -q "not found"; then
    ldd "$build/sk_gpu_selftest" | grep "not found"
    echo "prebuilt: the binaries do not load here"
    return 1
  fi
  return 0
}
