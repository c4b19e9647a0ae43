#!/usr/bin/env bash
# scope-record runs a command, records it, and reports what it measured.
set -eu
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A CPU burner for ~0.4 s of CPU: the report must show it.
"$bin" -I 50 -o "$tmp/out.jsonl" -f jsonl -m run=test -- \
  sh -c 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done' >"$tmp/report"
cat "$tmp/report"
user=$(awk '/cpu user seconds/ {print $4}' "$tmp/report")
sys=$(awk '/cpu system seconds/ {print $4}' "$tmp/report")
awk -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s > 0.1) }' || { echo "FAIL: no CPU time recorded"; exit 1; }
grep -q '"metric":"process_cpu_seconds_total","labels":{"comm":"sh","mode":"user","pid":"[0-9]*","run":"test"}' "$tmp/out.jsonl" \
  || { echo "FAIL: JSONL lacks the labelled CPU series"; head -3 "$tmp/out.jsonl"; exit 1; }
# The exit status of the command is passed through.
set +e
"$bin" -I 50 -- sh -c 'exit 3' >/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "FAIL: exit status $rc, expected 3"; exit 1; }
# A pid that does not exist: a clear error, non-zero exit.
if "$bin" -p 4194313 2>"$tmp/err" >/dev/null; then echo "FAIL: attached to a missing pid"; exit 1; fi
grep -q 'does not exist' "$tmp/err" || { echo "FAIL: unclear error: $(cat "$tmp/err")"; exit 1; }
echo "scope-record: ok"
