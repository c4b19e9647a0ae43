"""A Prometheus HTTP API client (scope_prom): range and instant queries,
series and label metadata. Range and instant results are parsed by the C
library straight into the columns of a :class:`SeriesSet` (no JSON document
is ever built in Python), so a long range reaches numpy and pandas at the
cost of one copy at most."""

import ctypes

from . import _lib
from ._handle import Handle, to_ns
from ._lib import cstr, lib, text
from .series import SeriesSet

__all__ = ["Prometheus", "PromResult", "parse_time", "parse_duration", "usage_query",
           "USAGE"]

#: The usage questions of :meth:`Prometheus.usage` and their C values.
USAGE = {"cpu_cores": 1, "net_mbits": 2, "disk_bytes": 3}
RESULT_TYPES = {1: "matrix", 2: "vector", 3: "scalar", 4: "string", 5: "series", 6: "strings"}


def _seconds_ns(x, what):
    if isinstance(x, float):
        return int(round(x * 1e9))
    if isinstance(x, str):
        return parse_duration(x)
    return int(x)


class PromResult(Handle):
    """The result of one API call.

    Attributes (read once, kept after :meth:`close`):
        type: "matrix", "vector", "scalar", "string", "series" or "strings".
        series: a :class:`SeriesSet` (yours; empty for string results).
        strings: label names or values (strings results), or the one value
            of a string result.
        time: time (ns) of a scalar or string result, else 0.
        warnings, infos: what the server (or libscope) warned about.
        window: (start_ns, end_ns, step_ns, requests) of a range query.
    """

    def __init__(self, ptr):
        self._ptr = ptr
        p = ptr
        self.type = RESULT_TYPES.get(lib.scope_prom_result_type(p), "unknown")
        self.type_name = text(lib.scope_prom_result_type_name(lib.scope_prom_result_type(p)))
        self.strings = [text(lib.scope_prom_result_string_at(p, i))
                        for i in range(lib.scope_prom_result_string_count(p))]
        self.time = lib.scope_prom_result_time(p)
        self.warnings = [text(lib.scope_prom_result_warning_at(p, i))
                         for i in range(lib.scope_prom_result_warning_count(p))]
        self.infos = [text(lib.scope_prom_result_info_at(p, i))
                      for i in range(lib.scope_prom_result_info_count(p))]
        s, e, st, n = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64(), ctypes.c_size_t()
        lib.scope_prom_result_window(p, ctypes.byref(s), ctypes.byref(e), ctypes.byref(st),
                                     ctypes.byref(n))
        self.window = (s.value, e.value, st.value, n.value)
        borrowed = lib.scope_prom_result_series(p)
        self._nseries = 0 if not borrowed else lib.scope_series_set_count(borrowed)
        taken = lib.scope_prom_result_take_series(p)
        self.series = SeriesSet._wrap(taken) if taken else SeriesSet()

    def _release(self, ptr):
        lib.scope_prom_result_free(ptr)

    def __repr__(self):
        return "<scope.PromResult %s, %d series>" % (self.type, len(self.series))


class Prometheus(Handle):
    """A client of one Prometheus-compatible server (Prometheus, Thanos,
    Mimir, VictoriaMetrics, ...), api/v1.

    Args:
        url: base URL ("http://127.0.0.1:9090", a path prefix is kept).
        timeout: whole-request limit per attempt, seconds (default 120).
        connect_timeout: connect limit per attempt, seconds (default 5).
        headers: dict of extra headers sent with every request (e.g.
            {"X-Scope-OrgID": "tenant1"}).
        username, password: HTTP basic auth.
        bearer_token, bearer_token_file: "Authorization: Bearer" (the file
            is re-read for every request).
        tls_insecure, ca_file, client_cert, client_key: TLS settings.
        proxy, user_agent: as libcurl takes them.
        max_retries (default 3; -1 none), retry_base_ms, retry_max_ms,
        post_threshold (URL bytes above which a POST is sent),
        max_concurrency (requests in flight for a split range query).

    Times are ns since the epoch (int), datetimes, numpy.datetime64,
    pandas.Timestamp, or strings :func:`parse_time` accepts ("now", "-1h",
    RFC 3339, unix seconds). Steps are ns (int), seconds (float) or a
    duration string ("15s").

    Raises (on queries): NetworkError, Timeout, HTTPError, ServerError
    (a Prometheus API error: status, errorType, error), ParseError,
    NotSupported (native histograms).
    """

    _OPTS = ("tls_insecure", "ca_file", "client_cert", "client_key", "username", "password",
             "bearer_token", "bearer_token_file", "proxy", "user_agent", "max_retries",
             "retry_base_ms", "retry_max_ms", "post_threshold", "max_concurrency")

    def __init__(self, url="http://127.0.0.1:9090", timeout=None, connect_timeout=None,
                 headers=None, **opts):
        o = _lib.struct_type("scope_prom_opts")()
        lib.scope_prom_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        self._keep = []  # bytes the opts struct points at, until scope_prom_new copied them
        o.url = self._b(url)
        if timeout is not None:
            o.timeout_ms = int(timeout * 1000)
        if connect_timeout is not None:
            o.connect_timeout_ms = int(connect_timeout * 1000)
        for k, v in opts.items():
            if k not in self._OPTS:
                raise TypeError("Prometheus: unknown option %r (known: %s)"
                                % (k, ", ".join(self._OPTS)))
            setattr(o, k, self._b(v) if isinstance(v, str) else int(v))
        out = ctypes.c_void_p()
        lib.scope_prom_new(ctypes.byref(out), ctypes.byref(o))
        self._ptr = out.value
        self._keep = None
        self.url = url
        for k, v in (headers or {}).items():
            self.add_header(k, v)

    def _b(self, s):
        b = cstr(s)
        self._keep.append(b)
        return b

    def _release(self, ptr):
        lib.scope_prom_free(ptr)

    def add_header(self, name, value):
        """Adds a header sent with every request."""
        lib.scope_prom_add_header(self._p(), cstr(name), cstr(value))

    @staticmethod
    def _qopts(name=None, align=False, hist="error", max_points=0, max_concurrency=0,
               server_timeout=None, split_on_timeout=False, no_split=False):
        o = _lib.struct_type("scope_prom_query_opts")()
        lib.scope_prom_query_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        o.name = cstr(name)
        o.align = 1 if align else 0
        if hist not in ("error", "warn"):
            raise ValueError("hist must be 'error' or 'warn', not %r" % (hist,))
        o.hist_policy = 1 if hist == "warn" else 0
        o.max_points = int(max_points)
        o.max_concurrency = int(max_concurrency)
        o.server_timeout_ms = 0 if server_timeout is None else int(server_timeout * 1000)
        o.split_on_timeout = 1 if split_on_timeout else 0
        o.no_split = 1 if no_split else 0
        return o

    def _run(self, fn, *args):
        out = ctypes.c_void_p()
        fn(ctypes.byref(out), self._p(), *args)
        return PromResult(out.value)

    def query_range_result(self, query, start, end, step, **qopts):
        """As :meth:`query_range`, returning the whole :class:`PromResult`
        (warnings, window, number of requests)."""
        o = self._qopts(**qopts)
        return self._run(lib.scope_prom_query_range, cstr(query), _time(start, "start"),
                         _time(end, "end"), _seconds_ns(step, "step"), ctypes.byref(o))

    def query_range(self, query, start, end, step, **qopts):
        """Runs /api/v1/query_range and returns a :class:`SeriesSet` (series
        named after __name__, or @name / "value" when the server dropped it;
        the other labels as labels; ns timestamps).

        Args:
            query: PromQL.
            start, end: the window (see the class doc); whole ms.
            step: the step (ns, float seconds or "15s").
            name: series name when the result has none (default "value").
            align: floor start and end to a multiple of step (as Grafana).
            hist: "error" (default) or "warn" for native-histogram samples.
            max_points: points per series per request (default 11001);
                longer ranges are split and fetched in parallel.
            max_concurrency: requests in flight for this call.
            server_timeout: the "timeout" parameter, seconds.
            split_on_timeout: when the server answers 503 errorType
                "timeout", fetch the range again in requests of half the
                points (at most 6 times; the result then carries a warning).
            no_split: never split a range that fits in one request (by
                default a range of 2000+ points per series that would take
                fewer requests than max_concurrency is split into that many,
                fetched in parallel).
        """
        with self.query_range_result(query, start, end, step, **qopts) as r:
            return r.series

    def query(self, query, time=0, **qopts):
        """Runs an instant query at @time (0: the server's now) and returns
        the :class:`PromResult` (``.series`` for vector, matrix and scalar,
        ``.strings`` for a string)."""
        o = self._qopts(**qopts)
        return self._run(lib.scope_prom_query, cstr(query), _time(time, "time"),
                         ctypes.byref(o))

    @staticmethod
    def _match(match):
        if isinstance(match, str):
            match = [match]
        match = list(match or ())
        arr = (ctypes.c_char_p * max(1, len(match)))(*[cstr(m) for m in match])
        return arr, len(match)

    def series(self, match, start=0, end=0):
        """Runs /api/v1/series: a :class:`SeriesSet` with one series (no
        points) per label set matching any selector in @match."""
        arr, n = self._match(match)
        with self._run(lib.scope_prom_series, arr, n, _time(start, "start"),
                       _time(end, "end")) as r:
            return r.series

    def labels(self, match=None, start=0, end=0):
        """Label names (list of str), optionally of the series matching @match."""
        arr, n = self._match(match)
        with self._run(lib.scope_prom_labels, arr if n else None, n, _time(start, "start"),
                       _time(end, "end")) as r:
            return r.strings

    def label_values(self, name, match=None, start=0, end=0):
        """The values of label @name (list of str)."""
        arr, n = self._match(match)
        with self._run(lib.scope_prom_label_values, cstr(name), arr if n else None, n,
                       _time(start, "start"), _time(end, "end")) as r:
            return r.strings

    def usage(self, what, start, end, step, selector=None, rate_window=None, **qopts):
        """Answers a cAdvisor usage question ("cpu_cores", "net_mbits",
        "disk_bytes") over a window and returns a :class:`SeriesSet`
        (series named cpu_cores, net_receive_mbits, ...). @selector: label
        matchers without braces (`namespace="shop"`); @rate_window: the
        rate() window (ns, float seconds or "1m"; default 1m)."""
        o = self._qopts(**qopts)
        rw = 0 if rate_window is None else _seconds_ns(rate_window, "rate_window") // 1000000
        with self._run(lib.scope_prom_usage, _usage(what), cstr(selector), rw,
                       _time(start, "start"), _time(end, "end"), _seconds_ns(step, "step"),
                       ctypes.byref(o)) as r:
            return r.series

    def __repr__(self):
        return "<scope.Prometheus %s%s>" % (self.url, " closed" if self.closed else "")


def _usage(what):
    if isinstance(what, str):
        if what not in USAGE:
            raise ValueError("usage question %r: one of %s" % (what, ", ".join(USAGE)))
        return USAGE[what]
    return int(what)


def _time(t, what):
    if isinstance(t, str):
        return parse_time(t)
    if isinstance(t, float):
        return int(round(t * 1e9))
    return to_ns(t, what)


def parse_time(s, now=None):
    """Parses unix seconds, RFC 3339 or a time relative to @now ("now",
    "-1h", "+5m"; @now defaults to the wall clock) into ns since the epoch."""
    out = ctypes.c_int64()
    now_ns = lib.scope_clock_wall_ns() if now is None else to_ns(now, "now")
    lib.scope_prom_parse_time(cstr(s), now_ns, ctypes.byref(out))
    return out.value


def parse_duration(s):
    """Parses seconds ("15", "0.5") or Prometheus units ("250ms", "1h30m")
    into ns."""
    out = ctypes.c_int64()
    lib.scope_prom_parse_duration(cstr(s), ctypes.byref(out))
    return out.value


def usage_query(what, direction=0, selector=None, rate_window_ms=0):
    """The PromQL behind :meth:`Prometheus.usage` (@direction 1: transmit /
    write)."""
    buf = ctypes.create_string_buffer(4096)
    lib.scope_prom_usage_query(ctypes.addressof(buf), len(buf), _usage(what), int(direction),
                               cstr(selector), int(rate_window_ms))
    return text(buf.value)


def usage_name(what):
    """"cpu_cores", "net_mbits", "disk_bytes" for the C values."""
    return text(lib.scope_prom_usage_name(int(what)))
