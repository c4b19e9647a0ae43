"""Exporters: CSV (tidy), JSON lines, Prometheus text (last values) and
OpenMetrics text (every point), written by libscope itself.

    scope.export(series_set, "out.csv")               # format from the suffix
    scope.export(series_set, sys.stdout, "jsonl")     # any object with fileno()
    text = scope.dumps(series_set, "prometheus")      # a str
"""

import ctypes
import enum
import os

from . import _lib
from ._handle import invalid
from ._lib import cstr, lib, text

__all__ = ["Format", "export", "dumps", "format_name"]

Format = enum.IntEnum("Format", {k[len("SCOPE_EXPORT_"):]: v for k, v in
                                 _lib.TABLES.enums["scope_export_format"].items()})
Format.__doc__ = "Export formats: CSV, JSONL, PROMETHEUS, OPENMETRICS."

_SUFFIX = {".csv": Format.CSV, ".jsonl": Format.JSONL, ".ndjson": Format.JSONL,
           ".prom": Format.PROMETHEUS, ".om": Format.OPENMETRICS,
           ".openmetrics": Format.OPENMETRICS}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fdopen.restype = ctypes.c_void_p
_libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
_libc.fclose.restype = ctypes.c_int
_libc.fclose.argtypes = [ctypes.c_void_p]


def format_name(fmt):
    """"csv", "jsonl", "prometheus" or "openmetrics" (scope_export_format_name)."""
    return text(lib.scope_export_format_name(int(fmt)))


def _format(fmt):
    if isinstance(fmt, str):
        try:
            return Format[fmt.upper()]
        except KeyError:
            raise invalid("unknown export format %r: use one of %s"
                          % (fmt, ", ".join(f.name.lower() for f in Format))) from None
    return int(fmt)


def _opts(timestamps=False, header=True):
    o = _lib.struct_type("scope_export_opts")()
    lib.scope_export_opts_init(ctypes.byref(o), ctypes.sizeof(o))
    o.timestamps = 1 if timestamps else 0
    o.no_header = 0 if header else 1
    return o


def dumps(series_set, format="csv", timestamps=False, header=True):
    """The set in @format as a str.

    Args:
        format: "csv", "jsonl", "prometheus", "openmetrics" or a Format.
        timestamps: PROMETHEUS only: add each value's timestamp (ms).
        header: CSV only: False leaves the header row out (for appending).
    """
    buf = ctypes.c_void_p()
    n = ctypes.c_size_t()
    lib.scope_export_buffer(ctypes.byref(buf), ctypes.byref(n), series_set._p(),
                            _format(format), ctypes.byref(_opts(timestamps, header)))
    try:
        return ctypes.string_at(buf.value, n.value).decode("utf-8")
    finally:
        lib.scope_buffer_free(buf)


def export(series_set, dest, format=None, timestamps=False, header=True):
    """Writes the set to @dest.

    Args:
        dest: a path (str or os.PathLike: written atomically through
            "<path>.tmp"), an open file with a fileno() (written by libscope
            through a duplicate of its descriptor), or any object with a
            write(str) method.
        format: as for :func:`dumps`; None picks it from the path's suffix
            (.csv, .jsonl, .prom, .om), CSV otherwise.
        timestamps, header: as for :func:`dumps`.
    Raises:
        NotFound (directory missing), PermissionDenied, ScopeIOError,
        InvalidArgument.
    """
    if isinstance(dest, (str, bytes, os.PathLike)):
        path = os.fspath(dest)
        if format is None:
            suffix = os.path.splitext(path if isinstance(path, str) else path.decode())[1]
            format = _SUFFIX.get(suffix.lower(), Format.CSV)
        lib.scope_export_path(series_set._p(), _format(format), cstr(path, "path"),
                              ctypes.byref(_opts(timestamps, header)))
        return
    fmt = _format(Format.CSV if format is None else format)
    fileno = getattr(dest, "fileno", None)
    fd = -1
    if fileno is not None:
        try:
            fd = fileno()
        except (OSError, ValueError, AttributeError):
            fd = -1  # io.StringIO and friends
    if fd < 0:
        dest.write(dumps(series_set, fmt, timestamps, header))
        return
    dest.flush()
    dup = os.dup(fd)
    f = _libc.fdopen(dup, b"w")  # "w" on fdopen never truncates
    if not f:
        e = ctypes.get_errno()
        os.close(dup)
        raise OSError(e, "fdopen: " + os.strerror(e))
    try:
        lib.scope_export_write(series_set._p(), fmt, f, ctypes.byref(_opts(timestamps, header)))
    finally:
        _libc.fclose(f)


from ._handle import Handle as _Handle  # noqa: E402


class Exporter(_Handle):
    """A Prometheus scrape endpoint (scope_exporter): serves GET /metrics
    over HTTP on its own thread with the page last given to
    :meth:`publish` (the last value of every series of a set).

    Args:
        address: IPv4 or IPv6 address to bind (default "127.0.0.1").
        port: TCP port; 0 (default) picks a free one (see ``port``).
        timestamps: each value carries its sample's timestamp.

    Typical use: publish from a Recorder callback after each sample::

        with scope.Exporter() as ex:
            with scope.Recorder([scope.Proc()], interval=1,
                                callback=lambda r, s, t: ex.publish(s)):
                ...

    Raises:
        AlreadyExists: the port is in use. PermissionDenied: a port below
        1024 without privileges.
    """

    def __init__(self, address=None, port=0, timestamps=False):
        o = _lib.struct_type("scope_exporter_opts")()
        lib.scope_exporter_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        o.address = cstr(address)
        o.port = int(port)
        o.timestamps = 1 if timestamps else 0
        out = ctypes.c_void_p()
        lib.scope_exporter_open(ctypes.byref(out), ctypes.byref(o))
        self._ptr = out.value
        self.address = address or "127.0.0.1"

    def _release(self, ptr):
        lib.scope_exporter_free(ptr)

    @property
    def port(self):
        """The TCP port it listens on."""
        return lib.scope_exporter_port(self._p())

    @property
    def url(self):
        """http://address:port/metrics."""
        host = "[%s]" % self.address if ":" in self.address else self.address
        return "http://%s:%d/metrics" % (host, self.port)

    def publish(self, series_set):
        """Renders the last value of every series of @series_set and makes
        it the page scrapes get (the set is read only during the call)."""
        lib.scope_exporter_publish(self._p(), series_set._p())

    @property
    def scrape_count(self):
        """How many /metrics requests were served."""
        return lib.scope_exporter_scrape_count(self._p())

    def __repr__(self):
        return "<scope.Exporter %s>" % ("closed" if self.closed else self.url)


__all__.append("Exporter")
