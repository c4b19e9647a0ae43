"""The recorder: samples collectors every interval on its own C thread, all
on one timeline, into one series set.

    with scope.Recorder([scope.Proc(pid)], interval=0.1) as rec:
        rec.mark("phase", "warmup")
        run_warmup()
        rec.mark("phase", "load")
        run_load()
    df = rec.series.to_pandas()

Leaving the ``with`` block stops the recording, waits for the thread, keeps
the recorded series (``rec.series``, a :class:`SeriesSet` that you own) and
the counters, and frees the C recorder. Without ``with``, call
:meth:`Recorder.start`, :meth:`Recorder.stop`, :meth:`Recorder.wait`
(which may be repeated) and finally :meth:`Recorder.close`.
"""

import atexit
import ctypes
import threading
import time
import weakref

from . import _lib
from ._handle import Handle, invalid, state_error
from ._lib import cstr, lib, text
from .collector import Collector
from .errors import CallbackError
from .series import SeriesSet

__all__ = ["Recorder", "record"]

_running = weakref.WeakSet()
_tls = threading.local()  # .recorder: the recorder whose callback runs on this thread


@atexit.register
def _stop_all():
    # A recorder thread must not call into Python while the interpreter
    # shuts down: stop and join every recording first.
    for r in list(_running):
        try:
            r.close()
        except Exception:  # pragma: no cover
            pass


class Recorder(Handle):
    """Samples collectors at an interval on its own thread (scope_recorder).

    Args:
        collectors: Collector objects (e.g. :class:`scope.Proc`); the
            recorder keeps them alive and does not close them.
        interval: sampling interval in seconds (at least 0.001; default 1).
        duration: stop by itself after this many seconds (None: until
            stopped).
        rescan_every: call each collector's rescan() every N ticks (0: never).
        self_series: False leaves out the recorder's own series
            (scope_recorder_*: sample duration, missed ticks, errors).
        keep_last: > 0 keeps only about the last N points of each series
            (between N and 2N), so a long-running recorder's memory stays
            bounded; 0 (default) keeps everything.
        callback: ``callback(recorder, series_set, wall_ns)`` called on the
            recorder's C thread after every sample, with the series so far
            (a SeriesSet valid only during the call; columns read from it are
            copies). Return a true value to stop the recording. An exception
            raised in it stops the recording cleanly and is raised again by
            :meth:`wait` (or at the end of the ``with`` block) in the caller.

    Raises:
        InvalidArgument: interval below 1 ms, negative duration.

    Counters (``sample_count``, ``missed_count``, ``error_count``) may be
    read at any time; ``series`` and ``last_error`` after the recording.
    """

    def __init__(self, collectors=(), interval=1.0, duration=None, rescan_every=0,
                 callback=None, self_series=True, keep_last=0):
        self._collectors = []
        self._series = None
        self._final = None  # counters kept when the handle is freed
        self._cb_exc = None
        self._cb_stop = False
        self._ended = threading.Event()  # set when the callback ended the run
        self._deadline = None
        self._started = False
        opts = _lib.struct_type("scope_recorder_opts")()
        lib.scope_recorder_opts_init(ctypes.byref(opts), ctypes.sizeof(opts))
        opts.interval_ns = _ns(interval, "interval")
        opts.duration_ns = 0 if duration is None else _ns(duration, "duration")
        if opts.duration_ns == 0 and duration is not None:
            raise invalid("recorder duration %r rounds to 0 ns; use None for 'until stopped'"
                          % (duration,))
        self._duration = opts.duration_ns / 1e9 if opts.duration_ns else None
        opts.rescan_every = int(rescan_every)
        opts.no_self_series = 0 if self_series else 1
        opts.keep_last = int(keep_last)
        out = ctypes.c_void_p()
        lib.scope_recorder_new(ctypes.byref(out), ctypes.byref(opts))
        self._ptr = out.value
        self._cb_obj = None
        if callback is not None:
            self._set_callback(callback)
        for c in collectors:
            self.add(c)

    def add(self, collector):
        """Adds a collector (before start). Raises AlreadyExists when added
        already, StateError while recording."""
        if not isinstance(collector, Collector):
            raise TypeError("Recorder.add() takes a scope.Collector, not %s"
                            % type(collector).__name__)
        lib.scope_recorder_add(self._p(), collector._p())
        collector._attached += 1
        self._collectors.append(collector)
        return self

    @property
    def collectors(self):
        """The collectors added, in order."""
        return list(self._collectors)

    def _set_callback(self, fn):
        wself = weakref.ref(self)  # no cycle through the C callback object

        def trampoline(r, set_ptr, wall_ns, user_data):
            me = wself()
            if me is None:
                return 1
            view = SeriesSet._wrap(set_ptr, owned=False, transient=True)
            _tls.recorder = me
            try:
                if fn(me, view, wall_ns):
                    me._cb_stop = True
                    me._ended.set()
                    return 1
                return 0
            except BaseException as e:  # abort the run; wait() raises it again
                me._cb_exc = e
                me._ended.set()
                return 1
            finally:
                view._ptr = None
                _tls.recorder = None

        self._cb_obj = _lib.callback_type("scope_recorder_cb")(trampoline)
        lib.scope_recorder_set_callback(self._p(), self._cb_obj, None)

    def start(self):
        """Starts the collectors and the recorder thread; the first sample
        is taken at once. Raises StateError when recording, or the error of
        a collector that fails to start."""
        p = self._p()
        self._cb_exc = None
        self._cb_stop = False
        self._ended.clear()
        lib.scope_recorder_start(p)
        self._started = True
        if self._duration:
            self._deadline = time.monotonic() + self._duration
        self._series = None
        _running.add(self)
        return self

    def stop(self):
        """Asks the recording to stop and returns at once (any thread)."""
        self._deadline = None  # wait() need not sleep until the duration ends
        if self._ptr is not None:
            lib.scope_recorder_stop(self._ptr)

    def wait(self):
        """Waits for the recording to end (stop, duration, or callback),
        joins the thread and stops the collectors. Returns the recorded
        :class:`SeriesSet` (also kept as ``series``).

        Raises:
            the exception a callback raised;
            StateError: never started;
            the recorder thread's fatal error (OutOfMemory).
        """
        p = self._p()
        self._not_from_callback("wait")
        self._sleep_until_done()
        try:
            lib.scope_recorder_wait(p)
        except CallbackError:
            exc, self._cb_exc = self._cb_exc, None
            self._take(p)
            if exc is not None:
                raise exc
            if not self._cb_stop:
                raise
        else:
            self._take(p)
        finally:
            _running.discard(self)
        return self._series

    def _not_from_callback(self, what):
        if getattr(_tls, "recorder", None) is self:
            raise state_error("Recorder.%s() called from its own callback would wait for "
                              "itself: return True from the callback to stop instead" % what)

    def _sleep_until_done(self):
        # With a duration, wait in Python so that Ctrl-C (KeyboardInterrupt)
        # stops the recording instead of being held until the C wait returns.
        try:
            while self._started and self._deadline is not None:
                left = self._deadline - time.monotonic()
                if left <= 0 or self._ended.wait(min(left, 0.1)):
                    break
        except BaseException:
            self.stop()
            raise

    def _take(self, p):
        # Keep a copy that outlives the recorder (and its next start).
        if self._started:
            s = SeriesSet()
            lib.scope_series_set_merge(s._p(), lib.scope_recorder_series(p))
            self._series = s
            self._started = False

    def mark(self, key, value=None):
        """Labels every later sample with key=value (value None removes the
        label); any thread. Raises InvalidArgument for a bad key,
        LimitExceeded past 16 marks."""
        lib.scope_recorder_mark(self._p(), cstr(key, "mark key"),
                                None if value is None else cstr(value, "mark value"))

    @property
    def series(self):
        """The series of the last finished recording (a SeriesSet owned by
        Python, independent of the recorder), or None before one ended.
        Raises StateError while recording."""
        if self._started and self._ptr is not None:
            raise state_error("the recording is still running: read series after stop() and "
                              "wait(), or inside the callback")
        return self._series

    def _counter(self, fn, i):
        if self._ptr is None:
            return self._final[i] if self._final else 0
        return fn(self._ptr)

    @property
    def sample_count(self):
        """Samples taken by the current or last recording."""
        return self._counter(lib.scope_recorder_sample_count, 0)

    @property
    def missed_count(self):
        """Ticks that could not be served in time."""
        return self._counter(lib.scope_recorder_missed_count, 1)

    @property
    def error_count(self):
        """Collector read errors (a vanished target is not an error)."""
        return self._counter(lib.scope_recorder_error_count, 2)

    @property
    def last_error(self):
        """The last collector error message of the last recording ("")."""
        if self._ptr is None:
            return self._final[3] if self._final else ""
        return text(lib.scope_recorder_last_error(self._ptr))

    def __enter__(self):
        """Starts the recording (unless started already)."""
        if not self._started:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stops, waits (raising a callback's exception unless the body
        raised), keeps the series and counters, and closes the recorder."""
        try:
            if self._started:
                self.stop()
                if exc_type is None:
                    self.wait()
                else:
                    try:
                        self.wait()
                    except BaseException:
                        pass  # the body's exception wins
        finally:
            self.close()
        return False

    def _release(self, p):
        lib.scope_recorder_free(p)

    def close(self):
        """Stops and joins a running recording, frees the recorder and
        detaches its collectors (which stay open). The recorded ``series``
        and the counters stay readable."""
        p = self._ptr
        if p is None:
            return
        self._not_from_callback("close")
        if self._started:
            self.stop()
            try:
                self.wait()
            except BaseException:
                pass
        self._final = (lib.scope_recorder_sample_count(p), lib.scope_recorder_missed_count(p),
                       lib.scope_recorder_error_count(p), text(lib.scope_recorder_last_error(p)))
        self._ptr = None
        lib.scope_recorder_free(p)
        _running.discard(self)
        cs, self._collectors = self._collectors, []
        for c in cs:
            c._detach()
        self._cb_obj = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self):
        if self._ptr is None:
            return "<scope.Recorder closed, %d samples>" % self.sample_count
        return "<scope.Recorder %d collectors, %s, %d samples>" % (
            len(self._collectors), "recording" if self._started else "idle", self.sample_count)


def _ns(seconds, what):
    try:
        ns = int(round(float(seconds) * 1e9))
    except (TypeError, ValueError):
        raise invalid("recorder %s must be a number of seconds, got %r" % (what, seconds)) \
            from None
    return ns


def record(work=None, collectors=(), interval=1.0, duration=None, marks=None, **kwargs):
    """Records @collectors while @work runs (or for @duration seconds) and
    returns the recorded SeriesSet: the one call a notebook needs::

        s = scope.record(lambda: run_load_test(), [scope.Proc(pid)], interval=0.1)
        df = s.to_pandas()

    Args:
        work: a callable run in this thread while recording; its exception
            propagates (the recording is stopped and kept on the exception
            as ``exc.scope_series``). None records for @duration.
        collectors, interval, duration: as for :class:`Recorder`; other
            keyword arguments (rescan_every, callback) are passed on.
        marks: dict of labels put on every sample (Recorder.mark).
    """
    if work is None and duration is None:
        raise invalid("record() needs work to run or a duration")
    rec = Recorder(collectors, interval=interval, duration=duration, **kwargs)
    try:
        for k, v in (marks or {}).items():
            rec.mark(k, v)
        rec.start()
        if work is None:
            return rec.wait()
        try:
            work()
        except BaseException as e:
            rec.stop()
            try:
                e.scope_series = rec.wait()
            except BaseException:
                pass
            raise
        rec.stop()
        return rec.wait()
    finally:
        rec.close()
