"""Every binding called at least once, through the Pythonic surface, with
results checked against independent computations (/proc, numpy, csv, json)."""
import csv
import datetime
import io
import json
import math
import os
import tempfile
import time
import unittest

from _util import SOURCE_DIR  # noqa: F401 (sets sys.path)

import numpy as np

import scope
from scope import _lib

CALLED = {}


class _Counting:
    """Wraps a bound C function and counts calls (the package looks
    functions up on the library object at every call)."""

    def __init__(self, name, f):
        self.name, self.f = name, f

    def __call__(self, *args):
        CALLED[self.name] = CALLED.get(self.name, 0) + 1
        return self.f(*args)


def setUpModule():
    for name in _lib.TABLES.functions:
        setattr(_lib.lib, name, _Counting(name, getattr(_lib.lib, name)))


def tearDownModule():
    for name in _lib.TABLES.functions:
        w = getattr(_lib.lib, name)
        if isinstance(w, _Counting):
            setattr(_lib.lib, name, w.f)


def make_set():
    s = scope.SeriesSet()
    a = s.add("req_total", {"path": "/a", "code": "200"}, unit="1", kind="counter",
              help="Requests")
    a.extend(np.array([1, 2, 3, 4]) * 10**9, [10.0, 20.0, 25.0, 5.0])
    g = s.add("temp", None, unit="celsius", kind=scope.Kind.GAUGE)
    g.append(2 * 10**9, 1.5)
    g.append(datetime.datetime(1970, 1, 1, 0, 0, 5), float("nan"))
    return s


class Core(unittest.TestCase):
    def test_version(self):
        self.assertRegex(scope.version(), r"^\d+\.\d+\.\d+$")
        major, minor, patch = map(int, scope.version().split("."))
        self.assertEqual(scope.version_number(), major * 10000 + minor * 100 + patch)

    def test_errors_and_strerror(self):
        self.assertEqual(scope.error_name(-1), "SCOPE_EINVAL")
        self.assertEqual(scope.error_name(12345), "SCOPE_EUNKNOWN")
        self.assertTrue(scope.strerror(-3))
        self.assertEqual(scope.strerror(777), "unknown error")
        scope.clear_error()
        self.assertEqual(scope.last_error(), (0, 0, ""))
        with self.assertRaises(scope.InvalidArgument):
            scope.SeriesSet().add("0bad")
        code, err, msg = scope.last_error()
        self.assertEqual(code, -1)
        self.assertEqual(err, 0)
        self.assertIn("0bad", msg)

    def test_clock(self):
        t0 = time.time_ns()
        w, m = scope.clock_now()
        t1 = time.time_ns()
        self.assertLessEqual(t0, w)
        self.assertLessEqual(w, t1)
        m0 = time.monotonic_ns()
        self.assertLessEqual(abs(m0 - m), 10**9)
        self.assertLessEqual(abs(scope.wall_ns() - time.time_ns()), 10**8)
        a = scope.mono_ns()
        b = time.monotonic_ns()
        c = scope.mono_ns()
        self.assertTrue(a <= b <= c)


class Series(unittest.TestCase):
    def test_identity_and_accessors(self):
        s = make_set()
        self.assertEqual(len(s), 2)
        a = s[0]
        self.assertEqual(a.name, "req_total")
        self.assertEqual(a.unit, "1")
        self.assertEqual(a.help, "Requests")
        self.assertEqual(a.kind, scope.Kind.COUNTER)
        self.assertEqual(scope.kind_name(a.kind), "counter")
        self.assertEqual(a.labels, {"code": "200", "path": "/a"})  # sorted by key
        self.assertEqual(list(a.labels), ["code", "path"])
        self.assertEqual(a.label("path"), "/a")
        self.assertIsNone(a.label("nope"))
        self.assertEqual(a.selector, 'req_total{code="200",path="/a"}')
        self.assertEqual(len(a), 4)
        self.assertEqual(a.timestamps.tolist(), [10**9, 2 * 10**9, 3 * 10**9, 4 * 10**9])
        self.assertEqual(a.values.tolist(), [10.0, 20.0, 25.0, 5.0])
        self.assertEqual(str(a.times[0]), "1970-01-01T00:00:01.000000000")
        self.assertEqual(s["temp"].help, "")
        self.assertTrue(math.isnan(s["temp"].values[1]))
        self.assertEqual(s["temp"].timestamps[1], 5 * 10**9)
        self.assertEqual(s[-1], s["temp"])
        self.assertEqual(s[np.int64(1)], s["temp"])
        with self.assertRaises(IndexError):
            s[2]
        with self.assertRaises(KeyError):
            s["nope"]
        self.assertEqual(s.point_count, 6)

    def test_find_and_same_identity(self):
        s = make_set()
        f = s.find("req_total", {"path": "/a", "code": "200"})
        self.assertEqual(f, s[0])
        self.assertEqual(s.add("req_total", {"code": "200", "path": "/a"}, unit="1",
                               kind="counter"), s[0])
        with self.assertRaises(scope.NotFound) as cm:
            s.find("req_total", {"path": "/b"})
        self.assertTrue(cm.exception.message)
        with self.assertRaises(scope.InvalidArgument):  # kind clash
            s.add("req_total", {"code": "200", "path": "/a"}, unit="1", kind="gauge")
        self.assertEqual(s.select(path="/a"), [s[0]])
        self.assertEqual(s.select("temp"), [s[1]])

    def test_end(self):
        s = make_set()
        t = s["temp"]
        self.assertEqual(t.end_time, 0)
        t.end(9 * 10**9)
        self.assertEqual(t.end_time, 9 * 10**9)
        with self.assertRaises(scope.InvalidArgument):
            t.append(10 * 10**9, 1.0)

    def test_reserve_and_extend(self):
        s = scope.SeriesSet()
        x = s.add("x")
        x.reserve(1000)
        x.extend(np.arange(1000), np.arange(1000) * 0.5)
        self.assertEqual(len(x), 1000)
        np.testing.assert_array_equal(x.values, np.arange(1000) * 0.5)
        with self.assertRaises(scope.InvalidArgument):  # out of order, nothing appended
            y = s.add("y")
            y.extend([5, 4], [1, 2])
        self.assertEqual(len(s["y"]), 0)

    def test_merge_slice_rate_copy(self):
        s = make_set()
        other = scope.SeriesSet()
        o = other.add("req_total", {"path": "/a", "code": "200"}, unit="1", kind="counter")
        o.extend([2 * 10**9, 6 * 10**9], [21.0, 9.0])
        other.add("new_metric").append(1, 2.0)
        s.merge(other)
        a = s[0]
        self.assertEqual(a.timestamps.tolist(), [t * 10**9 for t in (1, 2, 3, 4, 6)])
        self.assertEqual(a.values.tolist(), [10.0, 21.0, 25.0, 5.0, 9.0])  # src wins at t=2
        self.assertEqual(len(s), 3)
        del a

        sl = s.slice(2 * 10**9, np.datetime64(4, "s"))
        self.assertEqual(sl[0].timestamps.tolist(), [2 * 10**9, 3 * 10**9])
        self.assertEqual(len(sl), 3)  # identities kept, even empty ones
        self.assertEqual(len(sl["new_metric"]), 0)

        r = s.rate()
        self.assertEqual([x.name for x in r], ["req_total"])  # gauges not carried
        rr = r[0]
        self.assertEqual(rr.kind, scope.Kind.GAUGE)
        self.assertEqual(rr.unit, "1/s")
        ts = np.array([1, 2, 3, 4, 6], dtype=float)
        v = np.array([10.0, 21.0, 25.0, 5.0, 9.0])
        d = np.diff(v)
        d[d < 0] = v[1:][d < 0]  # reset: the counter restarted from 0
        np.testing.assert_allclose(rr.values, d / np.diff(ts))

        c = s.copy()
        self.assertEqual(repr(c.to_records()), repr(s.to_records()))
        c[0].append(7 * 10**9, 1.0)
        self.assertEqual(len(c[0]), len(s[0]) + 1)

    def test_to_records(self):
        rows = make_set().to_records()
        self.assertEqual(rows[0], (10**9, "req_total", {"code": "200", "path": "/a"}, 10.0))
        self.assertEqual(len(rows), 6)

    def test_to_pandas_long_and_wide(self):
        s = make_set()
        df = s.to_pandas()
        self.assertEqual(list(df.columns), ["time", "metric", "code", "path", "value"])
        self.assertEqual(len(df), 6)
        self.assertEqual(df["metric"].tolist(), ["req_total"] * 4 + ["temp"] * 2)
        self.assertEqual(df["path"].tolist()[:4], ["/a"] * 4)
        self.assertTrue(df["path"].isna().tolist()[4:] == [True, True])
        self.assertEqual(df["time"].iloc[0].value, 10**9)
        w = s.to_pandas(wide=True)
        self.assertEqual(list(w.columns), ['req_total{code="200",path="/a"}', "temp"])
        self.assertEqual([t.value for t in w.index], [t * 10**9 for t in (1, 2, 3, 4, 5)])
        self.assertEqual(w.iloc[1].tolist(), [20.0, 1.5])
        self.assertTrue(math.isnan(w["temp"].iloc[0]))
        wz = s.to_pandas(wide=True, tz="Europe/Berlin")
        self.assertEqual(str(wz.index.tz), "Europe/Berlin")
        ps = s[0].to_pandas()
        self.assertEqual(ps.name, 'req_total{code="200",path="/a"}')
        self.assertEqual(ps.iloc[-1], 5.0)
        self.assertEqual(ps.index[0].value, 10**9)


class Export(unittest.TestCase):
    def test_formats_and_destinations(self):
        s = make_set()
        self.assertEqual([scope.format_name(f) for f in scope.Format],
                         ["csv", "jsonl", "prometheus", "openmetrics"])
        text = scope.dumps(s, "csv")
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0], ["timestamp_ns", "metric", "labels", "value"])
        self.assertEqual(len(rows), 7)
        self.assertEqual(rows[1][:2], [str(10**9), "req_total"])
        self.assertEqual(float(rows[1][3]), 10.0)
        self.assertEqual(s.to_string("csv", header=False), "".join(
            line + "\n" for line in text.splitlines()[1:]))
        objs = [json.loads(line) for line in scope.dumps(s, scope.Format.JSONL).splitlines()]
        self.assertEqual(objs[0], {"timestamp_ns": 10**9, "metric": "req_total",
                                   "labels": {"code": "200", "path": "/a"}, "value": 10.0})
        self.assertEqual(objs[-1]["value"], "NaN")
        prom = scope.dumps(s, "prometheus", timestamps=True)
        self.assertIn('req_total{code="200",path="/a"} 5 4000', prom)
        om = scope.dumps(s, "openmetrics")
        self.assertTrue(om.endswith("# EOF\n"))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.jsonl")
            scope.export(s, p)  # format from the suffix
            with open(p) as f:
                self.assertEqual(f.read(), scope.dumps(s, "jsonl"))
            p2 = os.path.join(d, "y.txt")
            with open(p2, "w") as f:
                f.write("# before\n")
                s.export(f, "csv")  # through fileno(): scope_export_write
                f.write("# after\n")
            with open(p2) as f:
                self.assertEqual(f.read(), "# before\n" + text + "# after\n")
            buf = io.StringIO()
            scope.export(s, buf, "prometheus")
            self.assertEqual(buf.getvalue(), scope.dumps(s, "prometheus"))
            with self.assertRaises(scope.NotFound) as cm:
                scope.export(s, os.path.join(d, "missing", "z.csv"))
            self.assertIn("missing", cm.exception.message)
        with self.assertRaises(scope.InvalidArgument):
            scope.dumps(s, "xml")
        with self.assertRaises(scope.InvalidArgument) as cm:
            scope.dumps(s, 99)
        self.assertEqual(cm.exception.code, -1)


class Collectors(unittest.TestCase):
    def test_proc_collector_against_proc(self):
        with scope.Proc() as p, scope.SeriesSet() as s:
            self.assertEqual(p.name, "proc:%d" % os.getpid())
            names = [m.name for m in p.metrics]
            self.assertIn("process_resident_memory_bytes", names)
            m = p.metrics[names.index("process_cpu_seconds_total")]
            self.assertEqual((m.unit, m.kind), ("seconds", scope.Kind.COUNTER))
            with self.assertRaises(scope.StateError):
                p.sample(s)  # not started
            p.start()
            with self.assertRaises(scope.StateError):
                p.start()
            with open("/proc/self/status") as f:
                threads = int([ln for ln in f if ln.startswith("Threads:")][0].split()[1])
            p.sample(s)
            rss_lo = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            t = s.find("process_threads", {"pid": str(os.getpid()), "comm": s["process_threads"]
                                           .label("comm")})
            self.assertEqual(t.values[-1], threads)
            rss = s["process_resident_memory_bytes"].values[-1]
            self.assertLess(abs(rss - rss_lo), 64 << 20)
            self.assertEqual(p.rescan(), 0)  # process mode: no new sources
            p.stop()
            p.stop()  # no-op

    def test_proc_threads_rescan(self):
        import threading
        ev = threading.Event()
        with scope.Proc(threads=True) as p:
            p.start()
            th = threading.Thread(target=ev.wait)
            th.start()
            try:
                self.assertGreaterEqual(p.rescan(), 1)
                s = p.sample()
                tids = {x.label("tid") for x in s.select("process_threads")}
                self.assertIn(str(th.native_id), tids)
            finally:
                ev.set()
                th.join()

    def test_proc_gone(self):
        with self.assertRaises(scope.InvalidArgument):
            scope.Proc(pid=0)
        p = scope.Proc(pid=2**22 + 12345)
        with self.assertRaises(scope.Gone) as cm:
            p.start()
        self.assertIn(str(2**22 + 12345), cm.exception.message)
        p.close()
        with self.assertRaises(ValueError):
            p.name


class Recorder(unittest.TestCase):
    def test_with_block_marks_and_series(self):
        proc = scope.Proc()
        with scope.Recorder([proc], interval=0.02) as rec:
            with self.assertRaises(scope.StateError):
                rec.series
            rec.mark("phase", "one")
            time.sleep(0.15)
            rec.mark("phase", "two")
            time.sleep(0.15)
            rec.mark("phase")  # removes the label
            time.sleep(0.1)
            self.assertGreater(rec.sample_count, 3)
        self.assertTrue(rec.closed)
        self.assertGreaterEqual(rec.sample_count, 10)
        self.assertEqual(rec.error_count, 0)
        self.assertEqual(rec.last_error, "")
        self.assertGreaterEqual(rec.missed_count, 0)
        s = rec.series
        phases = {x.label("phase") for x in s.select("process_threads")}
        self.assertEqual(phases, {"one", "two", None})
        sec = s["scope_recorder_sample_seconds"]
        self.assertEqual(len(sec), rec.sample_count)
        d = np.diff(sec.timestamps)
        self.assertTrue(np.all(d > 0))
        self.assertLess(abs(np.median(d) - 0.02e9), 0.01e9)
        proc.close()  # the recorder is closed: allowed

    def test_manual_cycle_duration_and_errors(self):
        with self.assertRaises(scope.InvalidArgument):
            scope.Recorder(interval=0.0001)
        p = scope.Proc()
        rec = scope.Recorder(interval=0.01, duration=0.05)
        rec.add(p)
        with self.assertRaises(scope.AlreadyExists):
            rec.add(p)
        with self.assertRaises(scope.StateError):
            rec.wait()  # never started
        rec.start()
        with self.assertRaises(scope.StateError):
            rec.add(scope.Proc())
        with self.assertRaises(scope.StateError):
            p.close()  # attached to an open recorder
        with self.assertRaises(scope.InvalidArgument):
            rec.mark("1bad", "x")
        s = rec.wait()  # ends by itself after the duration
        self.assertIs(s, rec.series)
        n1 = rec.sample_count
        # first at once, then 5 ticks (ticks missed on a busy machine are counted)
        self.assertLessEqual(rec.sample_count, 6)
        self.assertGreaterEqual(rec.sample_count + rec.missed_count, 6)
        rec.start()
        rec.stop()
        rec.wait()
        self.assertIsNot(rec.series, s)
        self.assertEqual(len(s["scope_recorder_sample_seconds"]), n1)  # still ours
        rec.close()
        rec.close()
        p.close()

    def test_record_one_call(self):
        def work():  # 0.15 s of CPU, however busy the machine (bounded at 10 s)
            c, t = time.process_time(), time.monotonic()
            while time.process_time() - c < 0.15 and time.monotonic() - t < 10:
                pass
        p = scope.Proc()
        t0 = os.times()
        s = scope.record(work, [p], interval=0.02, marks={"run": "a"})
        t1 = os.times()
        used = (t1.user + t1.system) - (t0.user + t0.system)
        cpu = sum(x.values[-1] - x.values[0] for x in s.select("process_cpu_seconds_total"))
        # The recording covers all but the last interval of the busy loop;
        # CPU times have a resolution of one tick (10 ms) per mode.
        self.assertGreaterEqual(used, 0.12)  # os.times() ticks in 10 ms
        self.assertLessEqual(cpu, used + 0.02)
        self.assertGreaterEqual(cpu, used - 0.02 - 0.04)
        self.assertEqual({x.label("run") for x in s.select("process_threads")}, {"a"})
        s2 = scope.record(collectors=[p], interval=0.01, duration=0.05)
        self.assertLessEqual(len(s2["scope_recorder_sample_seconds"]), 6)
        with self.assertRaises(ZeroDivisionError) as cm:
            scope.record(lambda: 1 / 0, [p], interval=0.01)
        self.assertGreaterEqual(len(cm.exception.scope_series["scope_recorder_sample_seconds"]), 1)
        with self.assertRaises(scope.InvalidArgument):
            scope.record()
        with self.assertRaises(TypeError) as cm:  # unknown option names are refused
            scope.Proc.__new__(scope.Proc)._open("scope_proc_open", "scope_proc_opts",
                                                 {"thread": 1}, 1)
        self.assertIn("threads", str(cm.exception))
        p.close()  # every recorder is closed

    def test_collector_failing_to_start(self):
        rec = scope.Recorder([scope.Proc(pid=2**22 + 4321)], interval=0.01)
        with self.assertRaises(scope.Gone) as cm:
            rec.start()
        self.assertIn("recorder", cm.exception.message)
        rec.close()

    def test_callback_sees_growing_set(self):
        seen = []

        def cb(rec, series_set, wall_ns):
            seen.append((wall_ns, len(series_set["scope_recorder_sample_seconds"])))
            return len(seen) >= 3  # a true value stops the recording

        with scope.Recorder([scope.Proc()], interval=0.01, callback=cb) as rec:
            rec.wait()
        self.assertEqual([n for _, n in seen], [1, 2, 3])
        self.assertEqual(rec.sample_count, 3)
        self.assertEqual([w for w, _ in seen],
                         rec.series["scope_recorder_sample_seconds"].timestamps.tolist())


import area_checks  # noqa: E402

# Subclassed here so that they run inside this module's setUpModule (which
# counts the calls); unittest sorts classes by name, ZZLast runs last.


class AHistogram(area_checks.AHistogram):
    pass


class BLoad(area_checks.BLoad):
    pass


class CPrometheus(area_checks.CPrometheus):
    pass


class DCgroup(area_checks.DCgroup):
    pass


class EPmu(area_checks.EPmu):
    pass


class FUncore(area_checks.FUncore):
    pass


class GExporter(area_checks.GExporter):
    pass


class ZZLast(unittest.TestCase):
    def test_every_binding_was_called(self):
        # Runs after the other classes (unittest sorts them by name).
        if len(CALLED) < 10:
            self.skipTest("run the whole module to check coverage")
        missing = sorted(set(_lib.TABLES.functions) - set(CALLED))
        self.assertEqual(missing, [], "bindings never called by this suite")


if __name__ == "__main__":
    unittest.main()
