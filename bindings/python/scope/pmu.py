"""Performance counters (scope_pmu: perf_event groups) and top-down
microarchitecture analysis (scope_topdown), live or from recorded
`perf stat -x,` output."""

import collections
import ctypes

from . import _lib
from ._handle import Handle
from ._lib import cstr, lib, text
from .collector import Collector

__all__ = ["Pmu", "PmuEvent", "PmuRow", "PmuValue", "TopDown", "TopDownNode",
           "PmuCollector", "TopDownCollector", "detect_topdown"]

PmuEvent = collections.namedtuple("PmuEvent", "name unit type config config1 config2 group")
PmuEvent.__doc__ = "An event of a Pmu: as written, sysfs unit, perf_event_attr encoding, group."
PmuRow = collections.namedtuple("PmuRow", "target pid tid name gone")
PmuRow.__doc__ = ("A row of values: target ('self', 'thread', 'process', 'cgroup', 'cpus'), "
                  "pid, tid, name (thread/process name, cgroup path or CPU list), gone (exited).")
PmuValue = collections.namedtuple("PmuValue", "raw scaled ratio enabled_ns running_ns")
PmuValue.__doc__ = ("One event of one row as of the last read: raw count, scaled value "
                    "(multiplexing and sysfs .scale applied), running/enabled ratio and times.")
TopDownNode = collections.namedtuple("TopDownNode", "name level parent core value")
TopDownNode.__doc__ = ("A top-down node: pmu-tools name, level (1/2), level-1 parent (or None), "
                       "core type on hybrids (or None), fraction of slots (0..1).")
TopDownRow = collections.namedtuple("TopDownRow", "time interval kind label id comm nodes")
TopDownRow.__doc__ = ("One replayed row: interval end in seconds (-1: the whole run), interval "
                      "number (0, 1, ...; -1: the whole run), kind "
                      "('thread', 'cpu' or 'total'), label as perf printed it ('worker_0-2660', "
                      "'CPU3'; 'total', or None for a file without rows), tid / CPU number "
                      "(-1 for the total), thread name (or None), and its TopDownNode list.")
_ROW_KINDS = {0: "total", 1: "thread", 2: "cpu"}

_OPTS = ("sysfs_root", "per_thread", "no_inherit", "no_libpfm", "max_group_events")


def _pmu_opts(keep, sysfs_root=None, per_thread=False, no_inherit=False, no_libpfm=False,
              max_group_events=0):
    o = _lib.struct_type("scope_pmu_opts")()
    lib.scope_pmu_opts_init(ctypes.byref(o), ctypes.sizeof(o))
    b = cstr(sysfs_root)
    keep.append(b)
    o.sysfs_root = b
    o.per_thread, o.no_inherit, o.no_libpfm = int(per_thread), int(no_inherit), int(no_libpfm)
    o.max_group_events = int(max_group_events)
    return o


class Pmu(Handle):
    """A set of perf counter groups (scope_pmu).

    Args:
        events: an event list as `perf stat -e` takes it: "task-clock,
            context-switches", "{cycles,instructions}", "cpu/event=0x3c/",
            names libpfm4 knows, with :u/:k modifiers.
        sysfs_root: PMU sysfs root for names and encodings (default /sys).
        per_thread: one row per thread of process targets (:meth:`rescan`
            adds new threads).
        no_inherit: do not count child tasks.
        no_libpfm: never resolve names through libpfm4.
        max_group_events: split larger groups.

    Add targets (:meth:`add_pid`, :meth:`add_tid`, :meth:`add_cgroup`,
    :meth:`add_cpus`; none: the calling thread), then :meth:`start`,
    :meth:`read` and read ``values()``. A Pmu can instead be handed to
    :meth:`collector` and sampled by a Recorder.

    Raises:
        NotFound: unknown event (the message lists what exists).
        ParseError: malformed list. NoDevice/PermissionDenied (at start):
        no such PMU here, perf_event_paranoid (the message gives the fix).
    """

    def __init__(self, events, **opts):
        for k in opts:
            if k not in _OPTS:
                raise TypeError("Pmu: unknown option %r (known: %s)" % (k, ", ".join(_OPTS)))
        keep = []
        o = _pmu_opts(keep, **opts)
        out = ctypes.c_void_p()
        lib.scope_pmu_new(ctypes.byref(out), cstr(events), ctypes.byref(o))
        self._ptr = out.value
        self.spec = events

    @classmethod
    def _wrap(cls, ptr, spec):
        p = cls.__new__(cls)
        p._ptr, p.spec = ptr, spec
        return p

    def _release(self, ptr):
        lib.scope_pmu_free(ptr)

    def add_tid(self, tid):
        """Counts thread @tid."""
        lib.scope_pmu_add_tid(self._p(), int(tid))
        return self

    def add_pid(self, pid):
        """Counts process @pid with its threads (one row, or one per thread
        with per_thread)."""
        lib.scope_pmu_add_pid(self._p(), int(pid))
        return self

    def add_cgroup(self, path):
        """Counts everything in cgroup @path (absolute or mount-relative)."""
        lib.scope_pmu_add_cgroup(self._p(), cstr(path))
        return self

    def add_cpus(self, cpus=None):
        """Counts CPUs system-wide ("0-3,8"; None: all online)."""
        lib.scope_pmu_add_cpus(self._p(), cstr(cpus))
        return self

    def start(self):
        """Opens every group and starts counting."""
        lib.scope_pmu_start(self._p())
        return self

    def read(self):
        """Reads every group; values() then shows the counts."""
        lib.scope_pmu_read(self._p())
        return self

    def rescan(self):
        """Adds rows for threads created since start (per_thread); returns
        how many."""
        return lib.scope_pmu_rescan(self._p())

    def stop(self):
        """Closes every descriptor (values stay readable)."""
        lib.scope_pmu_stop(self._p())

    def __enter__(self):
        return self

    @property
    def events(self):
        """The events, as :class:`PmuEvent` tuples."""
        p = self._p()
        out = []
        for i in range(lib.scope_pmu_event_count(p)):
            t, c, c1, c2 = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
            lib.scope_pmu_event_attr(p, i, ctypes.byref(t), ctypes.byref(c), ctypes.byref(c1),
                                     ctypes.byref(c2))
            out.append(PmuEvent(text(lib.scope_pmu_event_name(p, i)),
                                text(lib.scope_pmu_event_unit(p, i)), t.value, c.value,
                                c1.value, c2.value, lib.scope_pmu_event_group(p, i)))
        return out

    @property
    def group_count(self):
        """The number of groups (after start: after splits)."""
        return lib.scope_pmu_group_count(self._p())

    @property
    def rows(self):
        """The value rows, as :class:`PmuRow` tuples."""
        from .errors import Gone
        p = self._p()
        out = []
        for r in range(lib.scope_pmu_row_count(p)):
            tgt, pid, tid, name = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_char_p()
            gone = False
            try:
                lib.scope_pmu_row_info(p, r, ctypes.byref(tgt), ctypes.byref(pid),
                                       ctypes.byref(tid), ctypes.byref(name))
            except Gone:
                gone = True
            out.append(PmuRow(text(lib.scope_pmu_target_name(tgt.value)), pid.value, tid.value,
                              text(name.value), gone))
        return out

    def value(self, row, event):
        """:class:`PmuValue` of event @event (index or name) in row @row."""
        p = self._p()
        if isinstance(event, str):
            names = [e.name for e in self.events]
            event = names.index(event)
        raw, scaled, ratio = ctypes.c_uint64(), ctypes.c_double(), ctypes.c_double()
        lib.scope_pmu_value(p, int(row), int(event), ctypes.byref(raw), ctypes.byref(scaled),
                            ctypes.byref(ratio))
        en, run = ctypes.c_uint64(), ctypes.c_uint64()
        lib.scope_pmu_times(p, int(row), int(event), ctypes.byref(en), ctypes.byref(run))
        return PmuValue(raw.value, scaled.value, ratio.value, en.value, run.value)

    def values(self, row=0):
        """{event name: scaled value} of row @row."""
        return {e.name: self.value(row, i).scaled for i, e in enumerate(self.events)}

    @property
    def notes(self):
        """What to know about the last start/read (splits, multiplexing,
        groups never scheduled); "" when nothing."""
        return text(lib.scope_pmu_notes(self._p()))

    @staticmethod
    def encode(event, sysfs_root=None):
        """(type, config, config1, config2) of one event, without a set."""
        t, c, c1, c2 = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        lib.scope_pmu_encode(cstr(event), cstr(sysfs_root), ctypes.byref(t), ctypes.byref(c),
                             ctypes.byref(c1), ctypes.byref(c2))
        return t.value, c.value, c1.value, c2.value

    def collector(self):
        """Turns this (unstarted) Pmu into a :class:`PmuCollector` for a
        Recorder: series perf_<event>_total, perf_<event>_raw_total and
        perf_<event>_running_ratio per row. The Pmu is consumed (closed)."""
        out = ctypes.c_void_p()
        lib.scope_pmu_collector_new(ctypes.byref(out), self._p())
        self._ptr = None  # owned by the collector now
        c = PmuCollector.__new__(PmuCollector)
        c._adopt(out.value)
        return c

    def __repr__(self):
        return "<scope.Pmu %r%s>" % (self.spec, " closed" if self.closed else "")


def target_name(target):
    """"self", "thread", "process", "cgroup", "cpus" for a row target number."""
    return text(lib.scope_pmu_target_name(int(target)))


class PmuCollector(Collector):
    """A collector made by :meth:`Pmu.collector`."""


class TopDownCollector(Collector):
    """A collector made by :meth:`TopDown.collector`: topdown_fraction per
    row and node over each sampling interval."""


def detect_topdown(cpuid=None, sysfs_root=None):
    """(recipe, nearest): the top-down recipe for this CPU (or @cpuid such
    as "GenuineIntel-6-55"); recipe is None when none fits."""
    from .errors import NotSupported
    r, n = ctypes.c_char_p(), ctypes.c_char_p()
    try:
        lib.scope_topdown_detect(ctypes.byref(r), ctypes.byref(n), cstr(cpuid), cstr(sysfs_root))
    except NotSupported:
        return None, text(n.value)
    return text(r.value), text(n.value)


class TopDown(Handle):
    """Top-down microarchitecture analysis (TMA) level 1 (and 2 where the
    recipe has it), as pmu-tools' toplev computes it.

    Args:
        cpu: recipe name (skylake, skylakex, icelake, icelakex,
            sapphirerapids, alderlake, amdzen4, amdzen5); None detects this
            CPU (fails with NotSupported naming the nearest recipe).
        level: 1 (default) or 2.
        smt: None (detect), False or True.
        sysfs_root: PMU sysfs root for probes and encodings.
        cpuid: "GenuineIntel-6-55" instead of this CPU's CPUID.

    Feed counts live (:meth:`pmu`, then :meth:`read_pmu`) or recorded
    (:meth:`add`, :meth:`add_raw`, :meth:`add_perf_metrics`,
    :meth:`replay_csv` of `perf stat -x, [-I N]` output,
    :meth:`replay_csv_rows` for its --per-thread / -A forms), :meth:`compute`,
    and read ``nodes`` / :meth:`value`. Counts accumulate until
    :meth:`reset`: adding intervals gives the slot-weighted whole.
    """

    def __init__(self, cpu=None, level=1, smt=None, sysfs_root=None, cpuid=None):
        o = _lib.struct_type("scope_topdown_opts")()
        lib.scope_topdown_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        keep = [cstr(cpu), cstr(sysfs_root), cstr(cpuid)]
        o.cpu, o.sysfs_root, o.cpuid = keep
        o.level = int(level)
        o.smt = 0 if smt is None else (2 if smt else 1)
        out = ctypes.c_void_p()
        lib.scope_topdown_new(ctypes.byref(out), ctypes.byref(o))
        self._ptr = out.value
        self._sysfs_root = sysfs_root

    def _release(self, ptr):
        lib.scope_topdown_free(ptr)

    recipe = property(lambda self: text(lib.scope_topdown_recipe(self._p())),
                      doc="The recipe name.")
    level = property(lambda self: lib.scope_topdown_level(self._p()), doc="1 or 2.")
    events = property(lambda self: text(lib.scope_topdown_events(self._p())),
                      doc="The recipe's perf event list, as `perf stat -e` takes it.")

    @property
    def event_list(self):
        """[(key, perf spec)] of the recipe's events."""
        p = self._p()
        out = []
        for i in range(lib.scope_topdown_event_count(p)):
            k, s = ctypes.c_char_p(), ctypes.c_char_p()
            lib.scope_topdown_event_at(p, i, ctypes.byref(k), ctypes.byref(s))
            out.append((text(k.value), text(s.value)))
        return out

    def reset(self):
        """Zeroes the accumulated counts."""
        lib.scope_topdown_reset(self._p())
        return self

    def add(self, event, count):
        """Adds @count to @event (key, perf spec, alias or raw rNNNN)."""
        lib.scope_topdown_add(self._p(), cstr(event), float(count))
        return self

    def add_raw(self, event, raw, enabled_ns, running_ns):
        """Adds a multiplexed reading (@raw scaled by enabled/running)."""
        lib.scope_topdown_add_raw(self._p(), cstr(event), int(raw), int(enabled_ns),
                                  int(running_ns))
        return self

    def add_perf_metrics(self, slots, metrics, core=None):
        """Adds one Icelake+ reading: SLOTS and the raw PERF_METRICS value."""
        lib.scope_topdown_add_perf_metrics(self._p(), cstr(core), int(slots), int(metrics))
        return self

    def compute(self):
        """Computes every node from the accumulated counts; returns ``nodes``."""
        lib.scope_topdown_compute(self._p())
        return self.nodes

    @property
    def nodes(self):
        """The nodes of the last compute, as :class:`TopDownNode` tuples."""
        p = self._p()
        out = []
        for i in range(lib.scope_topdown_node_count(p)):
            n, par, core = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
            lv, v = ctypes.c_int(), ctypes.c_double()
            lib.scope_topdown_node_at(p, i, ctypes.byref(n), ctypes.byref(lv), ctypes.byref(par),
                                      ctypes.byref(core), ctypes.byref(v))
            out.append(TopDownNode(text(n.value), lv.value, text(par.value), text(core.value),
                                   v.value))
        return out

    def value(self, name, core=None):
        """The fraction of node @name from the last compute."""
        v = ctypes.c_double()
        lib.scope_topdown_value(self._p(), cstr(name), cstr(core), ctypes.byref(v))
        return v.value

    def replay_csv(self, path, callback=None):
        """Replays `perf stat -x, [-I N] -e <events>` output and returns
        [(t_s, nodes)] per interval, then the whole run (t_s -1; for files
        without -I only that). ``callback(topdown, t_s)`` may also see each
        interval (a true return stops: the list so far is returned)."""
        got = []
        exc = []

        def tramp(td, t_s, ud):
            try:
                got.append((t_s, self.nodes))
                return 1 if callback is not None and callback(self, t_s) else 0
            except BaseException as e:
                exc.append(e)
                return 1

        cb = _lib.callback_type("scope_topdown_interval_cb")(tramp)
        from .errors import CallbackError
        try:
            lib.scope_topdown_replay_csv(self._p(), cstr(path), cb, None)
        except CallbackError:
            if exc:
                raise exc[0] from None
        return got

    def replay_csv_rows(self, path, callback=None):
        """Replays `perf stat -x, [-I N] [--per-thread | -A] -e <events>`
        output and returns a :class:`TopDownRow` per thread / CPU and per
        interval, each interval's rows followed by their total, then (for -I
        files) the whole run the same way. A row whose interval lacks a count
        (the thread did not run) is left out. ``callback(topdown, row)`` may
        also see each row (a true return stops: the list so far is
        returned)."""
        got = []
        exc = []

        def tramp(td, t_s, rowp, ud):
            try:
                r = rowp.contents
                row = TopDownRow(t_s, r.interval, _ROW_KINDS.get(r.kind, str(r.kind)),
                                 text(r.label), r.id, text(r.comm), self.nodes)
                got.append(row)
                return 1 if callback is not None and callback(self, row) else 0
            except BaseException as e:
                exc.append(e)
                return 1

        cb = _lib.callback_type("scope_topdown_row_cb")(tramp)
        from .errors import CallbackError
        try:
            lib.scope_topdown_replay_csv_rows(self._p(), cstr(path), cb, None)
        except CallbackError:
            if exc:
                raise exc[0] from None
        return got

    def pmu(self, **opts):
        """A :class:`Pmu` for the recipe's events (add targets, start, read,
        then :meth:`read_pmu`)."""
        keep = []
        opts.setdefault("sysfs_root", self._sysfs_root)
        o = _pmu_opts(keep, **opts)
        out = ctypes.c_void_p()
        lib.scope_topdown_pmu_new(ctypes.byref(out), self._p(), ctypes.byref(o))
        return Pmu._wrap(out.value, self.events)

    def read_pmu(self, pmu, row=0, delta=False):
        """Resets, adds row @row of @pmu and computes (with delta=True: the
        interval since the previous delta read). Returns ``nodes``."""
        fn = lib.scope_topdown_read_pmu_delta if delta else lib.scope_topdown_read_pmu
        fn(self._p(), pmu._p(), int(row))
        return self.nodes

    def collector(self, pmu):
        """A :class:`TopDownCollector` reading @pmu (made by :meth:`pmu`,
        targets added, not started). Consumes both this TopDown and @pmu."""
        out = ctypes.c_void_p()
        lib.scope_topdown_collector_new(ctypes.byref(out), self._p(), pmu._p())
        self._ptr = None
        pmu._ptr = None
        c = TopDownCollector.__new__(TopDownCollector)
        c._adopt(out.value)
        return c

    def __repr__(self):
        return "<scope.TopDown %s>" % ("closed" if self.closed else self.recipe)
