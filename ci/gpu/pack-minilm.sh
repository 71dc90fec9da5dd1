#!/usr/bin/env bash
# Writes the MiniLM oracle folder for GPU hosts: the model's weights in F16 (unused word-embedding rows zeroed),
# its tokenizer.json and ONNX Runtime's embeddings of the oracle sentences (MiniLmOracleFolder, java-api test
# sources). The JUnit gpu group's MiniLM test runs against it where the 90 MB model jar and ONNX Runtime are absent.
#
# Usage: ci/gpu/pack-minilm.sh OUT_DIR   (ci/pack-jre.sh calls it with target/gpu-pack/minilm)
# Needs: java-api built with its tests compiled (mvn -pl java-api -am install -DskipTests), Maven's local repository
# holding java-api's test dependencies, and a JDK 22+ (JAVA_HOME, else Temurin 25). About 30 s.
set -euo pipefail
die() { echo "pack-minilm: error: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: ci/gpu/pack-minilm.sh OUT_DIR"
OUT="$1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
[[ -x "$JAVA" ]] || JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[[ -d "$ROOT/java-api/target/test-classes" ]] || die "no java-api/target/test-classes (build java-api with its tests)"
cpfile="$(mktemp)"
trap 'rm -f "$cpfile"' EXIT
(cd "$ROOT" && mvn -B -q -o -pl java-api dependency:build-classpath -Dmdep.includeScope=test \
   -Dmdep.outputFile="$cpfile" >/dev/null) || die "mvn dependency:build-classpath failed for java-api"
cp="$ROOT/java-api/target/test-classes:$ROOT/java-api/target/classes:$(cat "$cpfile")"
rm -rf "$OUT"
"$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" \
  dev.sparsekernels.model.MiniLmOracleFolder "$OUT" || die "MiniLmOracleFolder failed"
gzip -9 "$OUT/minilm-f16.safetensors"   # ci/gpu/unpack.sh restores it on the host
echo "pack-minilm: $(du -sh "$OUT" | cut -f1) in $OUT"
