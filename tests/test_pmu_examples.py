#!/usr/bin/python3
"""scope-stat and scope-toplev end to end (exit codes, output, the no-PMU
error here, --replay numbers). Arguments: the build directory, the fixtures
directory."""
import json
import os
import subprocess
import sys

build, fixtures = sys.argv[1], sys.argv[2]
stat = os.path.join(build, "examples", "scope-stat")
toplev = os.path.join(build, "examples", "scope-toplev")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


has_core = any(os.path.exists("/sys/bus/event_source/devices/%s/type" % p)
               for p in ("cpu", "cpu_core", "cpu_atom"))

# scope-toplev: replay of a perf CSV, JSON per interval
r = run([toplev, "--replay", os.path.join(fixtures, "topdown", "amdzen4_interval.csv"),
         "--cpu", "amdzen4", "--json"])
check(r.returncode == 0, "replay exit code %d: %s" % (r.returncode, r.stderr))
objs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
check(len(objs) == 3, "3 JSON objects (2 intervals + whole run), got %d" % len(objs))
if len(objs) == 3:
    nodes = {n["name"]: n["value"] for n in objs[1]["nodes"]}
    check(abs(objs[1]["time"] - 2.002) < 1e-9, "second interval time")
    check(abs(nodes["Backend_Bound"] - 0.45) < 1e-6, "interval 2 Backend_Bound %s" % nodes)
    whole = {n["name"]: n["value"] for n in objs[2]["nodes"]}
    check(objs[2]["time"] is None, "whole run has time null")
    check(abs(whole["Frontend_Bound"] - 0.125) < 1e-6, "whole-run Frontend_Bound %s" % whole)
    check(abs(sum(whole.values()) - 1.0) < 1e-6, "level-1 nodes sum to 1")
# per-thread (perf stat --per-thread -I) and per-CPU (-A -I) replays: one
# object per row and interval, then the total (fractions hand-derived in
# tests/check_topdown.c)
r = run([toplev, "--replay", os.path.join(fixtures, "topdown", "amdzen4_per_thread_interval.csv"),
         "--cpu", "amdzen4", "--json"])
check(r.returncode == 0, "per-thread replay exit code %d: %s" % (r.returncode, r.stderr))
objs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
who = [(o.get("time"), o.get("thread"), o.get("tid"), o.get("total")) for o in objs]
check(who == [(1.001, "worker_0", 2660, None), (1.001, "worker_1", 2661, None),
              (1.001, None, None, True), (2.002, "worker_1", 2661, None),
              (2.002, "envoy", 2646, None), (2.002, None, None, True),
              (None, "worker_0", 2660, None), (None, "worker_1", 2661, None),
              (None, "envoy", 2646, None), (None, None, None, True)],
      "per-thread rows: %s" % who)
if len(objs) == 10:
    w1 = {n["name"]: n["value"] for n in objs[7]["nodes"]}
    check(abs(w1["Frontend_Bound"] - 0.3) < 1e-6, "worker_1 whole-run Frontend_Bound %s" % w1)
    tot = {n["name"]: n["value"] for n in objs[2]["nodes"]}
    check(abs(tot["Frontend_Bound"] - 0.35) < 1e-6, "interval-1 total Frontend_Bound %s" % tot)
r = run([toplev, "--replay", os.path.join(fixtures, "topdown", "amdzen4_per_cpu.csv"),
         "--cpu", "amdzen4"])
check(r.returncode == 0, "per-CPU replay exit code %d: %s" % (r.returncode, r.stderr))
heads = [line for line in r.stdout.splitlines() if line.startswith("#")]
check(len(heads) == 3 and heads[0].endswith("cpu 0") and heads[1].endswith("cpu 1")
      and heads[2].endswith("total") and heads[2].startswith("# whole run"),
      "per-CPU text rows: %s" % heads)
r = run([toplev, "--replay", os.path.join(fixtures, "topdown", "amdzen4_per_cpu.csv"),
         "--cpu", "amdzen4", "--json"])
objs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
check([o.get("cpu", "t") for o in objs] == [0, 1, "t"],
      "per-CPU JSON rows: %s" % [o.get("cpu") for o in objs])
if len(objs) == 3:
    # CPU1: 2M cycles = 12M slots, backend stalls 6M -> 0.5; the total:
    # 7.8M of 18M slots
    c1 = {n["name"]: n["value"] for n in objs[1]["nodes"]}
    tot = {n["name"]: n["value"] for n in objs[2]["nodes"]}
    check(abs(c1["Backend_Bound"] - 0.5) < 1e-6, "CPU1 Backend_Bound %s" % c1)
    check(abs(tot["Backend_Bound"] - 7.8 / 18) < 1e-6, "total Backend_Bound %s" % tot)
r = run([toplev, "--replay", os.path.join(fixtures, "topdown", "amdzen4_interval.csv")])
check(r.returncode == 2 and "--cpu" in r.stderr, "--replay without --cpu is refused")
r = run([toplev, "--replay", "/nonexistent.csv", "--cpu", "amdzen4"])
check(r.returncode == 1 and "nonexistent" in r.stderr, "missing replay file: %s" % r.stderr)

# scope-toplev live: on a machine without a core PMU it must fail and say so
r = run([toplev, "-l1", "--", "true"])
if not has_core:
    check(r.returncode != 0, "scope-toplev exits non-zero without a core PMU")
    check("no core PMU" in r.stderr or "none" in r.stderr, "no-PMU message: %s" % r.stderr)
    check("software" in r.stderr and "/sys/bus/event_source/devices" in r.stderr,
          "the message lists what exists: %s" % r.stderr)

# scope-stat: CSV of a command, perf's layout
r = run([stat, "-x,", "-e", "{task-clock,page-faults}", "--", "sh", "-c", "exit 3"])
check(r.returncode == 3, "scope-stat returns the command's exit status (%d)" % r.returncode)
rows = [l.split(",") for l in r.stderr.splitlines() if l.count(",") >= 5]
ev = {row[2]: row for row in rows}
check("task-clock" in ev and float(ev["task-clock"][0]) > 0, "task-clock row: %s" % r.stderr)
check("page-faults" in ev and int(ev["page-faults"][0]) > 10, "page-faults row")
check(ev.get("task-clock", ["", "x"])[1] == "msec", "task-clock in msec")
out = os.path.join(build, "scope-stat-test.out")
r = run([stat, "-o", out, "-e", "cs", "--", "sleep", "0.05"])
check(r.returncode == 0 and os.path.exists(out), "scope-stat -o")
if os.path.exists(out):
    text = open(out).read()
    check("cs" in text and "Performance counter stats" in text, "-o content: %s" % text)
    os.unlink(out)
r = run([stat, "-e", "no-such-event", "--", "true"])
check(r.returncode == 1 and "unknown" in r.stderr and "task-clock" in r.stderr,
      "unknown event message: %s" % r.stderr)
if not has_core:
    r = run([stat, "-e", "cycles", "--", "true"])
    check(r.returncode == 1 and "no core PMU" in r.stderr, "cycles: %s" % r.stderr)
r = run([stat, "-x,", "-I", "100", "--per-thread", "-e", "task-clock", "--",
         "sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done"])
lines = [l for l in r.stderr.splitlines() if l.count(",") >= 6]
check(r.returncode == 0 and lines, "per-thread interval CSV: %s" % r.stderr)
check(all(l.split(",")[1].startswith("sh-") for l in lines[1:]),
      "per-thread rows name the thread (sh-TID): %s" % lines[:3])
sys.exit(1 if failures else 0)
