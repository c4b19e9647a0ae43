"""HDR latency histograms (scope_hist): HdrHistogram semantics, layout and
encodings, so merges are exact and encodings interoperate with
HdrHistogram_c, the Java tools, wrk2 and HdrHistogram plotters."""

import collections
import ctypes

from . import _lib
from ._cfile import cfile, memfile
from ._handle import Handle
from ._lib import lib, text

__all__ = ["Histogram", "read_hlog", "write_hlog", "HlogInterval"]

HlogInterval = collections.namedtuple("HlogInterval", "tag start length histogram")
HlogInterval.__doc__ = ("One interval of an .hlog file: tag ('' when none), absolute start "
                        "and length in seconds, and its Histogram.")


class Histogram(Handle):
    """An HDR histogram of non-negative integer values (libscope records
    latencies in nanoseconds).

    Args:
        lowest: lowest discernible value (>= 1; default 1).
        highest: highest trackable value (>= 2 * lowest; default 3.6e12,
            one hour in ns).
        sigfigs: significant decimal digits kept, 1..5 (default 3: every
            value is known to within 0.1 %).

    Values are recorded with :meth:`record` (or ``record(v, count=n)``),
    :meth:`record_corrected` (fills in what a closed-loop measurement
    missed); read with :meth:`percentile`, :meth:`percentiles`,
    ``count``, ``min``, ``max``, ``mean``, ``stdev``. Histograms with the same
    settings merge exactly (:meth:`merge`, ``+``). :meth:`encode` /
    :meth:`decode` use HdrHistogram's compressed V2 encoding;
    :meth:`encode_base64` gives the text of an .hlog line.

    Raises:
        InvalidArgument: bad settings.
    """

    def __init__(self, lowest=1, highest=0, sigfigs=0):
        o = _lib.struct_type("scope_hist_opts")()
        lib.scope_hist_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        o.lowest, o.highest, o.sigfigs = int(lowest), int(highest), int(sigfigs)
        out = ctypes.c_void_p()
        lib.scope_hist_new(ctypes.byref(out), ctypes.byref(o))
        self._ptr = out.value
        self._owner = None

    @classmethod
    def _wrap(cls, ptr, owner=None):
        """Wraps a C histogram: owned (freed with this object) when @owner
        is None, else borrowed from @owner, which is kept alive."""
        h = cls.__new__(cls)
        h._ptr = ptr
        h._owner = owner
        return h

    def _p(self):
        if self._owner is not None and self._owner.closed:
            raise ValueError("the LoadResult this histogram belongs to is closed")
        return Handle._p(self)

    def _release(self, ptr):
        if self._owner is None:
            lib.scope_hist_free(ptr)

    def _mut(self):
        if self._owner is not None:
            raise ValueError("this histogram belongs to a load result and is read-only: "
                             "use .copy()")
        return self._p()

    def record(self, value, count=1):
        """Records @value (0 .. highest) @count times. Raises
        InvalidArgument when out of range (then it counts in ``overflow``)."""
        if count == 1:
            rc = lib.scope_hist_record(self._mut(), int(value))
        else:
            rc = lib.scope_hist_record_n(self._mut(), int(value), int(count))
        if rc < 0:
            raise _range_error(self, value)
        return self

    def record_many(self, values):
        """Records every value of an iterable (or numpy array)."""
        p = self._mut()
        f = lib.scope_hist_record
        for v in values:
            if f(p, int(v)) < 0:
                raise _range_error(self, v)
        return self

    def record_corrected(self, value, interval):
        """Records @value and, when it exceeds @interval (> 0), the values a
        closed-loop measurement missed: value - interval, value - 2*interval,
        ... (HdrHistogram's recordValueWithExpectedInterval)."""
        if lib.scope_hist_record_corrected(self._mut(), int(value),
                       int(interval)) < 0:
            raise _range_error(self, value)
        return self

    def merge(self, other):
        """Adds every count of @other into this histogram (exact when both
        have the same settings). Returns self."""
        lib.scope_hist_add(self._mut(), other._p())
        return self

    def subtract(self, other):
        """Removes @other's counts (same settings; no bucket may go
        negative, else InvalidArgument and nothing changes). Returns self."""
        lib.scope_hist_subtract(self._mut(), other._p())
        return self

    def __add__(self, other):
        return self.copy().merge(other)

    def __sub__(self, other):
        return self.copy().subtract(other)

    def reset(self):
        """Forgets every value, keeping the settings."""
        lib.scope_hist_reset(self._mut())
        return self

    def copy(self):
        """An owned copy (settings and counts)."""
        out = ctypes.c_void_p()
        lib.scope_hist_dup(ctypes.byref(out), self._p())
        return Histogram._wrap(out.value)

    count = property(lambda self: lib.scope_hist_count(self._p()),
                     doc="The number of recorded values.")
    overflow = property(lambda self: lib.scope_hist_overflow(self._p()),
                        doc="Values rejected as out of range.")
    min = property(lambda self: lib.scope_hist_min(self._p()),
                   doc="Lowest equivalent of the smallest value (0 when empty).")
    max = property(lambda self: lib.scope_hist_max(self._p()),
                   doc="Highest equivalent of the largest value (0 when empty).")
    mean = property(lambda self: lib.scope_hist_mean(self._p()),
                    doc="Mean, each bucket at its median equivalent value.")
    stdev = property(lambda self: lib.scope_hist_stdev(self._p()),
                     doc="Population standard deviation.")

    def __len__(self):
        return self.count

    def percentile(self, p):
        """The value at percentile @p (0..100), as HdrHistogram's
        getValueAtPercentile; 0 when empty."""
        return lib.scope_hist_percentile(self._p(), float(p))

    def percentiles(self, ps=(50, 90, 99, 99.9, 100)):
        """{p: value} for every percentile in @ps."""
        return {p: self.percentile(p) for p in ps}

    def count_at(self, value):
        """The count in the bucket holding @value."""
        return lib.scope_hist_count_at(self._p(), int(value))

    def lowest_equivalent(self, value):
        """The smallest value sharing @value's bucket."""
        return lib.scope_hist_lowest_equivalent(self._p(), int(value))

    def highest_equivalent(self, value):
        """The largest value sharing @value's bucket."""
        return lib.scope_hist_highest_equivalent(self._p(), int(value))

    def __eq__(self, other):
        if not isinstance(other, Histogram):
            return NotImplemented
        return bool(lib.scope_hist_equal(self._p(), other._p()))

    __hash__ = None

    def encode(self):
        """HdrHistogram's compressed V2 encoding, as bytes."""
        buf, n = ctypes.c_void_p(), ctypes.c_size_t()
        lib.scope_hist_encode(ctypes.byref(buf), ctypes.byref(n), self._p())
        try:
            return ctypes.string_at(buf.value, n.value)
        finally:
            lib.scope_hist_buf_free(buf.value)

    def encode_base64(self):
        """The base64 text of :meth:`encode` (starts with "HISTF")."""
        buf = ctypes.c_void_p()
        lib.scope_hist_encode_base64(ctypes.byref(buf), self._p())
        try:
            return ctypes.string_at(buf.value).decode("ascii")
        finally:
            lib.scope_hist_buf_free(buf.value)

    @classmethod
    def decode(cls, data):
        """Rebuilds a histogram from a V2 encoding (bytes, compressed or
        not), or from its base64 text (str). Raises ParseError naming what
        is wrong."""
        out = ctypes.c_void_p()
        if isinstance(data, str):
            b = data.encode("ascii")
            lib.scope_hist_decode_base64(ctypes.byref(out), b, len(b))
        else:
            b = bytes(data)
            lib.scope_hist_decode(ctypes.byref(out), b, len(b))
        return cls._wrap(out.value)

    def to_text(self, scale=1.0, ticks=0):
        """HdrHistogram's percentile distribution table (.hgrm, as wrk2 -L
        prints it); values divided by @scale (1e6: ns shown as ms)."""
        out = []
        with memfile(out) as f:
            lib.scope_hist_print(f, self._p(), float(scale), int(ticks))
        return out[0] if out else ""

    def __repr__(self):
        if self.closed:
            return "<scope.Histogram closed>"
        return "<scope.Histogram count=%d p50=%d p99=%d max=%d>" % (
            self.count, self.percentile(50), self.percentile(99), self.max)


def _range_error(h, value):
    from .errors import InvalidArgument
    return InvalidArgument("value %r is outside the histogram's trackable range (it was counted "
                           "in overflow); record non-negative values, or create the Histogram "
                           "with a larger highest=" % (value,), code=-1, name="SCOPE_EINVAL")


def write_hlog(path, intervals, start_wall_ns):
    """Writes an HdrHistogram interval log (.hlog) to @path: the header at
    @start_wall_ns (CLOCK_REALTIME ns), then one line per (tag or None,
    start_ns relative to the start, length_ns, Histogram) of @intervals."""
    with cfile(path, "w") as f:
        lib.scope_hist_log_header(f, int(start_wall_ns))
        for tag, start_ns, length_ns, h in intervals:
            lib.scope_hist_log_write(f, _lib.cstr(tag), int(start_ns), int(length_ns), h._p())


def read_hlog(path):
    """Reads every interval of an .hlog file as :class:`HlogInterval`
    tuples. Raises ParseError for a malformed line (the message quotes it)."""
    out = []
    tag = ctypes.create_string_buffer(256)
    start, length, base = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(0)
    with cfile(path, "r") as f:
        while True:
            h = ctypes.c_void_p()
            n = lib.scope_hist_log_read(ctypes.byref(h), f, ctypes.addressof(tag), len(tag),
                                        ctypes.byref(start), ctypes.byref(length),
                                        ctypes.byref(base))
            if n == 0:
                return out
            out.append(HlogInterval(text(tag.value), start.value, length.value,
                                    Histogram._wrap(h.value)))
