#!/usr/bin/env bash
# Runs the JUnit gpu group (java-api's tests tagged @Tag("gpu"): CUDA concurrency, CUDA faults, CUDA vs CPU twin,
# MiniLM and a pruned small BERT on CUDA) through the JUnit console launcher, without Maven: ci/gpu-check.sh calls it
# once per binding on the GPU host. The same command runs anywhere; without a CUDA device (or with a host-only
# library) every gpu test must FAIL with the reason, none may pass. The MiniLM test is skipped (aborted, reason
# printed) where the model jar is not on the class path, as in the pack.
#
# Usage: ci/gpu/junit-gpu.sh [--java JAVA] [--jar JAR] [--tests JAR|DIR] [--console JAR] [--lib SO]
#                            [--binding panama|javacpp] [--reports-dir DIR]
#   --java         default: target/gpu-pack/jre/bin/java, else java on the PATH
#   --jar          the library: default target/gpu-pack/lib/sparsekernels.jar, else cli/target/sparsekernels.jar
#   --tests        the test classes: default target/gpu-pack/test/sparsekernels-tests.jar, else
#                  java-api/target/test-classes
#   --console      default: target/gpu-pack/test/junit-platform-console-standalone.jar, else
#                  java-api/target/gpu-tests/junit-platform-console-standalone.jar (copied there by java-api's build)
#   --lib          -Dsparsekernels.library.path (default: unset, the library bundled in the jar)
#   --binding      -Dsparsekernels.binding (default: unset, the library's own choice)
#   --reports-dir  also write the launcher's XML reports there
# Prints what BindingsInfo says (binding, library, device count), the command, the launcher's tree (ASCII) and its
# summary, then one last line:
#   junit-gpu[ BINDING]: PASS|FAIL <n> found, <n> successful, <n> failed, <n> aborted[, <n> skipped]
# ("aborted" = skipped by an assumption, e.g. the missing model jar). Exit status: the launcher's (0 none failed,
# 1 some failed, 2 no tests found), or 3 (and a "junit-gpu: SKIP <reason>" line) when an input is missing.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 3

java="" jar="" tests="" console="" lib="" binding="" reports=""
while [ $# -gt 0 ]; do
  case "$1" in
    --java|--jar|--tests|--console|--lib|--binding|--reports-dir)
      [ $# -ge 2 ] || { echo "junit-gpu: $1 needs a value" >&2; exit 3; }
      case "$1" in
        --java) java=$2 ;; --jar) jar=$2 ;; --tests) tests=$2 ;; --console) console=$2 ;; --lib) lib=$2 ;;
        --binding) binding=$2 ;; --reports-dir) reports=$2 ;;
      esac
      shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "junit-gpu: unknown argument: $1 (see --help)" >&2; exit 3 ;;
  esac
done
first() { local f; for f in "$@"; do if [ -e "$f" ]; then echo "$f"; return; fi; done; }
pack=target/gpu-pack
bash "$(dirname "$0")/unpack.sh" "$pack" || exit 1   # libjvm.so and the MiniLM weights travel gzipped
[ -n "$java" ] || java=$(first "$pack/jre/bin/java")
[ -n "$java" ] || java=$(command -v java || true)
[ -n "$jar" ] || jar=$(first "$pack/lib/sparsekernels.jar" cli/target/sparsekernels.jar)
[ -n "$tests" ] || tests=$(first "$pack/test/sparsekernels-tests.jar" java-api/target/test-classes)
[ -n "$console" ] || console=$(first "$pack/test/junit-platform-console-standalone.jar" \
                                      java-api/target/gpu-tests/junit-platform-console-standalone.jar)
skip() { echo "junit-gpu: SKIP $*"; exit 3; }
[ -n "$java" ] && [ -x "$java" ] || skip "no Java runtime (carry target/gpu-pack from ci/pack-jre.sh)"
[ -n "$jar" ] && [ -f "$jar" ] || skip "no sparsekernels.jar (${jar:-none found})"
[ -n "$tests" ] && [ -e "$tests" ] || skip "no test classes (ci/pack-jre.sh packs them into $pack/test)"
[ -n "$console" ] && [ -f "$console" ] || skip "no JUnit console launcher (ci/pack-jre.sh packs it into $pack/test)"
[ -z "$lib" ] || [ -f "$lib" ] || skip "no native library at $lib"

props=()
[ -z "$lib" ] || props+=("-Dsparsekernels.library.path=$lib")
[ -z "$binding" ] || props+=("-Dsparsekernels.binding=$binding")
# The MiniLM test's model and ONNX Runtime's embeddings, where the pack has them (ci/gpu/pack-minilm.sh).
[ ! -f "$pack/minilm/minilm-f16.safetensors" ] || props+=("-Dsparsekernels.minilm.oracle=$pack/minilm")
# Which binding and library the tests will get, and whether they see a device (half a second).
echo "junit-gpu: binding, library and devices the tests will see (BindingsInfo):"
"$java" --enable-native-access=ALL-UNNAMED ${props[@]+"${props[@]}"} -cp "$jar" \
  dev.sparsekernels.bindings.BindingsInfo 2>&1 | sed 's/^/  /'
cmd=("$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${props[@]+"${props[@]}"})
cmd+=(-jar "$console" execute --class-path "$jar:$tests" --scan-class-path "$tests" --include-tag gpu
      --fail-if-no-tests --details=tree --details-theme=ascii --disable-ansi-colors --disable-banner)
[ -z "$reports" ] || cmd+=("--reports-dir=$reports")
echo "junit-gpu: ${cmd[*]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"${cmd[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
# The launcher's summary: "[         5 tests found           ]" and so on.
count() { sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 *\]$/\1/p" "$out" | tail -n 1; }
found=$(count found) ok=$(count successful) failed=$(count failed) aborted=$(count aborted) skipped=$(count skipped)
verdict=FAIL
[ "$rc" = 0 ] && [ "${found:-0}" -gt 0 ] && verdict=PASS
detail="${found:-?} found, ${ok:-?} successful, ${failed:-?} failed, ${aborted:-?} aborted"
[ "${skipped:-0}" = 0 ] || detail="$detail, $skipped skipped"
[ -n "$found" ] || detail="no launcher summary (exit $rc)"
echo "junit-gpu${binding:+ $binding}: $verdict $detail"
exit "$rc"
