#!/usr/bin/python3
"""bench_load: scope-load against Debian's wrk, in one run, on 127.0.0.1.

nginx (started here, one worker, access log off) is pinned to CPU 0 and the
drivers to CPU 1. Closed loop: alternating wrk / scope-load / scope-load --poll 20us
runs, medians of REPS, completed requests per driver CPU-second (utime +
stime of the driver process, from wait4) and req/s. Open loop (scope-load only; Debian's wrk has no -R):
achieved rate, per-second stability after the first second, driver CPU, on
the default engine (io_uring where available) and, for --slack 100us, also
on epoll.

Environment: BENCH_DURATION (s, default 5), BENCH_REPS (default 3),
BENCH_PARTS (closed,open: which parts to run; default both).
Every run is bounded; nginx is stopped by PID at the end.
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SCOPE_LOAD = "@SCOPE_LOAD_BIN@"
DUR = int(os.environ.get("BENCH_DURATION", "5"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
PARTS = set(os.environ.get("BENCH_PARTS", "closed,open").split(","))
# Other work on a shared machine disturbs the runs: as root, run server and
# drivers at nice -10 (both alike), as the baselines in load.md were taken.
NICE = "-10" if os.geteuid() == 0 else "0"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_nginx(d, port):
    os.makedirs(f"{d}/html")
    with open(f"{d}/html/100b.txt", "w") as f:
        f.write("a" * 100)
    with open(f"{d}/html/16k.txt", "w") as f:
        f.write("a" * 16384)
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(f"""daemon off; master_process off; worker_processes 1;
error_log {d}/error.log; pid {d}/nginx.pid;
events {{ worker_connections 4096; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000000;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  server {{ listen 127.0.0.1:{port} reuseport backlog=4096; root {d}/html; }} }}
""")
    p = subprocess.Popen(["nice", "-n", NICE, "taskset", "-c", "0", "nginx", "-p", d, "-c", f"{d}/nginx.conf"],
                         stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return p
        except OSError:
            time.sleep(0.01)
    p.kill()
    raise SystemExit("nginx did not start")


def run(cmd, timeout, env=None):
    """Runs cmd pinned to CPU 1; returns (stdout, cpu seconds)."""
    p = subprocess.Popen(["nice", "-n", NICE, "taskset", "-c", "1"] + cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, **env) if env else None)
    t0 = time.monotonic()
    try:
        o, e = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        o, e = p.communicate()
    # wait4 already happened inside communicate; use the ru of that child
    return o, e, None, time.monotonic() - t0


class Cpu:
    def __init__(self):
        self.last = resource.getrusage(resource.RUSAGE_CHILDREN)

    def take(self):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        d = (ru.ru_utime - self.last.ru_utime) + (ru.ru_stime - self.last.ru_stime)
        self.last = ru
        return d


def wrk_run(url, conns, cpu):
    o, e, _, _ = run(["wrk", "-t1", f"-c{conns}", f"-d{DUR}s", url], DUR + 30)
    c = cpu.take()
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", o)
    if not m:
        raise SystemExit("wrk output not understood:\n" + o + e)
    n = int(m.group(1))
    secs = float(m.group(2)) * (60 if m.group(3) == "m" else 1)
    return {"completed": n, "rate": n / secs, "cpu": c}


def scope_run(url, conns, cpu, rate=None, wake=None, slack=None, poll=None, io=None):
    cmd = [SCOPE_LOAD, "-t1", f"-c{conns}", f"-d{DUR}s", "--json"]
    cmd += [f"--slack={slack}"] if slack else []
    cmd += [f"--poll={poll}"] if poll else []
    cmd += [f"-R{rate}"] if rate else ["--closed"]
    env = dict({"SCOPE_LOAD_WAKE": wake} if wake else {}, **({"SCOPE_LOAD_IO": io} if io else {}))
    o, e, _, _ = run(cmd + [url], DUR + 30, env or None)
    c = cpu.take()
    try:
        j = json.loads(o)
    except ValueError:
        raise SystemExit("scope-load output not understood:\n" + o + e)
    thr = [v for _, v in j.get("throughput_per_interval", [])]
    return {"completed": j["completed"], "rate": j["rate"], "cpu": c, "per_s": thr,
            "p50_ms": j["latency"]["percentiles_us"]["50"] / 1e3,
            "p99_ms": j["latency"]["percentiles_us"]["99"] / 1e3,
            "u_p50_ms": j["latency_uncorrected"]["percentiles_us"]["50"] / 1e3,
            "late": j["late"], "errors": j["errors"]}


def med(xs):
    return statistics.median(xs)


def main():
    for tool in ("nginx", "wrk", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"bench_load: {tool} not found (Debian packages nginx-light, wrk, "
                             "util-linux)")
    if not os.path.exists(SCOPE_LOAD):
        raise SystemExit(f"bench_load: {SCOPE_LOAD} not built")
    d = tempfile.mkdtemp(prefix="scope-bench-")
    port = free_port()
    ngx = start_nginx(d, port)
    cpu = Cpu()
    try:
        print(f"bench_load: nginx on CPU 0, drivers on CPU 1, {DUR}s runs, medians of {REPS}")
        if "closed" in PARTS:
            print("closed loop, 50 connections (alternating runs)")
            print(f"{'file':6} {'tool':10} {'req/s':>9} {'req/CPU-s':>10} {'runs (req/CPU-s)':>30}")
        for f in ("100b.txt", "16k.txt") if "closed" in PARTS else ():
            url = f"http://127.0.0.1:{port}/{f}"
            res = {"wrk": [], "scope-load": [], "poll 20us": []}
            for _ in range(REPS):
                res["wrk"].append(wrk_run(url, 50, cpu))
                res["scope-load"].append(scope_run(url, 50, cpu))
                res["poll 20us"].append(scope_run(url, 50, cpu, poll="20us"))
            eff, rate = {}, {}
            for tool, rs in res.items():
                effs = [r["completed"] / r["cpu"] for r in rs if r["cpu"] > 0]
                eff[tool] = med(effs)
                rate[tool] = med([r["rate"] for r in rs])
                print(f"{f:6} {tool:10} {med([r['rate'] for r in rs]):9.0f} {eff[tool]:10.0f} "
                      f"{' '.join(f'{x:.0f}' for x in effs):>30}")
            print(f"{f:6} ratio scope-load/wrk (req per driver CPU-s): "
                  f"{eff['scope-load'] / eff['wrk']:.3f}")
            print(f"{f:6} ratio scope-load --poll 20us/wrk (req/s, the server's throughput): "
                  f"{rate['poll 20us'] / rate['wrk']:.3f}; without --poll: "
                  f"{rate['scope-load'] / rate['wrk']:.3f}")
        if "open" not in PARTS:
            return
        print("\nopen loop, 100 B, scope-load (wrk has no constant-rate mode); 'wake': the\n"
              "default policy (tick mode from 1k req/s per thread) and, alternating with it\n"
              "where they differ, SCOPE_LOAD_WAKE=eager (a timer wake-up per send plus one per\n"
              "response) as the peer; 'slack': --slack 100us (sends batched up to 100 us late);\n"
              "'slack-ep': the same on the epoll engine (SCOPE_LOAD_IO=epoll) instead of io_uring;\n"
              "'gap': corrected p50 - uncorrected p50")
        print(f"{'rate':>6} {'conns':>5} {'wake':>7} {'achieved':>9} {'%target':>8} {'max dev/s %':>11} "
              f"{'CPU core':>8} {'p50 ms':>7} {'u.p50 ms':>8} {'gap ms':>7} {'p99 ms':>7} {'late':>6}")
        url = f"http://127.0.0.1:{port}/100b.txt"
        for rate in (1000, 10000, 20000):
            for conns in (10, 100):
                wakes = ("default", "eager", "slack", "slack-ep") if rate >= 1000 else ("default",)
                res = {w: [] for w in wakes}
                for _ in range(REPS):
                    for w in wakes:
                        res[w].append(scope_run(url, conns, cpu, rate,
                                                w if w == "eager" else None,
                                                "100us" if w.startswith("slack") else None,
                                                io="epoll" if w == "slack-ep" else None))
                cores = {}
                for w, rs in res.items():
                    ach = med([r["rate"] for r in rs])
                    dev = med([max((abs(v - rate) / rate * 100 for v in r["per_s"][1:]),
                                   default=0) for r in rs])
                    cores[w] = med([r["cpu"] / DUR for r in rs])
                    print(f"{rate:6} {conns:5} {w:>7} {ach:9.1f} {ach / rate * 100:8.2f} "
                          f"{dev:11.2f} {cores[w]:8.3f} {med([r['p50_ms'] for r in rs]):7.3f} "
                          f"{med([r['u_p50_ms'] for r in rs]):8.3f} "
                          f"{med([r['p50_ms'] - r['u_p50_ms'] for r in rs]):7.3f} "
                          f"{med([r['p99_ms'] for r in rs]):7.3f} {med([r['late'] for r in rs]):6.0f}")
                if len(wakes) > 1 and cores["eager"] > 0:
                    print(f"{'':6} {'':5} driver CPU default/eager: "
                          f"{cores['default'] / cores['eager']:.3f}, slack/eager: "
                          f"{cores['slack'] / cores['eager']:.3f}, slack io_uring/epoll: "
                          f"{cores['slack'] / cores['slack-ep']:.3f}")
    finally:
        ngx.send_signal(signal.SIGTERM)
        try:
            ngx.wait(5)
        except subprocess.TimeoutExpired:
            ngx.kill()
            ngx.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
