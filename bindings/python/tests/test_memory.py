"""Data hand-over without copies, owner lifetimes, and leak checks
(RSS-based, hence label nosan)."""
import gc
import time
import unittest
import weakref

from _util import rss_bytes

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
        grew, secs = cycles(fn, n)
        self.assertLess(grew, MiB, "%s: RSS grew by %d bytes over %d cycles (%.1fs)"
                        % (fn.__name__, grew, n, secs))

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


if __name__ == "__main__":
    unittest.main()
