#!/usr/bin/env bash
# What a device call would carry to the GPU host, against the device tool's 64 MiB: the working tree's tracked files
# that are present, its untracked files that git does not ignore, and the ignored paths given as arguments (the call's
# `carry`). Session 25's numbers left half a MiB to spare with docs/ set aside, so a GPU session checks this here
# before it spends device time on a refused call.
#
# Usage: bash ci/gpu/carry-size.sh [CARRY_PATH...]      (from anywhere in the repository)
#   e.g. bash ci/gpu/carry-size.sh target/gpu-pack target/gpu-prebuilt
# Exit 0 when the total fits, 1 when it does not (with the largest top-level folders, and docs/'s share), 2 on bad use.
set -euo pipefail
root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)" || exit 2
cd "$root"
limit=$(( 64 * 1048576 ))

# Sums the sizes of the NUL-separated paths on stdin that exist as regular files (a tracked file moved aside is not
# carried).
sum_files() { xargs -0 -r stat -c %s -- 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }

tracked=$(git ls-files -z | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done | sum_files)
untracked=$(git ls-files -z --others --exclude-standard | sum_files)
total=$(( tracked + untracked ))
printf '%-28s %s\n' "tracked files present" "$(mib "$tracked")" "untracked, not ignored" "$(mib "$untracked")"
for p in "$@"; do
  [ -e "$p" ] || { echo "carry-size: $p does not exist (build it first: ci/gpu/prebuild.sh, ci/pack-jre.sh)" >&2; exit 2; }
  size=$(find "$p" -type f -print0 | sum_files)
  printf '%-28s %s\n' "carry $p" "$(mib "$size")"
  total=$(( total + size ))
done
printf '%-28s %s of %s\n' "total" "$(mib "$total")" "$(mib "$limit")"
if (( total <= limit )); then
  echo "carry-size: fits, $(mib $(( limit - total ))) to spare"
  exit 0
fi
echo "carry-size: over the limit by $(mib $(( total - limit )))"
docs=$(git ls-files -z docs | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done | sum_files)
(( docs > 0 )) && echo "  docs/ holds $(mib "$docs") of it: mv docs /tmp/sk-docs-aside before the call, back after"
echo "  largest tracked top-level folders:"
git ls-files -z | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s %s\n' "$(stat -c %s -- "$f")" "${f%%/*}"; done |
  awk '{ s[$2] += $1 } END { for (d in s) printf "%12d %s\n", s[d], d }' | sort -rn | head -n 5 |
  while read -r b d; do echo "    $(mib "$b")  $d"; done
exit 1
