#!/bin/sh
# Every example under valgrind memcheck: no memory errors and nothing
# definitely lost, for short bounded runs (issue 10). scope-prom and
# scope-load talk to tests/fault_serve on 127.0.0.1 (a free port), started
# here and stopped by PID.
#   valgrind_examples.sh VALGRIND EXAMPLES_DIR FAULT_SERVE SOURCE_DIR
set -u
vg=$1 ex=$2 serve=$3 src=$4
fx=$src/tests/fixtures
tmp=$(mktemp -d)
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
run() {
  name=$1; shift
  if timeout 120 "$vg" --quiet --error-exitcode=99 --leak-check=full \
       --errors-for-leak-kinds=definite --show-leak-kinds=definite \
       --trace-children=no "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    echo "ok: $name"
  else
    rc=$?
    echo "FAIL: $name (exit $rc): $*"; tail -40 "$tmp/$name.err"; fail=1
  fi
}
nserve=0
serve() { # MODE BODY_FILE: starts the server, sets $port
  nserve=$((nserve + 1))
  pf=$tmp/port.$nserve # a fresh file: never a previous server's port
  "$serve" "$1" "$2" 60 >"$pf" &
  spid=$!
  i=0
  while [ ! -s "$pf" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
  port=$(cat "$pf")
  [ -n "$port" ] || { echo "FAIL: fault_serve did not start"; exit 1; }
}
stop() { kill "$spid"; wait "$spid" 2>/dev/null; spid=; }

run scope-exporter "$ex/scope-exporter" --port 0 -I 100 -d 1 -p $$
run scope-cgtop "$ex/scope-cgtop" --once --csv -i 0.05 --root "$fx/cgroup/v1-cgroupfs" -d 3 /kubepods
run scope-stat "$ex/scope-stat" -e task-clock,context-switches -x, -- sleep 0.1
run scope-toplev "$ex/scope-toplev" --replay "$fx/topdown/icelake_summary.csv" --cpu icelake -l1
run scope-toplev-json "$ex/scope-toplev" --replay "$fx/topdown/amdzen4_interval.csv" --cpu amdzen4 --json
run scope-toplev-threads "$ex/scope-toplev" --replay "$fx/topdown/amdzen4_per_thread_interval.csv" --cpu amdzen4
run scope-toplev-cpus "$ex/scope-toplev" --replay "$fx/topdown/amdzen4_per_cpu.csv" --cpu amdzen4 --json
run scope-membw "$ex/scope-membw" --list --json --sysfs-root "$fx/uncore/icx2s"

serve ok "$fx/prom/vector.json"
run scope-prom "$ex/scope-prom" --url "http://127.0.0.1:$port" --user u --password p instant up --csv
grep -q . "$tmp/scope-prom.out" || { echo "FAIL: scope-prom printed nothing"; fail=1; }
stop
serve reset "$fx/prom/vector.json"
# a failing server: the error path must be clean too (exit status is not 0)
"$vg" --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  "$ex/scope-prom" --url "http://127.0.0.1:$port" --retries 1 --user u --password pw-S3CRET \
  instant up >/dev/null 2>"$tmp/prom-fail.err"
rc=$?
if [ $rc -ne 99 ] && [ $rc -ne 0 ] && ! grep -q S3CRET "$tmp/prom-fail.err"; then
  echo "ok: scope-prom (reset): exit $rc, no password in: $(head -1 "$tmp/prom-fail.err")"
else
  echo "FAIL: scope-prom (reset) exit $rc"; tail -40 "$tmp/prom-fail.err"; fail=1
fi
stop

printf 'hello' >"$tmp/hello"
serve ok "$tmp/hello"
run scope-load "$ex/scope-load" --closed -c 2 -t 1 -d 500ms --json "http://127.0.0.1:$port/"
grep -q '"completed": [1-9]' "$tmp/scope-load.out" && grep -q '"errors": 0,' "$tmp/scope-load.out" ||
  { echo "FAIL: scope-load did not complete requests"; cat "$tmp/scope-load.out"; fail=1; }
run scope-load-mix "$ex/scope-load" -R 200 -c 2 -t 1 -d 500ms --mix "$fx/load/hotel-mix.json" -L "http://127.0.0.1:$port/"
stop
exit $fail
