# Sourced by ./sparsekernels and the ci scripts: picks a JDK 22+ for building and running.
# Order: $SPARSEKERNELS_JAVA_HOME, $JAVA_HOME (if 22+), Temurin 25 in the system JVM folder, any other 22+ there.

sk_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}

sk_find_jdk() {
  local candidates=()
  [ -n "${SPARSEKERNELS_JAVA_HOME:-}" ] && candidates+=("$SPARSEKERNELS_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  local d
  for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -d "$d" ] && candidates+=("$d")
  done
  for d in "${candidates[@]}"; do
    if [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ]; then
      local major
      major=$(sk_java_major "$d")
      if [ -n "$major" ] && [ "${major%%.*}" -ge 22 ] 2>/dev/null; then
        echo "$d"
        return 0
      fi
    fi
  done
  return 1
}

sk_find_jdk17() {
  local d
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/*17*; do
    if [ -x "$d/bin/java" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}
