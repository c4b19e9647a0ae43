#!/usr/bin/env python3
"""Debian's prometheus scrapes scope-exporter every second. A busy child is
frozen (SIGSTOP) so its counters stop moving; the value Prometheus then
stores must equal what /proc/<pid>/stat says, read independently here."""
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

EXPORTER = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("SCOPE_EXPORTER")
PROMCLI = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("SCOPE_PROM")
DEADLINE = 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / hz, int(fields[12]) / hz  # utime, stime


class ExporterScrapedByPrometheus(unittest.TestCase):
    def setUp(self):
        self.procs = []
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        for p in reversed(self.procs):
            try:
                os.kill(p.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            p.kill()
            p.wait(timeout=10)
        self.tmp.cleanup()

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def test_values_match_proc(self):
        busy = self.spawn([sys.executable, "-c", "while True: pass"])
        eport = free_port()
        exporter = self.spawn([EXPORTER, "--port", str(eport), "-I", "200", "-d", str(DEADLINE),
                               "-p", str(busy.pid)], stdout=subprocess.PIPE, text=True)
        self.assertIn("serving", exporter.stdout.readline())
        base = self.start_prometheus(eport)
        time.sleep(2.5)  # a few scrapes while the child burns CPU
        os.kill(busy.pid, signal.SIGSTOP)
        time.sleep(0.5)
        utime, stime = proc_cpu(busy.pid)
        self.assertGreater(utime, 0.0)  # it ran (how much depends on the machine's load)
        # Wait until Prometheus has scraped the frozen value.
        q = urllib.parse.quote(f'process_cpu_seconds_total{{pid="{busy.pid}",mode="user"}}')
        end = time.time() + 15
        while True:
            res = http_json(f"{base}/api/v1/query?query={q}")
            self.assertEqual(res["status"], "success")
            vals = res["data"]["result"]
            if vals and abs(float(vals[0]["value"][1]) - utime) < 1e-9:
                break
            self.assertLess(time.time(), end,
                            f"prometheus holds {vals} but /proc says utime {utime}")
            time.sleep(0.5)
        labels = vals[0]["metric"]
        self.assertEqual(labels["comm"], "python3")
        self.assertEqual(labels["job"], "scope")
        # The scrape history is a counter that never decreased.
        qr = urllib.parse.quote(f'process_cpu_seconds_total{{pid="{busy.pid}",mode="user"}}[1m]')
        end = time.time() + 15
        while True:
            series = http_json(f"{base}/api/v1/query?query={qr}")["data"]["result"][0]["values"]
            points = [float(v) for _, v in series]
            if len(points) >= 3:
                break
            self.assertLess(time.time(), end, f"only {len(points)} scrapes stored")
            time.sleep(0.5)
        self.assertEqual(points, sorted(points))
        self.assertAlmostEqual(points[-1], utime, places=9)


    def start_prometheus(self, eport):
        pport = free_port()
        cfg = os.path.join(self.tmp.name, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 500ms\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: scope\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{eport}']\n")
        self.spawn(["prometheus", f"--config.file={cfg}",
                    f"--storage.tsdb.path={self.tmp.name}/data",
                    f"--web.listen-address=127.0.0.1:{pport}"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{pport}"
        end = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return base
            except OSError:
                pass
            self.assertLess(time.time(), end, "prometheus did not become ready")
            time.sleep(0.2)

    def test_cgroup_values_through_libscope_query(self):
        """The cgroup collector's recorded CPU values are what a range of raw
        samples queried through libscope's Prometheus client returns."""
        name = f"/scope-exp-{os.getpid()}"
        # the hierarchy that accounts CPU: v1 cpuacct (hybrid hosts) or the cgroup2 root
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
        cpuacct = [m[4] for m in mounts if m[-3] == "cgroup" and "cpuacct" in m[-1].split(",")]
        v2 = [m[4] for m in mounts if m[-3] == "cgroup2"]
        dirs = [(cpuacct or v2)[0] + name]
        for d in dirs:
            os.mkdir(d)
        try:
            busy = self.spawn([sys.executable, "-c", "while True: pass"])
            for d in dirs:
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(busy.pid))
            eport = free_port()
            rec = os.path.join(self.tmp.name, "recorded.csv")
            exporter = self.spawn([EXPORTER, "--port", str(eport), "-I", "200", "-d", "50",
                                   "--cgroup", name, "--record", rec, "-p", str(busy.pid),
                                   "-t", "-e", "context-switches,task-clock"],
                                  stdout=subprocess.PIPE, text=True)
            self.assertIn("serving", exporter.stdout.readline())
            base = self.start_prometheus(eport)
            q = f'container_cpu_usage_seconds_total{{cgroup="{name}"}}[1m]'
            end = time.time() + 30
            while True:  # until Prometheus holds a few scrapes (it starts slowly here)
                out = subprocess.run([PROMCLI, "--url", base, "instant", q, "--csv"],
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual(out.returncode, 0, out.stderr)
                if out.stdout.count("\n") >= 4 or time.time() > end:
                    break
                time.sleep(1)
            # What is served is valid exposition text, lint included.
            with urllib.request.urlopen(f"http://127.0.0.1:{eport}/metrics", timeout=5) as r:
                page = r.read()
            self.assertIn(b"perf_context_switches_total", page)
            self.assertIn(b"process_cpu_seconds_total", page)
            chk = subprocess.run(["promtool", "check", "metrics"], input=page,
                                 capture_output=True, timeout=30)
            self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
            exporter.send_signal(signal.SIGINT)  # stops, writes the recorded points
            exporter.wait(timeout=30)
            exporter.stdout.close()
            busy.kill()
            busy.wait()
            recorded = []
            with open(rec) as f:
                for row in csv.DictReader(f):
                    if row["metric"] == "container_cpu_usage_seconds_total" and \
                            f'cgroup="{name}"' in row["labels"]:
                        recorded.append((int(row["timestamp_ns"]), float(row["value"])))
            scraped = []
            for row in csv.DictReader(io.StringIO(out.stdout)):
                if row["metric"] == "container_cpu_usage_seconds_total":
                    scraped.append((int(row["timestamp_ns"]), float(row["value"])))
            self.assertGreaterEqual(len(scraped), 2, out.stdout)
            self.assertGreater(len(recorded), 10)
            for t, v in scraped:
                # Prometheus stamps a scrape when it starts (truncated to the
                # ms); the exporter serves its newest sample, which may have
                # been taken while the request was in flight, so up to the
                # scrape timeout (500 ms) after t, and at most one scrape
                # interval plus the sampling interval before it.
                match = [rt for rt, rv in recorded if abs(rv - v) < 1e-9]
                self.assertTrue(match, f"scraped {v} at {t} was never recorded")
                self.assertTrue(any(-500_000_000 <= t - rt <= 1_200_000_000 for rt in match),
                                f"scraped {v} at {t}: recorded at {match}")
        finally:
            for p in self.procs:
                p.kill()
            for d in dirs:
                for _ in range(50):
                    try:
                        os.rmdir(d)
                        break
                    except OSError:
                        time.sleep(0.1)


if __name__ == "__main__":
    unittest.main()
