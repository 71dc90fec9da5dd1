#!/usr/bin/env bash
# Restores what ci/pack-jre.sh gzipped to fit the device tool's 64 MiB carry: the runtime's libjvm.so and the MiniLM
# oracle's weights. Idempotent; a pack without them is left as it is.
#
# Usage: ci/gpu/unpack.sh [PACK_DIR]   (default target/gpu-pack)
set -uo pipefail
pack="${1:-target/gpu-pack}"
for f in "$pack/jre/lib/server/libjvm.so" "$pack/minilm/minilm-f16.safetensors"; do
  if [ -f "$f.gz" ] && [ ! -f "$f" ]; then
    gunzip -f "$f.gz" || { echo "unpack: could not gunzip $f.gz" >&2; exit 1; }
  fi
done
exit 0
