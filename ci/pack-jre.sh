#!/usr/bin/env bash
# Packs a minimal Java runtime (jlink) plus the sparsekernels jars, for GPU hosts that have no Java installed.
#
# Usage: ci/pack-jre.sh [OUT_DIR] [JAR...]
#   OUT_DIR  where to put the pack (default: target/gpu-pack); gets OUT_DIR/jre and OUT_DIR/lib
#   JAR...   jars to copy into OUT_DIR/lib (default: cli/target/sparsekernels.jar when it exists)
#
# The runtime gets a fixed base set of modules (what the kernels, bindings and JMH need, including
# jdk.incubator.vector) plus whatever `jdeps --print-module-deps` finds in the given jars.
# The JDK is $JAVA_HOME if it is 22 or newer, else /usr/lib/jvm/temurin-25-jdk-amd64, else the newest
# /usr/lib/jvm/* that is 22 or newer. Environment: EXTRA_MODULES=mod1,mod2 adds modules.
#
# Run on the target:  OUT_DIR/jre/bin/java --add-modules jdk.incubator.vector \
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

# --- module list ---------------------------------------------------------------------------------
MODULES="$BASE_MODULES"
if [[ ${#JARS[@]} -gt 0 ]]; then
  JDEPS_LOG="$(mktemp)"
  trap 'rm -f "$JDEPS_LOG"' EXIT
  if DEPS="$("$JDK/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$JDK_VERSION" \
                "${JARS[@]}" 2>"$JDEPS_LOG")"; then
    DEPS="$(echo "$DEPS" | tail -n 1 | tr -d '[:space:]')"
    info "jdeps found modules: ${DEPS:-none}"
    [[ -n "$DEPS" ]] && MODULES="$MODULES,$DEPS"
  else
    info "warning: jdeps failed on the jars, using the base module set only:"
    sed 's/^/    /' "$JDEPS_LOG" | head -n 3 >&2
  fi
fi
[[ -n "${EXTRA_MODULES:-}" ]] && MODULES="$MODULES,$EXTRA_MODULES"
MODULES="$(echo "$MODULES" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
info "modules: $MODULES"

# --- jlink ---------------------------------------------------------------------------------------
mkdir -p "$OUT"
rm -rf "$OUT/jre" "$OUT/lib"   # only what this script creates; jlink refuses an existing output folder
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
  --output "$OUT/jre" || die "jlink failed (see above)"

mkdir -p "$OUT/lib"
if [[ ${#JARS[@]} -gt 0 ]]; then
  cp -- "${JARS[@]}" "$OUT/lib/"
  info "copied ${#JARS[@]} jar(s) into $OUT/lib"
fi

# --- check and report ----------------------------------------------------------------------------
"$OUT/jre/bin/java" --add-modules jdk.incubator.vector -version >/dev/null 2>&1 \
  || die "the packed runtime does not start: $OUT/jre/bin/java --add-modules jdk.incubator.vector -version"
info "runtime: $(du -sh "$OUT/jre" | cut -f1), jars: $(du -sh "$OUT/lib" | cut -f1)"
info "total size of $OUT: $(du -sh "$OUT" | cut -f1)"
info "run with: $OUT/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar $OUT/lib/<jar> ..."
