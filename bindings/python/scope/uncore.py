"""Memory bandwidth: uncore memory-controller counters (scope_uncore_*,
"PCM-style", system-wide) and resctrl monitoring (scope_resctrl_*, per
group). Both need hardware and privileges that most VMs lack; the library
then fails with NoDevice / PermissionDenied and a message naming the fix.
A fixture sysfs root works for planning anywhere."""

import collections
import ctypes

from . import _lib
from ._handle import Handle
from ._lib import cstr, lib, text
from .collector import Collector

__all__ = ["UncorePlan", "Uncore", "Resctrl", "UncoreCounter", "UncorePmu", "uncore_delta",
           "MB", "MIB"]

MB = 1000000.0
MIB = 1048576.0
DIRS = {1: "read", 2: "write", 3: "read_write"}

UncoreCounter = collections.namedtuple(
    "UncoreCounter", "pmu event cpu socket channel dir type config config1 scale unit "
    "bytes_per_count width")
UncoreCounter.__doc__ = ("A planned counter: PMU, event, CPU to open it on, socket, channel, "
                         "direction, perf encoding, sysfs scale/unit, bytes per count, width.")
UncorePmu = collections.namedtuple("UncorePmu", "name type cpumask formats events")
UncorePmu.__doc__ = ("A discovered uncore PMU: name, perf type, cpumask, formats {name: spec} "
                     "and events {name: (terms, scale, unit)}.")


def _uopts(sysfs_root, prefer_cas):
    o = _lib.struct_type("scope_uncore_opts")()
    lib.scope_uncore_opts_init(ctypes.byref(o), ctypes.sizeof(o))
    o.sysfs_root = cstr(sysfs_root)
    o.prefer_cas = int(bool(prefer_cas))
    return o


def uncore_delta(before, after, width=64):
    """@after - @before modulo 2**@width (a counter that wrapped at most once)."""
    return lib.scope_uncore_delta(int(before), int(after), int(width))


def kind_name(kind):
    """"intel_imc", ... for a plan kind number."""
    return text(lib.scope_uncore_kind_name(int(kind)))


def dir_name(d):
    """"read", "write", ... for a direction number."""
    return text(lib.scope_uncore_dir_name(int(d)))


class UncorePlan(Handle):
    """The uncore PMUs of a machine and its memory-bandwidth plan (one
    counter per memory controller and socket). Opens no perf event.

    Args:
        sysfs_root: "/sys" by default; a fixture tree works too.
        prefer_cas: Intel CAS counters even where free-running ones exist.

    Raises:
        NoDevice: no memory-controller PMU (the message says what exists
            and names bare metal or resctrl as the way out).
    """

    def __init__(self, sysfs_root=None, prefer_cas=False):
        o = _uopts(sysfs_root, prefer_cas)
        out = ctypes.c_void_p()
        lib.scope_uncore_plan_new(ctypes.byref(out), ctypes.byref(o))
        self._ptr = out.value

    def _release(self, ptr):
        lib.scope_uncore_plan_free(ptr)

    kind = property(lambda self: text(lib.scope_uncore_kind_name(
        lib.scope_uncore_plan_kind(self._p()))), doc='"intel_imc", "amd_umc", ...')
    sockets = property(lambda self: lib.scope_uncore_plan_sockets(self._p()),
                       doc="The number of sockets.")
    channels = property(lambda self: lib.scope_uncore_plan_channels(self._p()),
                        doc="The largest number of channels of one socket.")

    @property
    def counters(self):
        """The planned counters, as :class:`UncoreCounter` tuples."""
        p = self._p()
        out = []
        for i in range(lib.scope_uncore_plan_counter_count(p)):
            pmu, ev = ctypes.c_char_p(), ctypes.c_char_p()
            cpu, sock, ch, d = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
            lib.scope_uncore_plan_counter(p, i, ctypes.byref(pmu), ctypes.byref(ev),
                                          ctypes.byref(cpu), ctypes.byref(sock),
                                          ctypes.byref(ch), ctypes.byref(d))
            t, c, c1 = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64()
            sc, unit, bpc, w = ctypes.c_double(), ctypes.c_char_p(), ctypes.c_double(), ctypes.c_int()
            lib.scope_uncore_plan_encoding(p, i, ctypes.byref(t), ctypes.byref(c),
                                           ctypes.byref(c1), ctypes.byref(sc), ctypes.byref(unit),
                                           ctypes.byref(bpc), ctypes.byref(w))
            out.append(UncoreCounter(text(pmu.value), text(ev.value), cpu.value, sock.value,
                                     ch.value, text(lib.scope_uncore_dir_name(d.value)), t.value,
                                     c.value, c1.value, sc.value, text(unit.value), bpc.value,
                                     w.value))
        return out

    @property
    def pmus(self):
        """Every uncore PMU discovered, as :class:`UncorePmu` tuples."""
        p = self._p()
        out = []
        for i in range(lib.scope_uncore_pmu_count(p)):
            name, cm = ctypes.c_char_p(), ctypes.c_char_p()
            t, nf, ne = ctypes.c_uint32(), ctypes.c_size_t(), ctypes.c_size_t()
            lib.scope_uncore_pmu_at(p, i, ctypes.byref(name), ctypes.byref(t), ctypes.byref(cm),
                                    ctypes.byref(nf), ctypes.byref(ne))
            formats, events = {}, {}
            for j in range(nf.value):
                fn, fs = ctypes.c_char_p(), ctypes.c_char_p()
                lib.scope_uncore_pmu_format(p, i, j, ctypes.byref(fn), ctypes.byref(fs))
                formats[text(fn.value)] = text(fs.value)
            for j in range(ne.value):
                en, terms, unit = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
                sc = ctypes.c_double()
                lib.scope_uncore_pmu_event(p, i, j, ctypes.byref(en), ctypes.byref(terms),
                                           ctypes.byref(sc), ctypes.byref(unit))
                events[text(en.value)] = (text(terms.value), sc.value, text(unit.value))
            out.append(UncorePmu(text(name.value), t.value, text(cm.value), formats, events))
        return out

    def rates(self, before, after, seconds, width=64):
        """Bandwidth (bytes/s) from two readings of every counter (lists in
        counter order): a dict with per-channel grids ``chan_read``,
        ``chan_write``, ``chan_total`` (lists of sockets lists of channels)
        and per-socket lists ``sock_read``, ``sock_write``, ``sock_total``."""
        p = self._p()
        n = lib.scope_uncore_plan_counter_count(p)
        if len(before) != n or len(after) != n:
            raise ValueError("rates() needs %d readings in before and after" % n)
        b = (ctypes.c_uint64 * max(n, 1))(*[int(x) for x in before])
        a = (ctypes.c_uint64 * max(n, 1))(*[int(x) for x in after])
        S, C = self.sockets, self.channels
        grids = [(ctypes.c_double * max(S * C, 1))() for _ in range(3)]
        socks = [(ctypes.c_double * max(S, 1))() for _ in range(3)]
        lib.scope_uncore_plan_rates(p, ctypes.addressof(b), ctypes.addressof(a), int(width),
                                    float(seconds), *grids, *socks)
        out = {}
        for name, g in zip(("chan_read", "chan_write", "chan_total"), grids):
            out[name] = [[g[s * C + c] for c in range(C)] for s in range(S)]
        for name, s in zip(("sock_read", "sock_write", "sock_total"), socks):
            out[name] = list(s)[:S]
        return out


class Uncore(Collector):
    """The DRAM traffic collector (system-wide uncore counters):
    uncore_memory_{read,write}_bytes_total{socket,channel,pmu},
    uncore_memory_bytes_total and the per-socket sums.

    Args:
        sysfs_root: as :class:`UncorePlan`. prefer_cas: likewise.

    Raises:
        NoDevice: no memory-controller PMU (most VMs).
        PermissionDenied (at start): perf_event_paranoid or capabilities.
    """

    def __init__(self, sysfs_root=None, prefer_cas=False):
        self._adopt(None)
        o = _uopts(sysfs_root, prefer_cas)
        out = ctypes.c_void_p()
        lib.scope_uncore_open(ctypes.byref(out), ctypes.byref(o))
        self._adopt(out.value)


class Resctrl(Collector):
    """resctrl monitoring (Intel RDT / AMD PQoS) per L3 domain:
    resctrl_mbm_total_bytes_total, resctrl_mbm_local_bytes_total,
    resctrl_llc_occupancy_bytes, labelled group and domain.

    Args:
        root: the resctrl mount (default /sys/fs/resctrl).
        group: a monitoring group name; None watches the default group.
            Unless @existing, start creates <root>/mon_groups/<group>,
            moves @pids into it, and stop removes it.
        existing: the group exists already: watch it only.
        pids: tasks to move into the created group.

    Raises:
        NoDevice: resctrl is not mounted (the message says how, and what
            hardware it needs). NotSupported: no monitoring features.
    """

    def __init__(self, root=None, group=None, existing=False, pids=()):
        self._adopt(None)
        o = _lib.struct_type("scope_resctrl_opts")()
        lib.scope_resctrl_opts_init(ctypes.byref(o), ctypes.sizeof(o))
        o.root, o.group, o.existing = cstr(root), cstr(group), int(bool(existing))
        out = ctypes.c_void_p()
        lib.scope_resctrl_open(ctypes.byref(out), ctypes.byref(o))
        self._adopt(out.value)
        for pid in pids:
            self.add_pid(pid)

    def add_pid(self, pid):
        """Adds task @pid to the group created at start (before start)."""
        lib.scope_resctrl_add_pid(self._p(), int(pid))
