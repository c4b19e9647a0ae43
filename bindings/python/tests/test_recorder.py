"""Recorder callbacks run on the recorder's C thread; exceptions raised in
them stop the recording cleanly and are raised again in the caller."""
import gc
import threading
import time
import unittest
import weakref

import _util  # noqa: F401

import scope


class Boom(Exception):
    pass


class Callbacks(unittest.TestCase):
    def test_callback_runs_on_the_c_thread(self):
        seen = []

        def cb(rec, s, wall_ns):
            seen.append((threading.get_ident(), threading.main_thread().ident, wall_ns,
                         s["scope_recorder_sample_seconds"].values[-1]))

        main = threading.get_ident()
        with scope.Recorder([scope.Proc()], interval=0.01, callback=cb) as rec:
            time.sleep(0.1)
        self.assertGreaterEqual(len(seen), 5)
        self.assertEqual(len(seen), rec.sample_count)
        idents = {t for t, _, _, _ in seen}
        self.assertEqual(len(idents), 1)
        self.assertNotIn(main, idents)  # not the caller's thread
        walls = [w for _, _, w, _ in seen]
        self.assertEqual(walls, rec.series["scope_recorder_sample_seconds"].timestamps.tolist())
        self.assertTrue(all(v > 0 for _, _, _, v in seen))

    def test_exception_aborts_run_and_is_reraised(self):
        calls = []

        def cb(rec, s, wall_ns):
            calls.append(wall_ns)
            if len(calls) == 3:
                raise Boom("third sample")

        proc = scope.Proc()
        rec = scope.Recorder([proc], interval=0.01, callback=cb)
        rec.start()
        t0 = time.monotonic()
        try:
            rec.wait()
            self.fail("wait() did not raise the callback's exception")
        except Boom as e:
            exc = e
        self.assertLess(time.monotonic() - t0, 5)  # stopped at once, no hang
        self.assertEqual(str(exc), "third sample")
        # the traceback reaches into the callback
        tb = exc.__traceback__
        frames = []
        while tb:
            frames.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        self.assertIn("cb", frames)
        self.assertEqual(len(calls), 3)
        self.assertEqual(rec.sample_count, 3)  # no sample after the failing one
        self.assertEqual(len(rec.series["scope_recorder_sample_seconds"]), 3)
        # The recorder is reusable after a failed run, and the collector was stopped.
        calls.clear()
        rec.start()
        time.sleep(0.01)
        with self.assertRaises(Boom):
            rec.wait()
        rec.close()
        proc.close()

    def test_exception_in_with_block(self):
        def cb(rec, s, wall_ns):
            raise KeyError("from the C thread")

        with self.assertRaises(KeyError):
            with scope.Recorder([scope.Proc()], interval=0.01, callback=cb) as rec:
                time.sleep(0.05)
        self.assertTrue(rec.closed)
        self.assertEqual(rec.sample_count, 1)

    def test_body_exception_wins(self):
        def cb(rec, s, wall_ns):
            raise KeyError("callback")

        with self.assertRaises(Boom):
            with scope.Recorder([scope.Proc()], interval=0.01, callback=cb):
                time.sleep(0.03)
                raise Boom("body")

    def test_callback_view_is_transient(self):
        kept = []

        def cb(rec, s, wall_ns):
            x = s["scope_recorder_sample_seconds"]
            kept.append((s, x, x.values))  # values are a copy

        with scope.Recorder(interval=0.01, callback=cb) as rec:
            time.sleep(0.05)
        s, x, v = kept[0]
        self.assertEqual(len(v), 1)
        self.assertTrue(v.flags.owndata)
        with self.assertRaises(ValueError):
            len(s)  # valid only during the call
        with self.assertRaises(ValueError):
            x.values

    def test_stop_and_mark_from_callback(self):
        def cb(rec, s, wall_ns):
            n = rec.sample_count
            rec.mark("n", str(n))
            if n >= 4:
                rec.stop()

        with scope.Recorder([scope.Proc()], interval=0.01, callback=cb) as rec:
            rec.wait()
        self.assertIn(rec.sample_count, (4, 5))
        marks = {x.label("n") for x in rec.series.select("process_threads")}
        self.assertTrue({"1", "2", "3"} <= marks)

    def test_wait_or_close_from_callback_is_refused(self):
        def cb(rec, s, wall_ns):
            rec.wait()

        rec = scope.Recorder(interval=0.01, callback=cb)
        rec.start()
        with self.assertRaises(scope.StateError) as cm:
            rec.wait()
        self.assertIn("callback", cm.exception.message)
        rec.close()

    def test_ctrl_c_during_wait_stops_the_recording(self):
        import _thread
        rec = scope.Recorder([scope.Proc()], interval=0.01, duration=30)
        rec.start()
        threading.Timer(0.1, _thread.interrupt_main).start()
        t0 = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            rec.wait()
        rec.close()
        self.assertLess(time.monotonic() - t0, 5)
        self.assertLess(rec.sample_count, 100)

    def test_duration_ends_the_recording(self):
        t0 = time.monotonic()
        with scope.Recorder(interval=0.01, duration=0.2) as rec:
            rec.wait()
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)
        # the first sample at once, then one per tick for 20 ticks; a busy
        # machine may make the recorder miss ticks (counted, never stretched)
        self.assertLessEqual(rec.sample_count, 21)
        self.assertGreaterEqual(rec.sample_count + rec.missed_count, 21)

    def test_stop_from_another_thread(self):
        rec = scope.Recorder([scope.Proc()], interval=0.01)
        stopped = []

        def stopper():  # once it sampled twice (a busy or sanitized run is slow)
            deadline = time.monotonic() + 10
            while rec.sample_count < 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            stopped.append(time.monotonic())
            rec.stop()
        rec.start()
        threading.Thread(target=stopper).start()
        rec.wait()
        self.assertEqual(len(stopped), 1)
        self.assertLess(time.monotonic() - stopped[0], 2.0)  # wait() returned on the stop
        self.assertGreaterEqual(rec.sample_count, 2)
        rec.close()

    def test_recorder_dropped_while_running(self):
        n = []
        r = scope.Recorder([scope.Proc()], interval=0.01, callback=lambda *a: n.append(1))
        r.start()
        wr = weakref.ref(r)
        del r
        gc.collect()
        self.assertIsNone(wr())  # the callback holds no strong reference
        count = len(n)
        time.sleep(0.05)
        self.assertEqual(len(n), count)  # stopped and joined on collection


if __name__ == "__main__":
    unittest.main()
