"""Collectors: the common face (scope_collector) and the process collector.

A collector observes something (a process, a cgroup, counter groups) and
each sample appends one point per watched series to a :class:`SeriesSet`.
Most users hand collectors to a :class:`scope.Recorder`; they can also be
driven by hand::

    with scope.Proc(pid) as p, scope.SeriesSet() as s:
        p.start()
        p.sample(s); time.sleep(0.1); p.sample(s)
        print(s.to_pandas())
"""

import collections
import ctypes
import os

from . import _lib
from ._handle import Handle, state_error
from ._lib import lib, text
from .series import Kind, SeriesSet

__all__ = ["Collector", "Metric", "Proc"]

Metric = collections.namedtuple("Metric", "name unit kind help")
Metric.__doc__ = "A metric a collector describes: name, unit, kind (scope.Kind), help."


class Collector(Handle):
    """A collector handle (scope_collector). Made by an area's constructor
    (:class:`Proc`, ...); freed by :meth:`close`, a ``with`` block or garbage
    collection. A collector attached to a :class:`scope.Recorder` cannot be
    closed before the recorder (its memory is released with the recorder's
    when both are garbage)."""

    def _open(self, fn, opts_type, opts, *args):
        """For area constructors: fills the options struct @opts_type (e.g.
        "scope_proc_opts") from the dict @opts through its _opts_init, calls
        the C constructor @fn(&out, *args, &opts) and adopts the handle.
        Unknown option names raise TypeError."""
        self._adopt(None)
        o = _lib.struct_type(opts_type)()
        getattr(lib, opts_type + "_init")(ctypes.byref(o), ctypes.sizeof(o))
        known = {name for name, _ in o._fields_} - {"size"}
        for k, v in opts.items():
            if k not in known:
                raise TypeError("%s: unknown option %r (known: %s)"
                                % (type(self).__name__, k, ", ".join(sorted(known))))
            setattr(o, k, v)
        out = ctypes.c_void_p()
        getattr(lib, fn)(ctypes.byref(out), *args, ctypes.byref(o))
        self._adopt(out.value)

    def _adopt(self, ptr):
        self._ptr = ptr
        self._attached = 0  # recorders using this collector
        self._dying = False

    def _release(self, ptr):
        lib.scope_collector_free(ptr)

    def close(self):
        """Stops (if needed) and frees the collector.

        Raises:
            StateError: it is still attached to an open Recorder (close the
                recorder first).
        """
        if self._ptr is not None and getattr(self, "_attached", 0):
            raise state_error("collector %s is attached to a Recorder that is still open: "
                              "close the recorder first" % self.name)
        Handle.close(self)

    def __del__(self):
        if getattr(self, "_attached", 0):
            self._dying = True  # the recorder frees us when it closes
            return
        Handle.__del__(self)

    def _detach(self):
        self._attached -= 1
        if self._dying and not self._attached:
            Handle.close(self)

    @property
    def name(self):
        """Short instance name such as "proc:1234"."""
        return text(lib.scope_collector_name(self._p()))

    @property
    def metrics(self):
        """The metrics this collector describes, as :class:`Metric` tuples."""
        p = self._p()
        out = []
        for i in range(lib.scope_collector_metric_count(p)):
            name, unit, helptext = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
            kind = ctypes.c_int()
            lib.scope_collector_metric_at(p, i, ctypes.byref(name), ctypes.byref(unit),
                                          ctypes.byref(kind), ctypes.byref(helptext))
            out.append(Metric(text(name.value), text(unit.value), Kind(kind.value),
                              text(helptext.value)))
        return out

    def start(self):
        """Opens what the collector reads and takes the baseline.
        Raises StateError when started already, Gone/NotFound when the
        target does not exist, PermissionDenied, ..."""
        lib.scope_collector_start(self._p())
        return self

    def sample(self, into=None):
        """Reads every source once and appends one point per series to
        @into (a SeriesSet; a new one when None), which is returned.
        Raises Gone when every source has vanished, StateError when not
        started."""
        if into is None:
            into = SeriesSet()
        into._check_mutable(what="sample into this set")
        lib.scope_collector_sample(self._p(), into._p())
        return into

    def rescan(self):
        """Looks for new sources (threads, child cgroups); returns how many
        were added. Raises NotSupported for collectors with nothing to
        rescan."""
        return lib.scope_collector_rescan(self._p())

    def stop(self):
        """Closes what start opened (no-op when stopped)."""
        lib.scope_collector_stop(self._p())

    def __repr__(self):
        return "<scope.%s %s>" % (type(self).__name__,
                                  "closed" if self.closed else self.name)


class Proc(Collector):
    """The process collector: CPU time, memory, page faults, context switches
    and thread count of one process (/proc/<pid>/stat and status).

    Args:
        pid: the process id; None means this Python process.
        threads: True gives one set of series per thread (labels tid,
            thread); :meth:`rescan` then adds threads started since.
        skip_status: True does not read /proc/<pid>/status (no context-switch
            series), which halves the cost of a sample.

    Series: process_cpu_seconds_total{mode}, process_resident_memory_bytes,
    process_minor_page_faults_total, process_major_page_faults_total,
    process_context_switches_total{kind}, process_threads, all labelled
    with pid and comm.

    Raises:
        InvalidArgument: pid <= 0.
        Gone (at start): the process does not exist.
    """

    def __init__(self, pid=None, threads=False, skip_status=False):
        if pid is None:
            pid = os.getpid()
        self._open("scope_proc_open", "scope_proc_opts",
                   {"threads": 1 if threads else 0, "skip_status": 1 if skip_status else 0},
                   int(pid))
        self.pid = int(pid)
