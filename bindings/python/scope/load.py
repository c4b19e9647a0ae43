"""HTTP/1.1 load drivers (scope_load): open loop at a constant or Poisson
rate, free of coordinated omission, or closed loop; weighted mixes of
request types; per-request Python callbacks; results with counts, HDR
latency histograms and per-interval series."""

import collections
import ctypes
import os
import threading
import weakref

from . import _lib
from ._handle import Handle
from ._lib import cstr, lib, text
from .errors import CallbackError
from .hist import Histogram
from .series import SeriesSet

__all__ = ["Load", "LoadResult", "LoadStats", "LoadRequest", "sweep_values",
           "ERROR_KINDS", "error_kind_name", "mode_name"]

MODES = {"open": 1, "closed": 2}
ARRIVALS = {"constant": 1, "poisson": 2}
#: Error kinds of :meth:`LoadResult.errors` and the response callback.
ERROR_KINDS = {"connect": 1, "read": 2, "write": 3, "timeout": 4, "parse": 5}
SWEEP_KINDS = {"rate": 1, "body": 2}

_STATS_FIELDS = tuple(f for _, f in _lib.TABLES.structs["scope_load_stats"] if f != "size")
LoadStats = collections.namedtuple("LoadStats", _STATS_FIELDS)
LoadStats.__doc__ = (
    "Counts of a run (one request type or all): sent, completed, errors, in_flight, late, "
    "backlog, status_2xx .. status_5xx, status_other, connects, reconnects, bytes_read "
    "(the last three for all types only), duration_ns, rate (completed per second) and "
    "target_rate. sent = completed + errors + in_flight.")


def error_kind_name(kind):
    """"connect", "read", "write", "timeout", "parse" for a kind number."""
    return text(lib.scope_load_error_kind_name(int(kind)))


def mode_name(mode):
    """"open" or "closed" for a mode number."""
    return text(lib.scope_load_mode_name(int(mode)))


def _ns(x, what):
    if x is None:
        return 0
    if isinstance(x, bool) or x < 0:
        raise ValueError("%s must be a non-negative number of seconds, not %r" % (what, x))
    return int(round(float(x) * 1e9))


def _pick(table, value, what):
    if isinstance(value, str):
        if value not in table:
            raise ValueError("%s %r: one of %s" % (what, value, ", ".join(table)))
        return table[value]
    return int(value)


class LoadRequest:
    """The request being built, handed to the ``on_request`` callback; valid
    only during the call."""

    __slots__ = ("_ptr", "thread", "type")

    def __init__(self, ptr, thread, type_):
        self._ptr, self.thread, self.type = ptr, thread, type_

    def _p(self):
        if self._ptr is None:
            raise ValueError("a LoadRequest is valid only inside the on_request callback")
        return self._ptr

    def set_path(self, path):
        """This request's target ("/item?id=7")."""
        lib.scope_load_request_set_path(self._p(), cstr(path))

    def set_body(self, body):
        """This request's body (bytes or str)."""
        b = body.encode() if isinstance(body, str) else bytes(body)
        lib.scope_load_request_set_body(self._p(), b, len(b))

    def add_header(self, name, value):
        """An extra header for this request."""
        lib.scope_load_request_add_header(self._p(), cstr(name), cstr(value))


class Load(Handle):
    """A load description against one HTTP(S) server (scope_load).

    Args:
        url: "http://HOST[:PORT][/PATH]" or "https://..." (resolved now;
            https verifies the server's certificate chain and that it names
            HOST, unless tls_insecure).
        rate: open loop: requests per second over all threads (needed for
            mode "open"; change it later with :meth:`set_rate`).
        mode: "open" (default): requests follow a schedule of intended send
            times and latency is measured from them (free of coordinated
            omission); "closed": each connection sends its next request
            when the previous completes (after @think).
        arrival: "constant" (evenly spaced, default) or "poisson".
        duration: run length in seconds (default 10).
        connections: connections (default 10). threads: engine threads
            (default 1, at most connections).
        timeout: per-request timeout, seconds (default 2).
        think: closed loop: pause between requests, seconds.
        requests_per_conn: 0 keeps connections alive; N closes after N.
        interval: length of the per-interval series and histograms, seconds
            (default 1).
        late: open loop: sends later than this (seconds, default 0.001) after
            their intended time are counted as late.
        start_wall_ns: start at this CLOCK_REALTIME instant (0: now).
        seed: random seed for the mix and Poisson gaps.
        reconnect_delay: wait after a failed connect, seconds (default 0.01).
        send_slack: open loop: seconds a thread may wait past a send's
            intended time to batch it with the sends due meanwhile (fewer
            wake-ups, less driver CPU; the added latency shows in the
            corrected histogram). Default 0: every send on time.
        poll: seconds a thread busy-polls for events before it blocks
            (more driver CPU; spares the server waking the driver for each
            response, which on a VM can cap a closed loop's throughput).
            Default 0: block at once; at most 0.01.
        tls_insecure: https: skip certificate verification (self-signed test
            servers, like wrk or curl -k). Default False.
        ca_file: https: PEM file of CA certificates to trust instead of the
            system's store. A certificate that fails verification makes
            every connect fail; :meth:`LoadResult.error_message` says why.
        headers: {name: value} added to every request type.
        body: request body for every type (bytes/str; an int n sends n
            bytes of 'x').
        on_request: ``on_request(req, thread, type)`` called for each
            request before it is sent, with a :class:`LoadRequest` to change
            its path, body or headers.
        on_response: ``on_response(thread, type, status, error, latency_ns,
            service_ns, body_len)`` called for each finished request
            (status 0 and an error kind, see ERROR_KINDS, when it failed).
        Callbacks run on the engine's threads (holding the GIL, so they cost
        throughput); returning a true value stops the run; an exception
        stops it and is raised by :meth:`run` with the result attached as
        ``exc.scope_result``.

    Without :meth:`add_type`, one type "default" sends GET to the URL's path.

    Raises:
        InvalidArgument: bad URL or settings (the message names the field).
        NetworkError: the host does not resolve.
    """

    def __init__(self, url, rate=None, mode="open", arrival="constant", duration=10.0,
                 connections=10, threads=1, timeout=None, think=None, requests_per_conn=0,
                 interval=None, late=None, start_wall_ns=0, seed=0, reconnect_delay=None,
                 tls_insecure=False, ca_file=None, send_slack=None, poll=None, headers=None, body=None, on_request=None, on_response=None):
        o = _lib.struct_type("scope_load_opts")()
        lib.scope_load_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        o.mode = _pick(MODES, mode, "mode")
        o.arrival = _pick(ARRIVALS, arrival, "arrival")
        o.rate = float(rate or 0.0)
        o.duration_ns = _ns(duration, "duration")
        o.connections = int(connections)
        o.threads = int(threads)
        o.timeout_ns = _ns(timeout, "timeout")
        o.think_ns = _ns(think, "think")
        o.requests_per_conn = int(requests_per_conn)
        o.interval_ns = _ns(interval, "interval")
        o.late_ns = _ns(late, "late")
        o.start_wall_ns = int(start_wall_ns)
        o.seed = int(seed)
        o.reconnect_delay_ns = _ns(reconnect_delay, "reconnect_delay")
        o.send_slack_ns = _ns(send_slack, "send_slack")
        o.poll_ns = _ns(poll, "poll")
        o.tls_insecure = 1 if tls_insecure else 0
        ca = cstr(os.fspath(ca_file), "ca_file") if ca_file is not None else None
        o.ca_file = ca  # copied by scope_load_new; @ca lives until then
        out = ctypes.c_void_p()
        lib.scope_load_new(ctypes.byref(out), cstr(url, "url"), ctypes.byref(o))
        self._ptr = out.value
        self.url = url
        self._cbs = None
        self._exc = None
        self._lock = threading.Lock()
        for k, v in (headers or {}).items():
            self.add_header(k, v)
        if body is not None:
            self.set_body(body)
        if on_request is not None or on_response is not None:
            self.set_callbacks(on_request, on_response)

    def _release(self, ptr):
        lib.scope_load_free(ptr)

    def set_rate(self, rate):
        """The open-loop rate (requests/s) for later runs."""
        lib.scope_load_set_rate(self._p(), float(rate))

    def set_mode(self, mode):
        """"open" or "closed" for later runs."""
        lib.scope_load_set_mode(self._p(), _pick(MODES, mode, "mode"))

    def add_type(self, name, weight=1.0, method="GET", path=None, paths=(), headers=None,
                 body=None):
        """Adds a request type to the mix and returns its index.

        Args:
            name: [A-Za-z0-9_.-]+, unique.
            weight: its share relative to the other types (> 0).
            method: "GET", "POST", ...
            path: the request target (default: the URL's path); @paths: more
                targets the type cycles through.
            headers: {name: value} for this type only.
            body: this type's body (bytes/str, or an int size).
        """
        i = lib.scope_load_add_type(self._p(), cstr(name), float(weight), cstr(method),
                                    cstr(path))
        for p in paths:
            lib.scope_load_add_path(self._p(), i, cstr(p))
        for k, v in (headers or {}).items():
            self.add_header(k, v, type=i)
        if body is not None:
            self.set_body(body, type=i)
        return i

    def add_path(self, type, path):
        """Adds another target to type @type (an index)."""
        lib.scope_load_add_path(self._p(), int(type), cstr(path))

    def add_header(self, name, value, type=-1):
        """Adds a header to type @type (-1: every type, also later ones)."""
        lib.scope_load_add_header(self._p(), int(type), cstr(name), cstr(value))

    def set_body(self, body, type=-1):
        """Sets the body of type @type (-1: all): bytes, str, or an int n for
        n bytes of 'x' (payload-size sweeps)."""
        if isinstance(body, int):
            lib.scope_load_set_body(self._p(), int(type), None, body)
        else:
            b = body.encode() if isinstance(body, str) else bytes(body)
            lib.scope_load_set_body(self._p(), int(type), b, len(b))

    def set_callbacks(self, on_request=None, on_response=None):
        """Installs the request and response callbacks (see the class doc);
        None removes one."""
        wself = weakref.ref(self)

        def fail(e):
            me = wself()
            if me is not None:
                with me._lock:
                    if me._exc is None:
                        me._exc = e
            return 1

        req_t = _lib.callback_type("scope_load_request_cb")
        resp_t = _lib.callback_type("scope_load_response_cb")
        req = resp = None
        if on_request is not None:
            def req_tramp(rq, thread, type_, ud):
                r = LoadRequest(rq, thread, type_)
                try:
                    return 1 if on_request(r, thread, type_) else 0
                except BaseException as e:
                    return fail(e)
                finally:
                    r._ptr = None
            req = req_t(req_tramp)
        if on_response is not None:
            def resp_tramp(thread, type_, status, error, lat, svc, blen, ud):
                try:
                    return 1 if on_response(thread, type_, status, error, lat, svc, blen) else 0
                except BaseException as e:
                    return fail(e)
            resp = resp_t(resp_tramp)
        lib.scope_load_set_callbacks(self._p(), req or req_t(), resp or resp_t(), None)
        self._cbs = (req, resp)  # kept alive as long as the handle

    def _reraise(self, result):
        e, self._exc = self._exc, None
        if e is not None:
            e.scope_result = result
            raise e

    def run(self):
        """Performs one run (blocking; :meth:`stop` from another thread ends
        it early) and returns its :class:`LoadResult`. A callback that
        returned a true value ends the run normally."""
        out = ctypes.c_void_p()
        self._exc = None
        try:
            lib.scope_load_run(ctypes.byref(out), self._p())
        except CallbackError:
            if not out.value:
                raise
        result = LoadResult(out.value)
        self._reraise(result)
        return result

    def stop(self):
        """Ends a run early (any thread); a no-op when nothing runs."""
        if self._ptr is not None:
            lib.scope_load_stop(self._ptr)

    def sweep(self, values, kind="rate", callback=None):
        """Runs one step per value (the open-loop rate, or with kind="body"
        the body size of every type), one after the other, and returns the
        list of :class:`LoadResult`. @values: a list or a spec string for
        :func:`sweep_values`. ``callback(step, value, result)`` sees each
        step; a true return ends the sweep."""
        if isinstance(values, str):
            values = sweep_values(values)
        values = [float(v) for v in values]
        arr = (ctypes.c_double * max(1, len(values)))(*values)
        results = []

        def tramp(step, value, res, ud):
            r = LoadResult(res)
            results.append(r)
            try:
                return 1 if callback is not None and callback(step, value, r) else 0
            except BaseException as e:
                with self._lock:
                    if self._exc is None:
                        self._exc = e
                return 1

        cb = _lib.callback_type("scope_load_sweep_cb")(tramp)
        self._exc = None
        try:
            lib.scope_load_sweep(self._p(), _pick(SWEEP_KINDS, kind, "sweep kind"), arr,
                                 len(values), cb, None)
        except CallbackError:
            if self._exc is None and not results:
                raise
        self._reraise(results)
        return results

    def __repr__(self):
        return "<scope.Load %s%s>" % (self.url, " closed" if self.closed else "")


def sweep_values(spec, max=0.0):
    """Expands "1000,2000,5000", "1000:5000:1000" (inclusive) or
    percentages of @max ("10%:100%:10%") into a list of floats."""
    out, n = ctypes.c_void_p(), ctypes.c_size_t()
    lib.scope_load_sweep_parse(ctypes.byref(out), ctypes.byref(n), cstr(spec), float(max))
    try:
        return list((ctypes.c_double * n.value).from_address(out.value)) if n.value else []
    finally:
        lib.scope_load_sweep_free(ctypes.cast(out.value, ctypes.POINTER(ctypes.c_double)))


class LoadResult(Handle):
    """The immutable result of a run.

    ``types`` (names), ``start`` (CLOCK_REALTIME ns), :meth:`stats`,
    :meth:`histogram`, :meth:`status`, :meth:`errors`, ``series`` (per
    interval: scope_load_throughput{type}, scope_load_errors{type},
    scope_load_sent{type}, scope_load_latency_seconds{quantile}),
    :meth:`interval` / :meth:`intervals` (per-interval histograms) and
    :meth:`write_hlog`. Histograms it returns are read-only views that keep
    the result alive.
    """

    def __init__(self, ptr):
        self._ptr = ptr

    def _release(self, ptr):
        lib.scope_load_result_free(ptr)

    @property
    def types(self):
        """The request types' names, by index."""
        p = self._p()
        return [text(lib.scope_load_result_type_name(p, i))
                for i in range(lib.scope_load_result_type_count(p))]

    def _type(self, type):
        if type is None:
            return -1
        if isinstance(type, str):
            names = self.types
            if type not in names:
                raise KeyError("no request type %r (types: %s)" % (type, ", ".join(names)))
            return names.index(type)
        return int(type)

    def stats(self, type=None):
        """:class:`LoadStats` of request type @type (index or name; None:
        all types)."""
        s = _lib.struct_type("scope_load_stats")()
        s.size = ctypes.sizeof(s)
        lib.scope_load_result_stats(self._p(), self._type(type), ctypes.byref(s))
        return LoadStats(*[getattr(s, f) for f in _STATS_FIELDS])

    def histogram(self, type=None, corrected=True):
        """The latency histogram (ns) of @type (None: all): from the intended
        send time (corrected, default) or from the actual send."""
        h = lib.scope_load_result_hist(self._p(), self._type(type), 1 if corrected else 0)
        if not h:
            raise KeyError("no request type %r" % (type,))
        return Histogram._wrap(h, owner=self)

    def percentiles(self, ps=(50, 90, 99, 99.9, 100), type=None, corrected=True):
        """{percentile: latency in seconds}."""
        h = self.histogram(type, corrected)
        return {p: v / 1e9 for p, v in h.percentiles(ps).items()}

    def status(self, code, type=None):
        """How many responses had HTTP status @code."""
        return lib.scope_load_result_status(self._p(), self._type(type), int(code))

    def errors(self, kind):
        """(total, {errno: count}) of errors of @kind ("connect", "read",
        "write", "timeout", "parse" or its number); errno 0 means the peer
        closed the connection or no system error."""
        k = _pick(ERROR_KINDS, kind, "error kind")
        total = ctypes.c_int64()
        n = lib.scope_load_result_errors(self._p(), k, None, None, 0, ctypes.byref(total))
        errnos, counts = (ctypes.c_int32 * max(n, 1))(), (ctypes.c_int64 * max(n, 1))()
        n = lib.scope_load_result_errors(self._p(), k, errnos, counts, n, ctypes.byref(total))
        return total.value, {errnos[i]: counts[i] for i in range(n)}

    def error_message(self, kind):
        """The first error of @kind described (what, where, why and the fix
        where known, e.g. a certificate that failed verification), or None
        when none happened."""
        k = _pick(ERROR_KINDS, kind, "error kind")
        m = lib.scope_load_result_error_message(self._p(), k)
        return m.decode("utf-8", "replace") if m else None

    @property
    def series(self):
        """The per-interval series (a new :class:`SeriesSet`, yours)."""
        borrowed = SeriesSet._wrap(lib.scope_load_result_series(self._p()), owned=False)
        try:
            return borrowed.copy()
        finally:
            borrowed._ptr = None

    @property
    def interval_count(self):
        """The number of intervals."""
        return lib.scope_load_result_interval_count(self._p())

    def interval(self, i, type=None):
        """(start_wall_ns, length_ns, Histogram) of interval @i (corrected
        latencies of requests that completed in it)."""
        h, s, n = ctypes.c_void_p(), ctypes.c_int64(), ctypes.c_int64()
        lib.scope_load_result_interval(ctypes.byref(h), self._p(), int(i), self._type(type),
                                       ctypes.byref(s), ctypes.byref(n))
        return s.value, n.value, Histogram._wrap(h.value)

    def intervals(self, type=None):
        """Every :meth:`interval`, in order."""
        return [self.interval(i, type) for i in range(self.interval_count)]

    @property
    def start(self):
        """The run's start, CLOCK_REALTIME ns."""
        return lib.scope_load_result_start(self._p())

    @property
    def engine(self):
        """How the threads did their socket I/O: "io_uring", "epoll" or "mixed"."""
        return text(lib.scope_load_result_engine(self._p()))

    def write_hlog(self, path):
        """Writes the interval histograms as an HdrHistogram log (.hlog)."""
        from ._cfile import cfile
        with cfile(path, "w") as f:
            lib.scope_load_result_write_hlog(self._p(), f)

    def summary(self):
        """A dict for tables: rate, completed, errors and latency
        percentiles (ms) of all types."""
        st = self.stats()
        d = {"target_rate": st.target_rate, "rate": st.rate, "completed": st.completed,
             "errors": st.errors, "late": st.late}
        for p, v in self.percentiles((50, 90, 99, 100)).items():
            d["p%g_ms" % p] = v * 1e3
        return d

    def __repr__(self):
        if self.closed:
            return "<scope.LoadResult closed>"
        st = self.stats()
        return "<scope.LoadResult %d completed at %.1f/s, %d errors>" % (
            st.completed, st.rate, st.errors)
