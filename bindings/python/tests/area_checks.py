"""Checks of the areas beyond the foundation (histograms, load driver,
Prometheus client, cgroup and targets, PMU and top-down, uncore and resctrl,
the scrape endpoint), imported by test_api so that its every-binding check
sees their calls. Values are checked against independent computations:
numpy, json, files of the fixtures, /proc, the server's own counts."""
import http.server
import json
import math
import os
import socketserver
import tempfile
import threading
import time
import unittest
import urllib.request

import numpy as np

import scope
from _util import SOURCE_DIR

FIX = os.environ.get("SCOPE_FIXTURES") or os.path.join(SOURCE_DIR, "tests", "fixtures")


class _Server:
    """A loopback HTTP/1.1 server (keep-alive) on a free port, in a thread,
    counting requests per path; @routes maps a path prefix to
    (status, body bytes)."""

    def __init__(self, routes=None):
        self.counts = {}
        self.headers_seen = []
        self.queries = []
        self.lock = threading.Lock()
        outer = self
        routes = routes or {}

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _serve(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                path = self.path.split("?")[0]
                with outer.lock:
                    outer.counts[path] = outer.counts.get(path, 0) + 1
                    if self.headers.get("X-Test"):
                        outer.headers_seen.append(self.headers.get("X-Test"))
                    outer.queries.append(self.path if not body else path + "?" + body.decode())
                status, out = 200, b"ok\n"
                if path in routes:
                    status, out = routes[path]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = _serve

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # the load driver closes connections at the end of a run

        self.httpd = S(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def total(self):
        with self.lock:
            return sum(self.counts.values())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *e):
        self.close()


class AHistogram(unittest.TestCase):
    def test_against_numpy(self):
        values = np.arange(1, 100001, dtype=np.int64) * 37 % 1000003 + 1
        h = scope.Histogram()
        for v in values[:1000]:
            h.record(int(v))
        h.record_many(values[1000:])
        self.assertEqual(h.count, len(values))
        self.assertEqual(len(h), len(values))
        for p in (1, 50, 90, 99, 99.9):
            exact = np.percentile(values, p, method="inverted_cdf")
            self.assertLess(abs(h.percentile(p) - exact) / exact, 0.002, p)
        self.assertEqual(h.percentiles((0, 100)), {0: h.min, 100: h.max})
        self.assertLess(abs(h.min - values.min()) / values.min(), 0.002)
        self.assertLess(abs(h.max - values.max()) / values.max(), 0.002)
        self.assertLess(abs(h.mean - values.mean()) / values.mean(), 0.001)
        self.assertLess(abs(h.stdev - values.std()) / values.std(), 0.002)
        v = int(values[5])
        lo, hi = h.lowest_equivalent(v), h.highest_equivalent(v)
        self.assertLessEqual(lo, v)
        self.assertGreaterEqual(hi, v)
        self.assertEqual(h.count_at(v), int(((values >= lo) & (values <= hi)).sum()))

    def test_merge_subtract_encode(self):
        a, b, whole = scope.Histogram(), scope.Histogram(), scope.Histogram()
        for v in range(1, 5001):
            (a if v % 2 else b).record(v * 1000)
            whole.record(v * 1000)
        self.assertEqual(a + b, whole)
        self.assertEqual((a + b) - b, a)
        c = a.copy().merge(b)
        self.assertEqual(c, whole)
        c.reset()
        self.assertEqual(c.count, 0)
        with self.assertRaises(scope.InvalidArgument):
            a.copy().subtract(whole)  # would go negative
        self.assertEqual(scope.Histogram.decode(whole.encode()), whole)
        b64 = whole.encode_base64()
        self.assertTrue(b64.startswith("HISTF"))
        self.assertEqual(scope.Histogram.decode(b64), whole)
        with self.assertRaises(scope.ParseError):
            scope.Histogram.decode(b"not an encoding")
        r = scope.Histogram(lowest=1, highest=1000, sigfigs=2)
        r.record(5, count=7)
        self.assertEqual(r.count, 7)
        with self.assertRaises(scope.InvalidArgument):
            r.record(10**6)
        self.assertEqual(r.overflow, 1)
        r2 = scope.Histogram().record_corrected(1000, 100)  # 1000, 900, ..., 100
        self.assertEqual(r2.count, 10)
        with self.assertRaises(scope.InvalidArgument):
            scope.Histogram(sigfigs=9)
        table = whole.to_text(scale=1e6)
        self.assertRegex(table, r"Total count\s*=\s*5000\]")
        self.assertIn("       5.001 1.000000000000       5000", table)  # max in ms

    def test_fixture_from_hdr_histogram_js(self):
        with open(os.path.join(FIX, "hist", "hdrjs-50000.b64")) as f:
            h = scope.Histogram.decode(f.read())
        self.assertEqual(h.count, 50000)
        self.assertEqual(h.percentile(50), 4952063)
        self.assertEqual(h.percentile(99), 9904127)
        self.assertEqual(h.max, 10002431)

    def test_hlog_roundtrip(self):
        hs = []
        for k in range(3):
            h = scope.Histogram()
            h.record_many(range(1000 * (k + 1), 1000 * (k + 1) + 100 * (k + 1)))
            hs.append(h)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.hlog")
            scope.write_hlog(path, [("a" if k else None, k * 10**9, 10**9, h)
                                    for k, h in enumerate(hs)], 1700000000 * 10**9)
            back = scope.read_hlog(path)
        self.assertEqual([b.tag for b in back], ["", "a", "a"])
        self.assertEqual([b.histogram for b in back], hs)
        self.assertEqual([round(b.start) for b in back], [1700000000, 1700000001, 1700000002])
        self.assertEqual([b.length for b in back], [1.0, 1.0, 1.0])


class BLoad(unittest.TestCase):
    def test_closed_loop_matches_server_counts(self):
        with _Server() as srv:
            with scope.Load(srv.url + "/x", mode="closed", duration=0.5, connections=2,
                            interval=0.1) as ld:
                r = ld.run()
            st = r.stats()
            self.assertGreater(st.completed, 20)
            self.assertEqual(st.errors, 0)
            # every response the server sent was received, except those in flight
            self.assertLessEqual(st.completed, srv.total())
            self.assertLessEqual(srv.total(), st.sent)
            self.assertEqual(st.status_2xx, st.completed)
            self.assertEqual(r.status(200), st.completed)
            self.assertEqual(r.types, ["default"])
            h = r.histogram()
            self.assertEqual(h.count, st.completed)
            self.assertEqual(r.histogram(corrected=False).count, st.completed)
            self.assertGreater(h.percentile(50), 0)
            self.assertLess(h.percentile(50), 2 * 10**9)
            ps = r.percentiles((50, 99))
            self.assertAlmostEqual(ps[50], h.percentile(50) / 1e9)
            s = r.series
            thr = s.select("scope_load_throughput", type="default")
            self.assertEqual(len(thr), 1)
            # per-interval rates times interval lengths add up to the completions
            n = r.interval_count
            self.assertGreaterEqual(n, 4)
            ivs = r.intervals()
            self.assertEqual(sum(iv[2].count for iv in ivs), st.completed)
            self.assertEqual(len(ivs), n)
            self.assertAlmostEqual(float(np.sum(thr[0].values * np.array([iv[1] for iv in ivs]) / 1e9)),
                                   st.completed, delta=1.0)
            self.assertLessEqual(abs(r.start - ivs[0][0]), 10**6)
            # plain HTTP: which of the two (tests/check_load.c checks which one)
            self.assertIn(r.engine, ("io_uring", "epoll"))
            self.assertEqual(r.errors("read"), (0, {}))
            self.assertIsNone(r.error_message("read"))
            summary = r.summary()
            self.assertEqual(summary["completed"], st.completed)
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "run.hlog")
                r.write_hlog(path)
                back = scope.read_hlog(path)
            self.assertEqual(sum(b.histogram.count for b in back if b.tag == ""), st.completed)
            r.close()
            with self.assertRaises(ValueError):
                h.count  # the result it belongs to is closed

    def test_open_loop_mix_and_callbacks(self):
        seen = {"resp": 0, "status": set()}
        lock = threading.Lock()

        def on_request(req, thread, type_):
            if type_ == 1:
                req.set_path("/c")
                req.add_header("X-Test", "cb")
                req.set_body(b"hello")

        def on_response(thread, type_, status, error, latency_ns, service_ns, body_len):
            with lock:
                seen["resp"] += 1
                seen["status"].add(status)
                assert latency_ns >= service_ns >= 0

        with _Server() as srv:
            ld = scope.Load(srv.url, rate=400, duration=0.6, connections=4, threads=2,
                            seed=7, headers={"X-Any": "1"}, on_request=on_request,
                            on_response=on_response)
            a = ld.add_type("a", weight=3, path="/a", paths=["/a2"])
            b = ld.add_type("b", weight=1, method="POST", path="/b", body="payload",
                            headers={"X-B": "1"})
            ld.add_path(a, "/a3")
            ld.add_header("X-Other", "2", type=b)
            r = ld.run()
            st = r.stats()
            self.assertEqual(st.target_rate, 400)
            # intended sends: 400/s for 0.6 s (those the loopback server could
            # not take in time wait in the backlog)
            self.assertAlmostEqual(st.sent + st.backlog, 240, delta=12)
            self.assertEqual(seen["resp"], st.completed + st.errors)
            self.assertEqual(seen["status"], {200})
            sa, sb = r.stats("a"), r.stats(b)
            self.assertEqual(sa.completed + sb.completed, st.completed)
            with srv.lock:
                paths = dict(srv.counts)
            self.assertEqual(paths.get("/b", 0), 0)  # the callback redirected every b
            self.assertLessEqual(paths.get("/c", 0), sb.sent)
            self.assertGreaterEqual(paths.get("/c", 0), sb.completed)
            self.assertGreaterEqual(sum(paths.get(p, 0) for p in ("/a", "/a2", "/a3")),
                                    sa.completed)
            self.assertGreater(min(paths.get(p, 0) for p in ("/a", "/a2", "/a3")), 0)
            self.assertGreater(sa.completed, 2 * sb.completed)  # weights 3:1
            self.assertEqual(len(srv.headers_seen), paths.get("/c", 0))

            # an exception in a callback stops the run and comes back here
            def boom(*a):
                raise RuntimeError("from the callback")
            ld.set_callbacks(on_response=boom)
            with self.assertRaises(RuntimeError) as cm:
                ld.run()
            self.assertIsInstance(cm.exception.scope_result, scope.LoadResult)
            ld.set_callbacks()  # none
            ld.set_mode("closed")
            ld.set_mode("open")
            ld.set_rate(100)
            steps = []
            results = ld.sweep("100,200", callback=lambda i, v, res: steps.append((i, v)))
            self.assertEqual(steps, [(0, 100.0), (1, 200.0)])
            self.assertEqual([x.stats().target_rate for x in results], [100, 200])
            ld.set_body(64)
            ld.close()
        self.assertEqual(scope.sweep_values("10%:30%:10%", max=1000), [100.0, 200.0, 300.0])
        with self.assertRaises(scope.InvalidArgument):
            scope.sweep_values("1:x")
        self.assertEqual(scope.load.error_kind_name(4), "timeout")
        self.assertEqual(scope.load.mode_name(2), "closed")

    def test_help_explains_parameters(self):
        import pydoc
        text = pydoc.render_doc(scope.Load, renderer=pydoc.plaintext)
        for p in ("rate:", "mode:", "connections:", "duration:", "on_request:", "on_response:",
                  "coordinated"):
            self.assertIn(p, text)
        for cls in (scope.LoadResult, scope.Histogram, scope.Prometheus, scope.Cgroup,
                    scope.Target, scope.Pmu, scope.TopDown, scope.UncorePlan, scope.Uncore,
                    scope.Resctrl, scope.Exporter, scope.CgroupMounts):
            self.assertGreater(len(cls.__doc__ or ""), 200, cls.__name__)

    def test_connect_errors_and_stop(self):
        with _Server() as srv:
            port = srv.port
        ld = scope.Load("http://127.0.0.1:%d/" % port, mode="closed", duration=5,
                        connections=1, reconnect_delay=0.01)
        threading.Timer(0.3, ld.stop).start()
        t = time.monotonic()
        r = ld.run()
        self.assertLess(time.monotonic() - t, 3)
        total, by_errno = r.errors("connect")
        self.assertGreater(total, 0)
        import errno
        self.assertIn(errno.ECONNREFUSED, by_errno)
        msg = r.error_message("connect")
        self.assertIn("127.0.0.1:%d" % port, msg)
        self.assertIn(os.strerror(errno.ECONNREFUSED), msg)
        with self.assertRaises(scope.InvalidArgument):
            scope.Load("ftp://x/")
        # https verifies by default; a CA file that is not PEM is refused
        # at creation, naming the file
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:
            f.write("not a certificate\n")
            f.flush()
            with self.assertRaises(scope.InvalidArgument) as cm:
                scope.Load("https://127.0.0.1:%d/" % port, mode="closed", ca_file=f.name)
            self.assertIn(f.name, str(cm.exception))
        with scope.Load("https://127.0.0.1:%d/" % port, mode="closed", tls_insecure=True,
                        send_slack=0.0001):
            pass
        with self.assertRaises(ValueError):
            scope.Load("http://127.0.0.1:%d/" % port, rate=10, send_slack=-1)
        # poll reaches the engine: over its 10 ms limit the C side refuses it
        with scope.Load("http://127.0.0.1:%d/" % port, mode="closed", poll=0.00005):
            pass
        with self.assertRaises(scope.InvalidArgument) as cm:
            scope.Load("http://127.0.0.1:%d/" % port, mode="closed", poll=0.02)
        self.assertIn("poll_ns", str(cm.exception))


MATRIX = {"status": "success", "data": {"resultType": "matrix", "result": [
    {"metric": {"__name__": "up", "job": "a"}, "values": [[1700000000, "1"], [1700000015, "0.5"]]},
    {"metric": {"job": "b"}, "values": [[1700000000, "NaN"], [1700000015, "2e3"]]}]},
    "warnings": ["partial data"], "infos": ["an info"]}


class CPrometheus(unittest.TestCase):
    def test_queries_against_loopback_server(self):
        with open(os.path.join(FIX, "prom", "vector.json"), "rb") as f:
            vector = f.read()
        with open(os.path.join(FIX, "prom", "error_bad_data.json"), "rb") as f:
            bad = f.read()
        routes = {
            "/api/v1/query_range": (200, json.dumps(MATRIX).encode()),
            "/api/v1/query": (200, vector),
            "/api/v1/series": (200, json.dumps({"status": "success", "data": [
                {"__name__": "up", "job": "a"}, {"__name__": "up", "job": "b"}]}).encode()),
            "/api/v1/labels": (200, b'{"status":"success","data":["__name__","job"]}'),
            "/api/v1/label/job/values": (200, b'{"status":"success","data":["a","b"]}'),
            "/bad/api/v1/query": (400, bad),
        }
        with _Server(routes) as srv:
            with scope.Prometheus(srv.url, timeout=5, headers={"X-Test": "t"},
                                  max_retries=-1) as pc:
                s = pc.query_range("up", 1700000000 * 10**9, 1700000015 * 10**9, "15s")
                exp = MATRIX["data"]["result"]
                self.assertEqual(len(s), 2)
                up = s.find("up", {"job": "a"})
                self.assertEqual(up.timestamps.tolist(), [v[0] * 10**9 for v in exp[0]["values"]])
                self.assertEqual(up.values.tolist(), [float(v[1]) for v in exp[0]["values"]])
                b = s.find("value", {"job": "b"})
                self.assertTrue(math.isnan(b.values[0]))
                self.assertEqual(b.values[1], 2000.0)
                r = pc.query_range_result("up", "1700000000", "1700000015", 15.0, name="v",
                                          align=True)
                self.assertEqual(r.type, "matrix")
                self.assertEqual(r.type_name, "matrix")
                self.assertEqual(r.window[2], 15 * 10**9)
                self.assertEqual(r.window[3], 1)
                self.assertEqual(r.warnings, ["partial data"])
                self.assertEqual(r.infos, ["an info"])
                self.assertIsNotNone(r.series.find("v", {"job": "b"}))
                r.close()
                s2 = pc.query_range("up", 1700000000 * 10**9, 1700000015 * 10**9, 15 * 10**9,
                                    no_split=True, split_on_timeout=True, max_concurrency=1,
                                    server_timeout=5, hist="warn", max_points=100)
                self.assertEqual(s2.find("up", {"job": "a"}).values.tolist(), [1.0, 0.5])
                q = pc.query("up", time=1700000000 * 10**9)
                ref = json.loads(vector)["data"]["result"]
                self.assertEqual(q.type, "vector")
                self.assertEqual(len(q.series), len(ref))
                got = sorted(float(x.values[0]) for x in q.series)
                self.assertEqual(got, sorted(float(e["value"][1]) for e in ref))
                q.close()
                ss = pc.series(["up"], start=0, end=0)
                self.assertEqual(sorted(x.label("job") for x in ss), ["a", "b"])
                self.assertEqual(pc.labels(), ["__name__", "job"])
                self.assertEqual(pc.labels(match="up"), ["__name__", "job"])
                self.assertEqual(pc.label_values("job"), ["a", "b"])
                u = pc.usage("cpu_cores", 1700000000 * 10**9, 1700000015 * 10**9, "15s",
                             selector='namespace="shop"', rate_window="2m")
                self.assertEqual(len(u), 2)
                pc.add_header("X-Other", "1")
            self.assertIn("t", srv.headers_seen)
            qs = [q for q in srv.queries if q.startswith("/api/v1/query_range")]
            self.assertIn("step=15", qs[0])
            usage = [q for q in srv.queries if "container_cpu_usage" in urllib.request.unquote(q)]
            self.assertEqual(len(usage), 1)
            self.assertIn("[120000ms]", urllib.request.unquote(usage[0]))
            with scope.Prometheus(srv.url + "/bad", max_retries=-1) as pc:
                with self.assertRaises(scope.ServerError) as cm:
                    pc.query("up(")
                self.assertIn("bad_data", cm.exception.message)
        with self.assertRaises(scope.InvalidArgument):
            scope.Prometheus("ftp://x")
        with self.assertRaises(TypeError):
            scope.Prometheus(srv.url, bogus=1)

    def test_helpers(self):
        self.assertEqual(scope.parse_time("1700000000.5"), 1700000000500000000)
        self.assertEqual(scope.parse_time("-1h", now=10**13), 10**13 - 3600 * 10**9)
        self.assertEqual(scope.parse_duration("1m30s"), 90 * 10**9)
        q = scope.usage_query("net_mbits", 1, 'namespace="x"', 30000)
        self.assertIn("transmit", q)
        self.assertIn("[30000ms]", q)
        self.assertEqual(scope.prom.usage_name(3), "disk_bytes")


class DCgroup(unittest.TestCase):
    ROOT = os.path.join(FIX, "cgroup", "v1-cgroupfs")
    C = ("/kubepods/burstable/pod80ea171a-411f-48cf-a603-04bd71a03c1e/"
         "f44210e4c0ffee00112233445566778899aabbccddeeff001122334455667788")

    def test_fixture_mounts_resolve_collector(self):
        with scope.CgroupMounts(self.ROOT) as m:
            self.assertEqual(m.mode, "v1")
            d, v = m.find("cpu")
            self.assertTrue(d.endswith("/sys/fs/cgroup/cpu,cpuacct"))
            self.assertEqual(v, 1)
            self.assertEqual(m.pid_path(777, "memory"), self.C)
            self.assertEqual(m.resolve("pid:777"), self.C)
            with self.assertRaises(scope.Gone):
                m.pid_path(778)
            with scope.Cgroup("pid:777", mounts=m, groups=["memory", "cpu"]) as c:
                c.start()
                s = c.sample()
                c.stop()
        with open(os.path.join(self.ROOT, "sys/fs/cgroup/memory" + self.C,
                               "memory.usage_in_bytes")) as f:
            usage = float(f.read())
        mem = s.find("container_memory_usage_bytes",
                     {"cgroup": self.C, "container": self.C.rsplit("/", 1)[1],
                      "pod": "80ea171a-411f-48cf-a603-04bd71a03c1e"})
        self.assertEqual(mem.values.tolist(), [usage])
        with scope.Cgroup("/kubepods", mounts=self.ROOT, depth=3, skip_self=True,
                          per_device=True, reopen=True, max_fds=64) as c:
            self.assertIn("kubepods", c.name)
        self.assertEqual(scope.container_id(self.C), self.C.rsplit("/", 1)[1])
        self.assertIsNone(scope.container_id("/user.slice"))
        self.assertEqual(scope.pod_uid(self.C), "80ea171a-411f-48cf-a603-04bd71a03c1e")
        self.assertIsNone(scope.pod_uid("/"))
        self.assertEqual(scope.cgroup.group_name(2), "memory")

    def test_live_self_cpu_against_cgroup_file(self):
        m = scope.CgroupMounts()
        path = m.pid_path(os.getpid(), "cpuacct")
        d, _ = m.find("cpuacct")
        with scope.Cgroup("pid:%d" % os.getpid(), groups=["cpu"]) as c:
            c.start()
            s = c.sample()
        with open(os.path.join(d, path.lstrip("/"), "cpuacct.usage")) as f:
            after = int(f.read()) / 1e9
        v = s.select("container_cpu_usage_seconds_total")[0].values[0]
        self.assertLessEqual(v, after + 1e-6)  # ns read as float seconds
        self.assertGreater(v, after - 5.0)  # shared cgroup: others run too
        m.close()

    def test_targets(self):
        t = scope.Target("pid:%d+threads" % os.getpid())
        self.assertEqual(t.kind, "pid")
        rows = t.resolve()
        self.assertEqual(sorted(r.tid for r in rows),
                         sorted(int(x) for x in os.listdir("/proc/self/task")))
        with open("/proc/self/comm") as f:
            comm = f.read().strip()
        self.assertEqual(rows[0].pid, os.getpid())
        m = scope.CgroupMounts()
        rows = scope.Target("comm:%s" % comm).resolve(m)
        self.assertIn(os.getpid(), [r.pid for r in rows])
        self.assertEqual(scope.Target("cpus:0-1,3").cpus, [0, 1, 3])
        self.assertEqual(scope.Target("tid:1").cpus, [])
        with self.assertRaises(scope.InvalidArgument):
            scope.Target("bogus:1")
        with self.assertRaises(scope.Gone):
            scope.Target("pid:%d" % (2**22 + 99)).resolve()


class EPmu(unittest.TestCase):
    def test_software_events_against_thread_time(self):
        p = scope.Pmu("task-clock,context-switches", no_libpfm=True)
        ev = p.events
        self.assertEqual([e.name for e in ev], ["task-clock", "context-switches"])
        self.assertEqual(scope.Pmu.encode("task-clock")[:2], (ev[0].type, ev[0].config))
        self.assertEqual(p.group_count, 2 if ev[0].group != ev[1].group else 1)
        p.start()
        t0 = time.thread_time()
        p.read()
        v0 = p.value(0, "task-clock").raw
        x = 0
        while time.thread_time() - t0 < 0.05:
            x += 1
        t1 = time.thread_time()
        p.read()
        v1 = p.value(0, 0)
        self.assertAlmostEqual((v1.raw - v0) / 1e9, t1 - t0, delta=0.01)
        self.assertEqual(v1.ratio, 1.0)
        self.assertGreater(v1.enabled_ns, 0)
        self.assertEqual(p.rows[0].target, "self")
        self.assertEqual(set(p.values()), {"task-clock", "context-switches"})
        self.assertIsInstance(p.notes, str)
        p.stop()
        p.close()

    def test_targets_and_collector(self):
        p = scope.Pmu("task-clock", per_thread=True)
        p.add_pid(os.getpid())
        p.add_tid(threading.get_native_id())
        p.add_cpus("0")
        p.add_cgroup("/")
        p.close()
        p = scope.Pmu("task-clock", per_thread=True).add_pid(os.getpid())
        p.start()
        p.read()
        tids = sorted(r.tid for r in p.rows if r.target == "thread")
        self.assertEqual(tids, sorted(int(x) for x in os.listdir("/proc/self/task")))
        ev = threading.Event()
        th = threading.Thread(target=ev.wait)
        th.start()
        try:
            self.assertGreaterEqual(p.rescan(), 1)
        finally:
            ev.set()
            th.join()
        p.close()
        c = scope.Pmu("task-clock").add_pid(os.getpid()).collector()
        with scope.Recorder([c], interval=0.02, duration=0.1) as rec:
            pass
        s = rec.series.select("perf_task_clock_total")
        self.assertEqual(len(s), 1)
        self.assertGreater(s[0].values[-1], 0)
        c.close()
        with self.assertRaises(scope.NotFound):
            scope.Pmu("no-such-event-xyz")
        self.assertEqual(scope.pmu.target_name(2), "process")

    def test_topdown_rows(self):
        # `perf stat -x, --per-thread -I` layout: every row recomputed here
        # from the file with the Zen 4 formulas (slots = 6 x cycles)
        path = os.path.join(FIX, "topdown", "amdzen4_per_thread_interval.csv")
        names = {"ls_not_halted_cyc": "cyc", "cpu/event=0x1a0,umask=0x1/": "fe",
                 "r100001ea0": "be", "de_no_dispatch_per_slot.smt_contention": "smt",
                 "de_src_op_disp.all": "disp", "ex_ret_ops": "ret"}
        counts = {}  # (t, label) -> {name: value}
        with open(path) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                cols = line.strip().split(",")
                t, label, value = float(cols[0]), cols[1], cols[2]
                event = ",".join(cols[4:-4])
                if value.startswith("<"):
                    continue
                for key in ((t, label), (t, "total"), (-1, label), (-1, "total")):
                    d = counts.setdefault(key, {})
                    d[names[event]] = d.get(names[event], 0) + float(value)

        def fe(d):
            return d["fe"] / (6 * d["cyc"])

        def bad(d):
            return (d["disp"] - d["ret"]) / (6 * d["cyc"])

        td = scope.TopDown(cpu="amdzen4")
        rows = td.replay_csv_rows(path)
        self.assertEqual(len(rows), len(counts))
        for r in rows:
            self.assertIn(r.kind, ("thread", "total"))
            d = counts[(r.time, r.label)]
            nodes = {n.name: n.value for n in r.nodes}
            self.assertAlmostEqual(nodes["Frontend_Bound"], fe(d), places=9)
            self.assertAlmostEqual(nodes["Bad_Speculation"], bad(d), places=9)
            if r.kind == "thread":
                self.assertEqual(r.label, "%s-%d" % (r.comm, r.id))
            else:
                self.assertEqual((r.id, r.comm), (-1, None))
        self.assertEqual(sorted({(r.time, r.interval) for r in rows}),
                         [(-1, -1), (1.001, 0), (2.002, 1)])
        self.assertEqual([r.label for r in rows if r.time == -1],
                         ["worker_0-2660", "worker_1-2661", "envoy-2646", "total"])
        # per-CPU (-A -I), and the callback stopping the replay
        path = os.path.join(FIX, "topdown", "skylake_per_cpu_interval.csv")
        td = scope.TopDown(cpu="skylake", smt=False)
        rows = td.replay_csv_rows(path, callback=lambda t, r: r.kind == "total")
        self.assertEqual([(r.kind, r.id) for r in rows], [("cpu", 0), ("cpu", 1), ("total", -1)])
        self.assertEqual(rows[1].label, "CPU1")

    def test_topdown_recorded(self):
        td = scope.TopDown(cpu="icelake", sysfs_root=os.path.join(FIX, "sysfs", "icelake"))
        self.assertEqual(td.recipe, "icelake")
        self.assertEqual(td.level, 1)
        self.assertIn("slots", td.events.lower() + " slots")
        keys = [k for k, _ in td.event_list]
        self.assertGreater(len(keys), 3)
        path = os.path.join(FIX, "topdown", "icelake_summary.csv")
        got = td.replay_csv(path)
        self.assertEqual(len(got), 1)
        # perf's own metric column in the file: 40 / 10 / 30 / 20 %
        expect = {}
        with open(path) as f:
            for line in f:
                cols = line.strip().split(",")  # event names hold commas: from the end
                if not line.startswith("#") and "tma_" in cols[-1]:
                    expect[cols[-1].split("tma_")[1]] = float(cols[-2]) / 100
        nodes = {n.name: n.value for n in got[0][1]}
        self.assertAlmostEqual(nodes["Retiring"], expect["retiring"], places=3)
        # toplev's Ice Lake Frontend_Bound takes INT_MISC.UOP_DROPPING
        # (cpu/event=0xd,umask=0x10/: 100000 of 10M slots) off perf's figure
        self.assertAlmostEqual(nodes["Frontend_Bound"], expect["frontend_bound"] - 0.01, places=3)
        # and adds 5 x INT_MISC.CLEARS_COUNT (20000) to Backend_Bound
        self.assertAlmostEqual(nodes["Backend_Bound"], expect["backend_bound"] + 0.01, places=3)
        self.assertAlmostEqual(sum(n.value for n in got[0][1] if n.level == 1), 1.0, places=6)
        self.assertAlmostEqual(td.value("Retiring"), nodes["Retiring"])
        # perf metrics by hand: bytes retiring 102, bad spec 25, fe 77, be 51 (of 255)
        td.reset()
        metrics = 102 | 25 << 8 | 77 << 16 | 51 << 24
        td.add_perf_metrics(1000000, metrics)
        for k, spec in td.event_list:
            if "slots" not in k.lower() and "topdown" not in k.lower():
                td.add(k, 1000.0)
        td.add_raw(td.event_list[-1][0], 500, 2000, 1000)
        nodes = {n.name: n.value for n in td.compute()}
        self.assertAlmostEqual(nodes["Retiring"], 102 / 255, places=3)
        # (less the 1000 UOP_DROPPING of 1e6 slots, as above)
        self.assertAlmostEqual(nodes["Frontend_Bound"], 77 / 255 - 0.001, places=4)
        with self.assertRaises(scope.NotFound):
            td.add("no_such_event", 1)
        amd = scope.TopDown(cpu="amdzen4", smt=True)
        seen = []
        res = amd.replay_csv(os.path.join(FIX, "topdown", "amdzen4_interval.csv"),
                             lambda t, ts: seen.append(ts))
        self.assertEqual([r[0] for r in res], seen)
        self.assertEqual(seen[-1], -1)
        # live: this VM has no core PMU, and the library says so
        with self.assertRaises(scope.NoDevice) as cm:
            amd.pmu()
        self.assertIn("core PMU", cm.exception.message)
        amd = scope.TopDown(cpu="amdzen4", sysfs_root=os.path.join(FIX, "sysfs", "amdzen4"))
        pmu = amd.pmu()
        pmu.add_pid(os.getpid())
        with self.assertRaises(scope.ScopeError) as cm:
            pmu.start()
        self.assertTrue(cm.exception.message)
        with self.assertRaises(scope.ScopeError):
            amd.read_pmu(pmu)
        with self.assertRaises(scope.ScopeError):
            amd.read_pmu(pmu, delta=True)
        pmu.close()
        pmu = amd.pmu().add_pid(os.getpid())
        c = amd.collector(pmu)
        self.assertTrue(amd.closed and pmu.closed)
        c.close()
        vm = os.path.join(FIX, "sysfs", "vm")
        self.assertEqual(scope.detect_topdown("GenuineIntel-6-55", vm)[0], "skylakex")
        self.assertEqual(scope.detect_topdown("AuthenticAMD-25-1", vm), (None, "amdzen4"))


class FUncore(unittest.TestCase):
    def test_fixture_plan_and_rates(self):
        plan = scope.UncorePlan(os.path.join(FIX, "uncore", "icx2s"), prefer_cas=False)
        self.assertEqual(plan.sockets, 2)
        cs = plan.counters
        self.assertEqual(len(cs), 2 * 2 * plan.channels)
        self.assertEqual({c.dir for c in cs}, {"read", "write"})
        pmus = plan.pmus
        self.assertIn(cs[0].pmu, [p.name for p in pmus])
        imc = [p for p in pmus if p.name == cs[0].pmu][0]
        self.assertIn("event", " ".join(imc.formats) + " event")
        before = [0] * len(cs)
        after = [1000 * (i + 1) for i in range(len(cs))]
        r = plan.rates(before, after, 2.0)
        expect_total = sum(a * c.bytes_per_count for a, c in zip(after, cs)) / 2.0
        self.assertAlmostEqual(sum(r["sock_total"]), expect_total)
        self.assertAlmostEqual(sum(sum(row) for row in r["chan_total"]), expect_total)
        self.assertEqual(scope.uncore_delta(2**48 - 10, 5, 48), 15)
        self.assertEqual(plan.kind, scope.uncore.kind_name(2))
        self.assertEqual(scope.uncore.dir_name(1), "read")
        with self.assertRaises(scope.NoDevice) as cm:
            scope.UncorePlan()  # this VM has no memory-controller PMU
        self.assertIn("resctrl", cm.exception.message)
        with self.assertRaises(scope.NoDevice):
            scope.Uncore()
        u = scope.Uncore(sysfs_root=os.path.join(FIX, "uncore", "icx2s"))
        self.assertTrue(u.metrics)
        u.close()

    def test_resctrl_fixture(self):
        root = os.path.join(FIX, "uncore", "resctrl")
        with scope.Resctrl(root=root) as c:
            c.start()
            s = c.sample()
        d0 = os.path.join(root, "mon_data", "mon_L3_00")
        with open(os.path.join(d0, "mbm_total_bytes")) as f:
            total = float(f.read())
        self.assertEqual(s.find("resctrl_mbm_total_bytes_total",
                                {"group": "/", "domain": "0"}).values.tolist(), [total])
        with scope.Resctrl(root=root, group="web", existing=True) as c:
            self.assertIn("web", c.name)
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(scope.NoDevice):
                scope.Resctrl(root=d)
        c = scope.Resctrl(root=root, group="py-test")
        c.add_pid(os.getpid())
        c.close()


class GExporter(unittest.TestCase):
    def test_publish_and_scrape(self):
        s = scope.SeriesSet()
        s.add("req_total", {"path": "/a"}, kind="counter").extend([10**9, 2 * 10**9], [1.0, 7.0])
        with scope.Exporter(port=0) as ex:
            self.assertGreater(ex.port, 0)
            ex.publish(s)
            with urllib.request.urlopen(ex.url, timeout=5) as resp:
                page = resp.read().decode()
            self.assertIn('req_total{path="/a"} 7', page)
            self.assertEqual(ex.scrape_count, 1)
            with self.assertRaises(scope.AlreadyExists):
                scope.Exporter(port=ex.port)
        with scope.Exporter(address="127.0.0.1", timestamps=True) as ex:
            ex.publish(s)
            with urllib.request.urlopen(ex.url, timeout=5) as resp:
                self.assertIn("7 2000", resp.read().decode())
