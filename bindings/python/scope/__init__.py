"""scope: Python bindings of libscope (ctypes, standard library only; numpy
and pandas are used when installed).

libscope characterizes microservices and sidecars under load: collectors
(process, cgroup, PMU and top-down, uncore and resctrl) are sampled by a
recorder onto one timeline of series (metric name, labels, int64 ns
timestamps, float64 values), which reach numpy without a copy, pandas in one
call, and files through the exporters.

Quick start::

    import scope
    with scope.Recorder([scope.Proc()], interval=0.1) as rec:
        do_work()
    df = rec.series.to_pandas()            # long (tidy) DataFrame
    wide = rec.series.to_pandas(wide=True)  # one column per series
    scope.export(rec.series, "run.csv")

Load comes from :class:`Load` (open or closed loop, HDR histograms),
Prometheus data from :class:`Prometheus`, and :class:`Exporter` serves a
scrape endpoint.

Errors raise subclasses of :class:`ScopeError` (InvalidArgument, NotFound,
PermissionDenied, Gone, StateError, ...) carrying the library's message.
The library is found by soname (libscope.so.0), or at $SCOPE_LIBRARY.
"""

import ctypes as _ctypes

from . import _lib
from ._lib import lib as _c, text as _text
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .series import Kind, Series, SeriesSet, kind_name
from .collector import Collector, Metric, Proc
from .recorder import Recorder, record
from .exporters import Exporter, Format, dumps, export, format_name
from .hist import Histogram, HlogInterval, read_hlog, write_hlog
from .load import Load, LoadRequest, LoadResult, LoadStats, sweep_values
from .prom import Prometheus, PromResult, parse_duration, parse_time, usage_query
from .cgroup import Cgroup, CgroupMounts, Target, TargetRow, container_id, pod_uid
from .pmu import (Pmu, PmuCollector, TopDown, TopDownCollector, TopDownNode, TopDownRow,
                  detect_topdown)
from .uncore import Resctrl, Uncore, UncorePlan, uncore_delta

__version__ = "0.1.0"

#: Path of the libscope shared library that was loaded.
library_path = _lib.path


def version():
    """The loaded library's version, "major.minor.patch" (scope_version)."""
    return _text(_c.scope_version())


def version_number():
    """The loaded library's version as major*10000 + minor*100 + patch."""
    return _c.scope_version_number()


def strerror(code):
    """A short static description of a SCOPE_E* code (scope_strerror)."""
    return _text(_c.scope_strerror(int(code)))


def error_name(code):
    """The identifier of a code, e.g. "SCOPE_EINVAL" (scope_error_name)."""
    return _text(_c.scope_error_name(int(code)))


def last_error():
    """The calling thread's last libscope error as (code, errno, message).
    Exceptions already carry these; this is for diagnostics."""
    return (_c.scope_error_code(), _c.scope_error_errno(), _text(_c.scope_error_message()))


def clear_error():
    """Forgets the calling thread's last error (scope_error_clear)."""
    _c.scope_error_clear()


def clock_now():
    """(wall_ns, mono_ns): CLOCK_REALTIME and CLOCK_MONOTONIC read together,
    the clocks every libscope timestamp comes from."""
    w, m = _ctypes.c_int64(), _ctypes.c_int64()
    _c.scope_clock_now(_ctypes.byref(w), _ctypes.byref(m))
    return w.value, m.value


def wall_ns():
    """CLOCK_REALTIME in ns since the epoch (scope_clock_wall_ns)."""
    return _c.scope_clock_wall_ns()


def mono_ns():
    """CLOCK_MONOTONIC in ns (scope_clock_mono_ns)."""
    return _c.scope_clock_mono_ns()


__all__ = [
    "version", "version_number", "library_path", "strerror", "error_name", "last_error",
    "clear_error", "clock_now", "wall_ns", "mono_ns",
    "Kind", "Series", "SeriesSet", "kind_name",
    "Collector", "Metric", "Proc", "Recorder", "record",
    "Format", "dumps", "export", "format_name", "Exporter",
    "Histogram", "HlogInterval", "read_hlog", "write_hlog",
    "Load", "LoadRequest", "LoadResult", "LoadStats", "sweep_values",
    "Prometheus", "PromResult", "parse_duration", "parse_time", "usage_query",
    "Cgroup", "CgroupMounts", "Target", "TargetRow", "container_id", "pod_uid",
    "Pmu", "PmuCollector", "TopDown", "TopDownCollector", "TopDownNode", "TopDownRow",
    "detect_topdown",
    "Resctrl", "Uncore", "UncorePlan", "uncore_delta",
] + list(_errors_all)
