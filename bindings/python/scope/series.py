"""Series sets and series: the data every collector, the recorder and the
exporters share.

A :class:`SeriesSet` owns its series; a :class:`Series` is a light view of
one series inside a set. Columns come out as numpy arrays that view the C
memory without a copy (read-only; their ``.base`` chain ends at the owning
:class:`SeriesSet`, which therefore stays alive while any of them does), or
as plain lists when numpy is not installed.

Because a C series may move its columns when it grows, operations that grow
a series (append, extend, reserve, merge into the set, sampling a collector
into it) raise :class:`scope.StateError` while numpy arrays viewing that
memory are alive: ``del`` them or take ``.copy()`` first.
"""

import ctypes
import enum
import weakref

from . import _lib
from ._handle import Handle, invalid, np, pandas, state_error, to_ns
from ._lib import cstr, lib, text

__all__ = ["Kind", "SeriesSet", "Series", "kind_name"]

Kind = enum.IntEnum("Kind", {k[len("SCOPE_"):]: v for k, v in
                             _lib.TABLES.enums["scope_metric_kind"].items()})
Kind.__doc__ = "Metric kinds: GAUGE (any value) and COUNTER (cumulative)."

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def kind_name(kind):
    """ "gauge" or "counter" (scope_metric_kind_name)."""
    return text(lib.scope_metric_kind_name(int(kind)))


def _kind(kind):
    if isinstance(kind, str):
        try:
            return Kind[kind.upper()]
        except KeyError:
            raise invalid("unknown metric kind %r: use 'gauge' or 'counter'" % kind) from None
    return int(kind)


def _labels(labels):
    """dict (or pairs) -> (keys array, values array, n, keepalive)."""
    if not labels:
        return None, None, 0
    items = list(labels.items()) if hasattr(labels, "items") else list(labels)
    n = len(items)
    keys = (ctypes.c_char_p * n)(*[cstr(k, "label key") for k, _ in items])
    vals = (ctypes.c_char_p * n)(*[cstr(v, "label value") for _, v in items])
    return keys, vals, n


class _Column:
    """Presents C memory to numpy. ``base`` is the owner that keeps the
    memory alive (a SeriesSet)."""

    __slots__ = ("__array_interface__", "base", "__weakref__")

    def __init__(self, address, n, typestr, owner):
        self.__array_interface__ = {"shape": (n,), "typestr": typestr,
                                    "data": (address, True), "version": 3}
        self.base = owner


def selector(name, labels):
    """A series' identity in Prometheus selector syntax: name{k="v",...}."""
    if not labels:
        return name
    esc = lambda v: v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "%s{%s}" % (name, ",".join('%s="%s"' % (k, esc(v)) for k, v in labels.items()))


class SeriesSet(Handle):
    """A set of series (scope_series_set).

    ``SeriesSet()`` makes an empty set that you own; recorders, collectors and
    set operations (:meth:`slice`, :meth:`rate`, :meth:`copy`) return new
    ones. ``len(s)``, iteration, ``s[i]``, ``s["metric"]`` (the only series of
    that name) and ``s.find(name, labels)`` give :class:`Series`.

    The set is freed by :meth:`close`, by leaving a ``with`` block, or on
    garbage collection. Numpy arrays taken from its series keep it alive:
    closing a set while such arrays exist frees it when the last one goes.
    """

    def __init__(self):
        out = ctypes.c_void_p()
        lib.scope_series_set_new(ctypes.byref(out))
        self._init(out.value, owned=True)

    @classmethod
    def _wrap(cls, ptr, owned=True, transient=False):
        s = cls.__new__(cls)
        s._init(ptr, owned, transient)
        return s

    def _init(self, ptr, owned, transient=False):
        self._ptr = ptr
        self._owned = owned
        self._transient = transient  # borrowed for a callback: columns are copied
        self._views = {}  # series address -> WeakSet of _Column
        self._closing = False

    def _live_views(self, series_ptr=None):
        if series_ptr is not None:
            ws = self._views.get(series_ptr)
            return bool(ws) and len(ws) > 0
        return any(len(ws) for ws in self._views.values())

    def _check_mutable(self, series_ptr=None, what="grow"):
        if self._live_views(series_ptr):
            raise state_error(
                "cannot %s: numpy arrays still view this series' memory, which growing it "
                "may move; delete them or work on .copy() of them first" % what)

    def close(self):
        """Frees the set now, or, while numpy arrays still view its memory,
        as soon as the last of them is gone. Series and strings taken from
        it become unusable at once."""
        if self._ptr is None:
            return
        if self._owned and self._live_views():
            self._closing = True  # __del__ frees it when the arrays are gone
            return
        p, self._ptr = self._ptr, None
        if self._owned:
            lib.scope_series_set_free(p)

    @property
    def closed(self):
        return self._ptr is None or self._closing

    def _p(self):
        if self._ptr is None or self._closing:
            raise ValueError("SeriesSet is closed")
        return self._ptr

    def __del__(self):
        # No array views are left (they reference this object).
        p, self._ptr = self._ptr, None
        if p is not None and self._owned:
            try:
                lib.scope_series_set_free(p)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass

    def _release(self, ptr):
        lib.scope_series_set_free(ptr)

    def __len__(self):
        """The number of series."""
        return lib.scope_series_set_count(self._p())

    def __iter__(self):
        """The series, in the order they were added."""
        p = self._p()
        for i in range(lib.scope_series_set_count(p)):
            yield Series(self, lib.scope_series_set_at(p, i))

    def __getitem__(self, key):
        """s[i] for the i-th series (in the order they were added), or
        s["name"] for the only series of that name."""
        p = self._p()
        if not isinstance(key, str) and hasattr(key, "__index__"):
            key = key.__index__()
            n = lib.scope_series_set_count(p)
            if key < 0:
                key += n
            sp = lib.scope_series_set_at(p, key) if key >= 0 else None
            if not sp:
                raise IndexError("series index out of range (the set holds %d)" % n)
            return Series(self, sp)
        hits = [s for s in self if s.name == key]
        if len(hits) != 1:
            raise KeyError("%d series named %r; use find(name, labels) or select()"
                           % (len(hits), key))
        return hits[0]

    def __repr__(self):
        if self.closed:
            return "<scope.SeriesSet closed>"
        return "<scope.SeriesSet %d series, %d points>" % (len(self), self.point_count)

    @property
    def point_count(self):
        """Total number of points over all series."""
        return sum(len(s) for s in self)

    def add(self, name, labels=None, unit=None, kind="gauge", help=None):
        """Adds a series (or returns the one with the same name and labels).

        Args:
            name: metric name, ``[a-zA-Z_:][a-zA-Z0-9_:]*``.
            labels: dict of label key -> value (keys ``[a-zA-Z_][a-zA-Z0-9_]*``).
            unit: e.g. "seconds", "bytes", "1"; None for no unit.
            kind: "gauge" or "counter" (or :class:`Kind`).
            help: one-line description.
        Raises:
            InvalidArgument: bad name or label, or an existing series of that
                identity has another kind or unit.
        """
        keys, vals, n = _labels(labels)
        out = ctypes.c_void_p()
        lib.scope_series_set_add(ctypes.byref(out), self._p(), cstr(name, "metric name"),
                                 keys, vals, n, cstr(unit), _kind(kind), cstr(help))
        return Series(self, out.value)

    def find(self, name, labels=None):
        """The series with exactly this name and label set.
        Raises NotFound when there is none."""
        keys, vals, n = _labels(labels)
        out = ctypes.c_void_p()
        lib.scope_series_set_find(ctypes.byref(out), self._p(), cstr(name, "metric name"),
                                  keys, vals, n)
        return Series(self, out.value)

    def select(self, name=None, **labels):
        """Series whose name is @name (any when None) and whose labels
        include every given key=value."""
        return [s for s in self if (name is None or s.name == name)
                and all(s.label(k) == str(v) for k, v in labels.items())]

    def merge(self, other):
        """Merges @other into this set (scope_series_set_merge): missing
        series are copied, points of shared series merged in time order, a
        point of @other replacing one at the same timestamp here."""
        if not isinstance(other, SeriesSet):
            raise TypeError("merge() takes a SeriesSet")
        self._check_mutable(what="merge into this set")
        lib.scope_series_set_merge(self._p(), other._p())
        return self

    def slice(self, start=None, end=None):
        """A new set with the points at start <= t < end (ns since the epoch,
        datetime, numpy.datetime64 or pandas.Timestamp; None = unbounded)."""
        out = ctypes.c_void_p()
        lib.scope_series_set_slice(ctypes.byref(out), self._p(),
                                   INT64_MIN if start is None else to_ns(start, "start"),
                                   INT64_MAX if end is None else to_ns(end, "end"))
        return SeriesSet._wrap(out.value)

    def rate(self):
        """A new set of per-second rates of every counter series
        (scope_series_set_rate; resets handled as Prometheus' rate())."""
        out = ctypes.c_void_p()
        lib.scope_series_set_rate(ctypes.byref(out), self._p())
        return SeriesSet._wrap(out.value)

    def copy(self):
        """A new set holding a copy of every series (with end times)."""
        c = SeriesSet()
        lib.scope_series_set_merge(c._p(), self._p())
        return c

    def export(self, dest, format="csv", **opts):
        """Writes the set to @dest (path or file); see :func:`scope.export`."""
        from . import exporters as _export
        return _export.export(self, dest, format, **opts)

    def to_string(self, format="csv", **opts):
        """The set in @format as a str; see :func:`scope.dumps`."""
        from . import exporters as _export
        return _export.dumps(self, format, **opts)

    def to_records(self):
        """Plain Python rows (no numpy needed): a list of
        ``(timestamp_ns, metric, labels_dict, value)`` tuples."""
        rows = []
        for s in self:
            labels = s.labels
            name = s.name
            ts, vs = s._lists()
            rows.extend((t, name, labels, v) for t, v in zip(ts, vs))
        return rows

    def to_pandas(self, wide=False, tz=None):
        """A pandas DataFrame of every point.

        Args:
            wide: False (default) gives the long (tidy) form, one row per
                point, columns ``time``, ``metric``, one column per label key
                (missing labels are NaN), ``value``. True gives one column
                per series named by its selector (``name{k="v"}``) on a
                DatetimeIndex of the union of all timestamps (NaN where a
                series has no point).
            tz: None keeps naive UTC times; a zone name ("UTC",
                "Europe/Berlin") makes them tz-aware in that zone.
        """
        pd = pandas()
        series = list(self)
        if wide:
            return _wide(pd, series, tz)
        return _long(pd, series, tz)


def _times(pd, ts, tz):
    idx = pd.DatetimeIndex(ts.view("datetime64[ns]"))
    if tz is not None:
        idx = idx.tz_localize("UTC").tz_convert(tz)
    return idx


def _long(pd, series, tz):
    counts = np.array([len(s) for s in series], dtype=np.int64)
    if series:
        ts = np.concatenate([s.timestamps for s in series])
        vals = np.concatenate([s.values for s in series])
    else:
        ts, vals = np.empty(0, np.int64), np.empty(0, np.float64)
    names = [s.name for s in series]
    cats = sorted(set(names))
    pos = {c: i for i, c in enumerate(cats)}
    data = {"time": _times(pd, ts, tz)}
    data["metric"] = pd.Categorical.from_codes(
        np.repeat(np.array([pos[n] for n in names], dtype=np.int32), counts), cats)
    labels = [s.labels for s in series]
    keys = sorted({k for lab in labels for k in lab})
    for k in keys:
        if k in ("time", "metric", "value"):
            col = "label_" + k
        else:
            col = k
        vals_k = sorted({lab[k] for lab in labels if k in lab})
        vp = {v: i for i, v in enumerate(vals_k)}
        codes = np.array([vp[lab[k]] if k in lab else -1 for lab in labels], dtype=np.int32)
        data[col] = pd.Categorical.from_codes(np.repeat(codes, counts), vals_k)
    data["value"] = vals
    return pd.DataFrame(data)


def _wide(pd, series, tz):
    tss = [s.timestamps for s in series]
    if not series:
        index = np.empty(0, np.int64)
    elif all(len(t) == len(tss[0]) for t in tss) and all(
            t is tss[0] or np.array_equal(t, tss[0]) for t in tss) and (
            len(tss[0]) < 2 or bool(np.all(tss[0][1:] > tss[0][:-1]))):
        index = tss[0]  # one shared, strictly increasing time axis: no merge needed
    else:
        index = np.unique(np.concatenate(tss))
    out = np.full((len(index), len(series)), np.nan)
    for j, (s, t) in enumerate(zip(series, tss)):
        v = s.values
        if t is index or (len(t) == len(index) and np.array_equal(t, index)):
            out[:, j] = v
        else:
            out[np.searchsorted(index, t), j] = v
    cols = [selector(s.name, s.labels) for s in series]
    return pd.DataFrame(out, index=_times(pd, index, tz).rename("time"), columns=cols,
                        copy=False)


class Series:
    """One series of a :class:`SeriesSet` (borrowed from it: it keeps the set
    alive and becomes unusable when the set is closed).

    Attributes: ``name``, ``unit``, ``help``, ``kind`` (:class:`Kind`),
    ``labels`` (dict), ``end_time`` (ns, 0 while open), ``len(s)``, and the
    columns ``timestamps`` (int64 ns since the epoch), ``times``
    (datetime64[ns]) and ``values`` (float64).
    """

    __slots__ = ("_set", "_ptr")

    def __init__(self, owner, ptr):
        self._set = owner
        self._ptr = ptr

    def _p(self):
        self._set._p()
        return self._ptr

    def __eq__(self, other):
        return isinstance(other, Series) and other._ptr == self._ptr

    def __hash__(self):
        return hash(self._ptr)

    @property
    def set(self):
        """The SeriesSet this series belongs to."""
        return self._set

    @property
    def name(self):
        """The metric name."""
        return text(lib.scope_series_name(self._p()))

    @property
    def unit(self):
        """The unit ("seconds", "bytes", "1", ...; "" when none)."""
        return text(lib.scope_series_unit(self._p()))

    @property
    def help(self):
        """The one-line description ("" when none)."""
        return text(lib.scope_series_help(self._p()))

    @property
    def kind(self):
        """Kind.GAUGE or Kind.COUNTER."""
        return Kind(lib.scope_series_kind(self._p()))

    @property
    def labels(self):
        """The labels as a dict, sorted by key."""
        p = self._p()
        return {text(lib.scope_series_label_key(p, i)): text(lib.scope_series_label_value(p, i))
                for i in range(lib.scope_series_label_count(p))}

    def label(self, key):
        """The value of label @key, or None."""
        return text(lib.scope_series_label(self._p(), cstr(key, "label key")))

    @property
    def selector(self):
        """The identity as a Prometheus selector: name{k="v",...}."""
        return selector(self.name, self.labels)

    @property
    def end_time(self):
        """When the series' source vanished (ns), 0 while it is open."""
        return lib.scope_series_end_time(self._p())

    def __len__(self):
        """The number of points."""
        return lib.scope_series_count(self._p())

    def __repr__(self):
        try:
            return "<scope.Series %s, %d points>" % (self.selector, len(self))
        except ValueError:
            return "<scope.Series of a closed set>"

    def _column(self, fn, ctype_, typestr, dtype):
        p = self._p()
        n = lib.scope_series_count(p)
        addr = fn(p)
        if np is None:
            return list((ctype_ * n).from_address(addr)) if n else []
        if not n:
            return np.empty(0, dtype=dtype)
        if self._set._transient:  # borrowed during a callback: memory may move later
            return np.array((ctype_ * n).from_address(addr), dtype=dtype)
        col = _Column(addr, n, typestr, self._set)
        self._set._views.setdefault(p, weakref.WeakSet()).add(col)
        return np.asarray(col)

    @property
    def timestamps(self):
        """Timestamps, int64 ns since the epoch: a read-only numpy array viewing
        the C column (no copy), or a list without numpy."""
        return self._column(lib.scope_series_timestamps, ctypes.c_int64, "<i8", np and np.int64)

    @property
    def values(self):
        """Values, float64: a read-only numpy array viewing the C column (no
        copy), or a list without numpy."""
        return self._column(lib.scope_series_values, ctypes.c_double, "<f8", np and np.float64)

    @property
    def times(self):
        """Timestamps as numpy datetime64[ns] (a view, no copy)."""
        ts = self.timestamps
        if np is None:
            raise ImportError("Series.times needs numpy; use .timestamps")
        return ts.view("datetime64[ns]")

    def _lists(self):
        p = self._p()
        n = lib.scope_series_count(p)
        if not n:
            return [], []
        return (list((ctypes.c_int64 * n).from_address(lib.scope_series_timestamps(p))),
                list((ctypes.c_double * n).from_address(lib.scope_series_values(p))))

    def to_pandas(self, tz=None):
        """A pandas Series of the values on a DatetimeIndex, named by the
        selector. The values are not copied."""
        pd = pandas()
        return pd.Series(self.values, index=_times(pd, self.timestamps, tz).rename("time"),
                         name=self.selector, copy=False)

    def append(self, timestamp, value):
        """Appends one point (timestamp: ns or datetime; not below the last)."""
        p = self._p()
        self._set._check_mutable(p, "append")
        lib.scope_series_append(p, to_ns(timestamp, "timestamp"), float(value))

    def extend(self, timestamps, values):
        """Appends many points from two sequences (numpy arrays are passed
        without conversion when they are contiguous int64 / float64)."""
        p = self._p()
        self._set._check_mutable(p, "extend")
        if np is not None:
            ts = np.ascontiguousarray(timestamps, dtype=np.int64)
            vs = np.ascontiguousarray(values, dtype=np.float64)
            if ts.ndim != 1 or vs.shape != ts.shape:
                raise invalid("extend(): timestamps and values must be 1-D of one length "
                              "(%s vs %s)" % (ts.shape, vs.shape))
            n = len(ts)
            lib.scope_series_append_n(p, ts.ctypes.data if n else None,
                                      vs.ctypes.data if n else None, n)
            return
        ts, vs = list(timestamps), list(values)
        if len(ts) != len(vs):
            raise invalid("extend(): %d timestamps but %d values" % (len(ts), len(vs)))
        n = len(ts)
        cts, cvs = (ctypes.c_int64 * n)(*ts), (ctypes.c_double * n)(*vs)  # alive for the call
        lib.scope_series_append_n(p, ctypes.addressof(cts) if n else None,
                                  ctypes.addressof(cvs) if n else None, n)

    def reserve(self, n):
        """Makes room for @n points in total."""
        p = self._p()
        self._set._check_mutable(p, "reserve")
        lib.scope_series_reserve(p, n)

    def end(self, end_ns):
        """Marks the series as ended at @end_ns (its source went away)."""
        lib.scope_series_end(self._p(), to_ns(end_ns, "end"))
