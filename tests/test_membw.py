#!/usr/bin/python3
"""scope-membw end to end: the clear failure on a machine without uncore
PMUs (non-zero exit, message, nothing left behind), --list --json on the
fixture trees against hand-derived encodings (see check_uncore.c for the
derivations), no perf_event_open for --list (strace, when installed), and
the table path on the loopback tree, whose "reads" are cpu-clock
nanoseconds of CPU 0: 64 B per ns = 64e9 B/s = 64000 MB/s."""
import json, os, shutil, subprocess, sys, tempfile

exe = sys.argv[1]
fx = os.path.join(os.environ["SCOPE_FIXTURES"], "uncore")
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run([exe] + args, capture_output=True, text=True, timeout=30, **kw)


# 1. no uncore PMU: the VM fixture always, the real /sys when it has none
roots = [os.path.join(fx, "vm")]
devs = "/sys/bus/event_source/devices"
real = os.listdir(devs) if os.path.isdir(devs) else []
if not any(d.startswith(("uncore_imc", "amd_umc", "amd_df")) for d in real):
    roots.append(None)
for root in roots:
    work = tempfile.mkdtemp(prefix="scope-membw-")
    tmpd = tempfile.mkdtemp(prefix="scope-membw-tmp-")
    try:
        where = ["--sysfs-root", root] if root else []
        env = dict(os.environ, TMPDIR=tmpd)
        for extra in (["-i", "0.1", "-n", "1"], ["--csv", "-i", "0.1", "-n", "1"], ["--list"],
                      ["--list", "--json"]):
            p = run(extra + where, cwd=work, env=env)
            tag = "%s %s" % (root or "/sys", extra)
            check(p.returncode == 1, "%s: exit %d, want 1" % (tag, p.returncode))
            check(p.stdout == "", "%s: stdout %r" % (tag, p.stdout))
            check("no memory-controller PMU" in p.stderr, "%s: stderr %r" % (tag, p.stderr))
            check("bare metal" in p.stderr and "resctrl" in p.stderr,
                  "%s: stderr lacks the way out: %r" % (tag, p.stderr))
        check(os.listdir(work) == [], "files left in cwd: %s" % os.listdir(work))
        check(os.listdir(tmpd) == [], "files left in TMPDIR: %s" % os.listdir(tmpd))
    finally:
        shutil.rmtree(work)
        shutil.rmtree(tmpd)

# 2. --list --json against hand-derived values
def plan(machine, *extra):
    p = run(["--list", "--json", "--sysfs-root", os.path.join(fx, machine)] + list(extra))
    check(p.returncode == 0, "%s --list --json: exit %d %s" % (machine, p.returncode, p.stderr))
    return json.loads(p.stdout) if p.returncode == 0 else []


def find(objs, socket, channel, direction):
    m = [o for o in objs if o["socket"] == socket and o["channel"] == channel
         and o["direction"] == direction]
    return m[0] if m else None


expect = [
    # machine, count, (socket, channel, dir) -> (pmu, cpu, type, config, unit)
    ("skx2s", 24, (1, 5, "read"), ("uncore_imc_5", 28, 25, 0x304, "MiB")),
    ("skx2s", 24, (0, 0, "write"), ("uncore_imc_0", 0, 20, 0xc04, "MiB")),
    ("icx2s", 16, (1, 3, "write"), ("uncore_imc_free_running_3", 36, 53, 0x21ff, "MiB")),
    ("spr2s", 32, (1, 7, "read"), ("uncore_imc_7", 56, 67, 0xcf05, "MiB")),
    ("zen3", 8, (0, 7, "read_write"), ("amd_df", 0, 11, 0x1000038c7, "")),
    ("zen4", 48, (1, 11, "write"), ("amd_umc_23", 96, 123, 0x20a, "")),
]
for machine, count, key, want in expect:
    objs = plan(machine)
    check(len(objs) == count, "%s: %d counters, want %d" % (machine, len(objs), count))
    o = find(objs, *key)
    check(o is not None, "%s: no counter %s" % (machine, key))
    if o:
        for k in ("pmu", "cpu", "event", "config", "config1", "scale", "unit"):
            check(k in o, "%s: key %s missing" % (machine, k))
        got = (o["pmu"], o["cpu"], o["type"], o["config"], o["unit"])
        check(got == want, "%s %s: %s, want %s" % (machine, key, got, want))
        check(o["config1"] == 0, "%s: config1 %s" % (machine, o["config1"]))
objs = plan("icx2s", "--cas")
check(len(objs) == 32 and find(objs, 1, 2, "write")["config"] == 0x3004, "icx2s --cas")

# 3. --list opens no perf event
if shutil.which("strace"):
    p = subprocess.run(["strace", "-f", "-e", "trace=perf_event_open", exe, "--list", "--json",
                        "--sysfs-root", os.path.join(fx, "skx2s")],
                       capture_output=True, text=True, timeout=60,
                       # LeakSanitizer cannot run under ptrace
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    check(p.returncode == 0, "strace --list: exit %d" % p.returncode)
    check("perf_event_open(" not in p.stderr, "--list called perf_event_open")
else:
    print("strace not installed: --list syscall check skipped")

# 4. table and CSV on the loopback tree
p = run(["--sysfs-root", os.path.join(fx, "swloop"), "-i", "0.2", "-n", "2", "--csv"])
check(p.returncode == 0, "swloop csv: exit %d %s" % (p.returncode, p.stderr))
lines = p.stdout.strip().split("\n")
check(lines[0] == "time,socket,channel,read_MBps,write_MBps,total_MBps", "csv header")
rows = [l.split(",") for l in lines[1:]]
check(len(rows) == 6, "csv rows: %d, want 6 (2 x channel, socket, system)" % len(rows))
for r in rows:
    rd, wr, tot = float(r[3]), float(r[4]), float(r[5])
    check(60800 <= rd <= 67200, "loopback read %.1f MB/s, want 64000 +-5%%" % rd)
    check(wr == 0 and abs(tot - rd) < 0.02, "loopback write %s total %s" % (wr, tot))
p = run(["--sysfs-root", os.path.join(fx, "swloop"), "-i", "0.1", "-n", "1"])
check(p.returncode == 0 and "Read MB/s" in p.stdout and "System" in p.stdout, "table output")

# 5. bad arguments
for bad in (["-i", "0"], ["-n", "x"], ["--json"], ["--bogus"], ["--sysfs-root"]):
    p = run(bad)
    check(p.returncode == 2, "%s: exit %d, want 2" % (bad, p.returncode))

sys.exit(1 if fails else 0)
