"""Data hand-over without copies, owner lifetimes, and leak checks
(RSS-based, hence label nosan)."""
import gc
import os
import sys
import time
import unittest
import weakref

from _util import CannedServer, rss_bytes

import numpy as np

import scope
from scope import _lib

MiB = 1 << 20
N = 10_000_000


def base_chain(a):
    chain = []
    x = a
    while x is not None:
        chain.append(x)
        x = getattr(x, "base", None)
    return chain


class ZeroCopy(unittest.TestCase):
    def test_ten_million_points_reach_numpy_without_copy(self):
        s = scope.SeriesSet()
        x = s.add("big", {"k": "v"})
        x.reserve(N)
        ts = np.arange(N, dtype=np.int64) * 1000
        vs = np.arange(N, dtype=np.float64) * 0.5
        x.extend(ts, vs)
        del ts, vs
        gc.collect()
        self.assertEqual(len(x), N)
        one_copy = N * 8
        rss0 = rss_bytes()
        v = x.values
        t = x.timestamps
        total = float(v.sum()) + float(t[-1])  # touch every value
        rss1 = rss_bytes()
        self.assertLess(rss1 - rss0, one_copy // 10,
                        "RSS grew by %d bytes for a view of %d" % (rss1 - rss0, one_copy))
        self.assertEqual(total, 0.5 * (N - 1) * N / 2 + (N - 1) * 1000)
        # The arrays are the C columns themselves.
        self.assertEqual(v.ctypes.data, _lib.lib.scope_series_values(x._ptr))
        self.assertEqual(t.ctypes.data, _lib.lib.scope_series_timestamps(x._ptr))
        self.assertFalse(v.flags.writeable)
        self.assertFalse(v.flags.owndata)
        # The base chain ends at the owner, the SeriesSet.
        self.assertIs(base_chain(v)[-1], s)
        self.assertIs(base_chain(t[5:100])[-1], s)
        self.assertIs(base_chain(x.times)[-1], s)
        # A copy, by contrast, is visible in RSS: the measurement can fail.
        rss2 = rss_bytes()
        c = v.copy()
        c += 1
        self.assertGreater(rss_bytes() - rss2, one_copy * 9 // 10)
        del c
        # The owner stays alive as long as an array does.
        ws = weakref.ref(s)
        s.close()  # deferred: arrays still view the memory
        self.assertTrue(s.closed)
        with self.assertRaises(ValueError):
            len(s)
        del s, x
        gc.collect()
        self.assertIsNotNone(ws())
        self.assertEqual(v[N - 1], 0.5 * (N - 1))
        rss3 = rss_bytes()
        del v, t
        gc.collect()
        self.assertIsNone(ws())  # freed with the last array
        self.assertGreater(rss3 - rss_bytes(), one_copy)  # both columns went back

    def test_growing_a_viewed_series_is_refused(self):
        s = scope.SeriesSet()
        x = s.add("x")
        x.extend([1, 2], [1.0, 2.0])
        v = x.values
        with self.assertRaises(scope.StateError):
            x.append(3, 3.0)
        with self.assertRaises(scope.StateError):
            x.extend([4], [4.0])
        with self.assertRaises(scope.StateError):
            x.reserve(100)
        with self.assertRaises(scope.StateError):
            s.merge(scope.SeriesSet())
        other = s.add("other")  # other series are independent
        other.append(1, 1.0)
        w = v.copy()
        del v
        x.append(3, 3.0)
        self.assertEqual(w.tolist(), [1.0, 2.0])
        self.assertEqual(x.values.tolist(), [1.0, 2.0, 3.0])


def cycles(fn, n=10_000, warm=1_000):
    """RSS growth over @n calls of @fn after @warm warm-up calls."""
    for _ in range(warm):
        fn()
    gc.collect()
    before = rss_bytes()
    t0 = time.monotonic()
    for _ in range(n):
        fn()
    gc.collect()
    return rss_bytes() - before, time.monotonic() - t0


class Leaks(unittest.TestCase):
    def check(self, fn, n=10_000):
        warm = min(1_000, max(n // 10, 20))
        grew, secs = cycles(fn, n, warm=warm)
        sys.stderr.write("  %s: %d cycles, %.3f ms/cycle, RSS %+d KiB\n"
                         % (fn.__name__, n, secs / n * 1e3, grew // 1024))
        self.assertLess(grew, MiB, "%s: RSS grew by %d bytes over %d cycles (%.1fs)"
                        % (fn.__name__, grew, n, secs))
        return n + warm

    def test_series_set_closed(self):
        def series_set_closed():
            with scope.SeriesSet() as s:
                x = s.add("m", {"a": "b"}, unit="1", kind="counter", help="h")
                x.extend([1, 2, 3], [1.0, 2.0, 3.0])
                x.values.sum()
        self.check(series_set_closed)

    def test_series_set_collected(self):
        def series_set_collected():
            s = scope.SeriesSet()
            s.add("m").append(1, 1.0)
            v = s[0].values
            del s
            return v
        self.check(series_set_collected)

    def test_derived_sets(self):
        s = scope.SeriesSet()
        s.add("c", kind="counter").extend(range(100), range(100))

        def derived_sets():
            s.slice(10, 50).close()
            s.rate().close()
            c = s.copy()
            c.merge(s)
            c.close()
        self.check(derived_sets)

    def test_proc_collector(self):
        def proc_collector():
            with scope.Proc() as p:
                p.start()
                p.stop()
        self.check(proc_collector)

    def test_recorder(self):
        p = scope.Proc()

        def recorder():
            with scope.Recorder([p], interval=1.0) as r:
                r.mark("k", "v")
            r.close()
        self.check(recorder)

    def test_recorder_collected_with_callback(self):
        def recorder_callback():
            r = scope.Recorder(interval=1.0, callback=lambda *a: None)
            r.add(scope.Proc())
        self.check(recorder_callback)

    def test_export_buffer(self):
        s = scope.SeriesSet()
        s.add("m", {"a": "b"}).extend(range(10), range(10))

        def export_buffer():
            scope.dumps(s, "jsonl")
        self.check(export_buffer)

    def test_errors(self):
        def error():
            try:
                scope.SeriesSet().add("0bad")
            except scope.InvalidArgument:
                pass
        self.check(error)


FIX = os.environ.get("SCOPE_FIXTURES") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "fixtures")


class AreaLeaks(unittest.TestCase):
    """Create/use/free cycles of every handle type of the areas, 10,000 of
    each, each cycle doing the cheapest real operation of the handle: a
    1 ms closed-loop load run (its thread, a connection, requests) and a
    range query, both against a loopback server in a child process (its
    memory is not this process's RSS); a top-down collector and uncore
    plans built from sysfs fixture trees (the small zen3 tree for uncore)."""

    check = Leaks.check

    def test_histogram(self):
        def histogram():
            with scope.Histogram(highest=10**7, sigfigs=2) as h:
                h.record(1000, count=3)
                b = h.encode()
            h2 = scope.Histogram.decode(b)  # freed when collected
            h2.encode_base64()
            (h2 + h2).percentile(50)
        self.check(histogram)

    def test_load_and_result(self):
        with CannedServer(b"ok\n") as srv:
            ld = scope.Load(srv.url, mode="closed", duration=0.001, connections=1)
            completed = [0, 0]

            def load_result():
                with ld.run() as r:
                    st = r.stats()
                    completed[0] += st.completed
                    completed[1] += st.completed == r.histogram().count
                    r.series.close()
            runs = self.check(load_result)
            ld.close()
            # the runs did real requests, each answered by the server
            # (a request in flight at a run's end is served, not completed)
            self.assertGreater(completed[0], 0)
            self.assertEqual(completed[1], runs)
            self.assertGreaterEqual(srv.served(), completed[0])

            def load():
                with scope.Load(srv.url, rate=10, duration=1) as x:
                    x.add_type("a", path="/a")
                    x.add_header("X-A", "1")
            self.check(load)

    def test_prometheus_and_result(self):
        import area_checks
        import json
        routes = {"/api/v1/query_range": (200, json.dumps(area_checks.MATRIX).encode())}
        with CannedServer(routes["/api/v1/query_range"][1]) as srv:
            pc = scope.Prometheus(srv.url, max_retries=-1)

            def prom_result():
                with pc.query_range_result("up", 0, 15 * 10**9, 15 * 10**9) as r:
                    self.assertEqual(len(r.series), 2)
                    r.series.close()
            queries = self.check(prom_result)
            pc.close()
            self.assertEqual(srv.served(), queries)

            def prom():
                with scope.Prometheus(srv.url) as p:
                    p.add_header("X-A", "1")
            self.check(prom)

    def test_cgroup_target(self):
        root = os.path.join(FIX, "cgroup", "v1-cgroupfs")

        def cgroup():
            with scope.CgroupMounts(root) as m:
                m.resolve("pid:777")
                with scope.Cgroup("pid:777", mounts=m) as c:
                    c.start()
                    c.sample().close()
            with scope.Target("pid:%d+threads" % os.getpid()) as t:
                t.resolve()
        self.check(cgroup)

    def test_pmu_topdown(self):
        csv = os.path.join(FIX, "topdown", "icelake_summary.csv")
        root = os.path.join(FIX, "sysfs", "icelake")

        def pmu():
            with scope.Pmu("task-clock") as p:
                p.start()
                p.read()
                p.stop()
            scope.Pmu("task-clock").collector().close()
            with scope.TopDown(cpu="icelake", sysfs_root=root) as td:
                td.replay_csv(csv)
        self.check(pmu)

        def topdown_collector():
            with scope.TopDown(cpu="icelake", sysfs_root=root) as td:
                td.collector(td.pmu()).close()
        self.check(topdown_collector)

    def test_uncore_resctrl(self):
        zen3 = os.path.join(FIX, "uncore", "zen3")
        rc = os.path.join(FIX, "uncore", "resctrl")

        def uncore():
            with scope.UncorePlan(zen3) as p:
                self.assertEqual(len(p.counters), 8)
            scope.Uncore(sysfs_root=zen3).close()
        self.check(uncore)

        def resctrl():
            with scope.Resctrl(root=rc) as c:
                c.start()
                c.sample().close()
        self.check(resctrl)

    def test_exporter(self):
        s = scope.SeriesSet()
        s.add("m").append(1, 1.0)

        def exporter():
            with scope.Exporter() as e:
                e.publish(s)
        self.check(exporter)


if __name__ == "__main__":
    unittest.main()
