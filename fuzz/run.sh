#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from its seed corpus
# (tests/fixtures/<dir> named in the target's "// corpus:" line). A crash
# fails the run and leaves its input in fuzz/crashes/<target>/ to become a
# regression test.
set -u
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS]}
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  seeds=$(sed -n '1s|^// corpus: *||p' "$here/$name.c")
  corpus=$(mktemp -d)
  [ -n "$seeds" ] && [ -d "$here/../tests/fixtures/$seeds" ] && \
    find "$here/../tests/fixtures/$seeds" -type f -size -1M -exec cp {} "$corpus/" \; 2>/dev/null
  mkdir -p "$here/crashes/$name"
  log=$(mktemp)
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$here/crashes/$name/" "$corpus" >"$log" 2>&1; then
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    echo "fuzz: $name ok: $execs runs in ${secs}s ($((execs / secs)) exec/s)"
    rmdir "$here/crashes/$name" 2>/dev/null || true
  else
    echo "FAIL: fuzz: $name found a crash:"; tail -40 "$log"; fail=1
  fi
  rm -rf "$corpus" "$log"
done
exit $fail
