#!/usr/bin/env bash
# Packs a minimal Java runtime (jlink) plus the sparsekernels jars, for GPU hosts that have no Java installed.
#
# Usage: ci/pack-jre.sh [OUT_DIR] [JAR...]
#   OUT_DIR  where to put the pack (default: target/gpu-pack); gets OUT_DIR/jre, OUT_DIR/lib and OUT_DIR/test
#   JAR...   jars to copy into OUT_DIR/lib (default: cli/target/sparsekernels.jar when it exists)
#
# OUT_DIR/test is what ci/gpu/junit-gpu.sh needs to run the JUnit gpu group (@Tag("gpu") tests) on the host:
# junit-platform-console-standalone.jar (java-api's build copies it to java-api/target/gpu-tests) and
# sparsekernels-tests.jar (java-api/target/test-classes; files over 1 MiB are left out). No jqwik: no gpu test uses
# it. Missing either, the pack is made without them and gpu-check.sh skips that step. SK_PACK_TESTS=0 leaves them out.
#
# The runtime gets a fixed base set of modules (what the kernels, bindings and JMH need, including
# jdk.incubator.vector) plus whatever `jdeps --print-module-deps` finds in the given jars.
# The JDK is $JAVA_HOME if it is 22 or newer, else /usr/lib/jvm/temurin-25-jdk-amd64, else the newest
# /usr/lib/jvm/* that is 22 or newer. Environment: EXTRA_MODULES=mod1,mod2 adds modules; DROP_MODULES=mod1,mod2
# removes them (default java.desktop, only the demo's chart needs it; DROP_MODULES= keeps everything).
#
# OUT_DIR/minilm (SK_PACK_MINILM=0 leaves it out) is the MiniLM oracle folder of ci/gpu/pack-minilm.sh for the GPU
# group's MiniLM test. libjvm.so and the MiniLM weights are gzipped (SK_PACK_GZIP=0 keeps libjvm.so as is): with
# them, the pack (about 55 MiB) and ci/gpu/prebuild.sh's binaries (4 MiB) fit the device tool's 64 MiB carry. The GPU
# scripts run ci/gpu/unpack.sh first, which restores both.
#
# Run on the target:  bash ci/gpu/unpack.sh OUT_DIR; OUT_DIR/jre/bin/java --add-modules jdk.incubator.vector \
#                       --enable-native-access=ALL-UNNAMED -jar OUT_DIR/lib/sparsekernels.jar ...
set -euo pipefail

die() { echo "pack-jre: error: $*" >&2; exit 1; }
info() { echo "pack-jre: $*"; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_MODULES="java.base,java.logging,java.management,java.xml,jdk.management,jdk.unsupported,jdk.incubator.vector"
MIN_JDK=22

# --- arguments -------------------------------------------------------------------------------------
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
OUT="${1:-target/gpu-pack}"
[[ $# -gt 0 ]] && shift
JARS=()
if [[ $# -gt 0 ]]; then
  for j in "$@"; do
    [[ -f "$j" ]] || die "jar not found: $j"
    JARS+=("$j")
  done
elif [[ -f "$REPO_ROOT/cli/target/sparsekernels.jar" ]]; then
  JARS+=("$REPO_ROOT/cli/target/sparsekernels.jar")
else
  info "warning: no jars given and $REPO_ROOT/cli/target/sparsekernels.jar does not exist" \
       "(build it with: mvn -pl cli -am package); packing the runtime only"
fi

# --- find a JDK with jlink, version >= 22 ---------------------------------------------------------
jdk_major() { # prints the feature version of the JDK at $1, or nothing
  local rel="$1/release" v
  [[ -x "$1/bin/jlink" && -x "$1/bin/jdeps" && -f "$rel" ]] || return 0
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
  return 0
}
pick_jdk() {
  local c v
  if [[ -n "${JAVA_HOME:-}" ]]; then
    v="$(jdk_major "$JAVA_HOME")"
    if [[ -n "$v" && "$v" -ge $MIN_JDK ]]; then echo "$JAVA_HOME"; return; fi
    info "JAVA_HOME=$JAVA_HOME is not a JDK $MIN_JDK+ with jlink (version: ${v:-unknown}); looking elsewhere" >&2
  fi
  c=/usr/lib/jvm/temurin-25-jdk-amd64
  v="$(jdk_major "$c")"
  if [[ -n "$v" && "$v" -ge $MIN_JDK ]]; then echo "$c"; return; fi
  # newest first; *25* before others of the same version doesn't matter
  local best="" best_v=0
  for c in /usr/lib/jvm/*/; do
    c="${c%/}"
    v="$(jdk_major "$c")"
    if [[ -n "$v" && "$v" -ge $MIN_JDK && "$v" -gt $best_v ]]; then best="$c"; best_v="$v"; fi
  done
  [[ -n "$best" ]] && echo "$best"
  return 0
}
JDK="$(pick_jdk)"
[[ -n "$JDK" ]] || die "no JDK $MIN_JDK+ with jlink found (tried \$JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64, /usr/lib/jvm/*); set JAVA_HOME to one"
JDK_VERSION="$(jdk_major "$JDK")"
info "using JDK $JDK_VERSION at $JDK"

# --- the JUnit gpu group -------------------------------------------------------------------------
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
TEST_JARS=()
if [[ "${SK_PACK_TESTS:-1}" != 0 ]]; then
  CONSOLE="$REPO_ROOT/java-api/target/gpu-tests/junit-platform-console-standalone.jar"
  TEST_CLASSES="$REPO_ROOT/java-api/target/test-classes"
  if [[ ! -f "$CONSOLE" ]]; then
    info "warning: $CONSOLE does not exist (build it with: mvn -pl cli -am package -DskipTests);" \
         "packing without the JUnit gpu group (gpu-check.sh will SKIP it)"
  elif ! compgen -G "$TEST_CLASSES/dev/sparsekernels/*Test.class" >/dev/null; then
    info "warning: no test classes in $TEST_CLASSES (build without -Dmaven.test.skip);" \
         "packing without the JUnit gpu group (gpu-check.sh will SKIP it)"
  else
    mkdir -p "$STAGE/test-classes"
    cp -R "$TEST_CLASSES/." "$STAGE/test-classes/"
    while IFS= read -r -d '' big; do
      info "left out of the test jar: ${big#"$STAGE/test-classes/"} ($(du -h "$big" | cut -f1))"
      rm -f -- "$big"
    done < <(find "$STAGE/test-classes" -type f -size +1024k -print0)
    "$JDK/bin/jar" --create --file "$STAGE/sparsekernels-tests.jar" -C "$STAGE/test-classes" . \
      || die "jar failed on $TEST_CLASSES"
    cp -- "$CONSOLE" "$STAGE/junit-platform-console-standalone.jar"
    TEST_JARS=("$STAGE/junit-platform-console-standalone.jar" "$STAGE/sparsekernels-tests.jar")
    info "JUnit gpu group: $(unzip -p "$CONSOLE" META-INF/MANIFEST.MF 2>/dev/null |
      sed -n 's/^Implementation-Version: *\([^[:space:]]*\).*/console launcher \1, /p')test jar of" \
      "$(find "$STAGE/test-classes" -name '*.class' | wc -l | tr -d ' ') classes"
  fi
fi

# --- module list ---------------------------------------------------------------------------------
MODULES="$BASE_MODULES"
# jdeps reads the test jars too (it finds java.sql in the console launcher's shaded CSV parser).
SCANNED=(${JARS[@]+"${JARS[@]}"} ${TEST_JARS[@]+"${TEST_JARS[@]}"})
if [[ ${#SCANNED[@]} -gt 0 ]]; then
  JDEPS_LOG="$STAGE/jdeps.log"
  if DEPS="$("$JDK/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$JDK_VERSION" \
                "${SCANNED[@]}" 2>"$JDEPS_LOG")"; then
    DEPS="$(echo "$DEPS" | tail -n 1 | tr -d '[:space:]')"
    info "jdeps found modules: ${DEPS:-none}"
    [[ -n "$DEPS" ]] && MODULES="$MODULES,$DEPS"
  else
    info "warning: jdeps failed on the jars, using the base module set only:"
    sed 's/^/    /' "$JDEPS_LOG" | head -n 3 >&2
  fi
fi
# JUnit scans the test jar as a zip file system: a service provider, which jdeps does not see.
[[ ${#TEST_JARS[@]} -gt 0 ]] && MODULES="$MODULES,jdk.zipfs"
[[ -n "${EXTRA_MODULES:-}" ]] && MODULES="$MODULES,$EXTRA_MODULES"
# java.desktop comes from the demo's chart (PNG) code; a GPU host runs verify, bench and the JUnit gpu group, never
# the chart, and the module's ~10 MiB pushes the pack over the device tool's 64 MiB carry limit.
DROP="${DROP_MODULES-java.desktop}"
MODULES="$(echo "$MODULES" | tr ',' '\n' | sed '/^$/d' | grep -vxF -e "${DROP//,/$'\n'}" -e '' | sort -u | paste -sd, -)"
info "modules: $MODULES"

# --- jlink ---------------------------------------------------------------------------------------
mkdir -p "$OUT"
rm -rf "${OUT:?}/jre" "${OUT:?}/lib" "${OUT:?}/test" "${OUT:?}/minilm" # only what this script creates; jlink refuses an existing output folder
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
  --output "$OUT/jre" || die "jlink failed (see above)"
# libjvm.so keeps its symbol table through --strip-debug: 5 MB of the 64 MiB the device tool carries, which the
# prebuilt GPU binaries (ci/gpu/prebuild.sh) need beside the pack.
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$OUT/jre/lib/server/libjvm.so" 2>/dev/null || info "could not strip libjvm.so (kept as is)"
fi

mkdir -p "$OUT/lib"
if [[ ${#JARS[@]} -gt 0 ]]; then
  cp -- "${JARS[@]}" "$OUT/lib/"
  info "copied ${#JARS[@]} jar(s) into $OUT/lib"
fi
if [[ ${#TEST_JARS[@]} -gt 0 ]]; then
  mkdir -p "$OUT/test"
  cp -- "${TEST_JARS[@]}" "$OUT/test/"
fi

# --- check, shrink and report ---------------------------------------------------------------------
"$OUT/jre/bin/java" --add-modules jdk.incubator.vector -version >/dev/null 2>&1 \
  || die "the packed runtime does not start: $OUT/jre/bin/java --add-modules jdk.incubator.vector -version"
# The MiniLM oracle folder for the JUnit gpu group (ci/gpu/pack-minilm.sh; about 20 MiB), unless SK_PACK_MINILM=0.
if [[ "${SK_PACK_MINILM:-1}" != 0 && -d "$OUT/test" ]]; then
  bash "$REPO_ROOT/ci/gpu/pack-minilm.sh" "$OUT/minilm" \
    || info "warning: no MiniLM oracle folder in the pack (see above); its GPU test will be skipped there"
fi
# libjvm.so gzipped: 24 MB down to 9, so the pack, the MiniLM folder and ci/gpu/prebuild.sh's binaries fit the device
# tool's 64 MiB carry together. ci/gpu/unpack.sh restores it on the host before the first java call (SK_PACK_GZIP=0:
# keep it as is).
if [[ "${SK_PACK_GZIP:-1}" != 0 ]]; then
  gzip -9 "$OUT/jre/lib/server/libjvm.so"
  info "gzipped libjvm.so (ci/gpu/unpack.sh $OUT restores it)"
fi
mib() { du -sb "$@" | awk '{ s += $1 } END { printf "%.1f MiB", s / 1048576 }'; }
info "runtime: $(mib "$OUT/jre"), jars: $(mib "$OUT/lib")$([[ -d "$OUT/test" ]] &&
  echo ", JUnit gpu group: $(mib "$OUT/test")")$([[ -d "$OUT/minilm" ]] && echo ", MiniLM oracle: $(mib "$OUT/minilm")")"
TOTAL_BYTES="$(du -sb "$OUT" | cut -f1)"
info "total size of $OUT: $(mib "$OUT") ($TOTAL_BYTES bytes; the device tool carries at most 64 MiB)"
(( TOTAL_BYTES < 60 * 1048576 )) || info "warning: the pack is within 4 MiB of the 64 MiB carry limit, or over it"
info "run with (after bash ci/gpu/unpack.sh $OUT): $OUT/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar $OUT/lib/<jar> ..."
