"""Control groups (scope_cgroup_*) and targets (scope_target_*): finding the
hierarchies, resolving what a user names to a cgroup, the cgroup collector
(cAdvisor's per-container numbers), and targets (what to observe)."""

import collections
import ctypes

from ._handle import Handle
from ._lib import cstr, lib, text
from .collector import Collector

__all__ = ["CgroupMounts", "Cgroup", "container_id", "pod_uid", "Target", "TargetRow",
           "CGROUP_GROUPS"]

MODES = {0: "none", 1: "v1", 2: "v2", 3: "hybrid"}
#: Groups of files the collector reads.
CGROUP_GROUPS = {"cpu": 1, "memory": 2, "io": 4, "network": 8, "pids": 16, "psi": 32}
_BUF = 4096


def _strout(fn, *args):
    buf = ctypes.create_string_buffer(_BUF)
    fn(ctypes.addressof(buf), len(buf), *args)
    return text(buf.value)


class CgroupMounts(Handle):
    """The cgroup mounts of a host, read once from mountinfo.

    Args:
        root: None (or "/") for the live system, or a directory standing in
            for "/" (a fixture tree: mountinfo, /proc/<pid>/cgroup and the
            mount points are looked up under it).

    Raises:
        NotFound: mountinfo unreadable or without cgroup mounts.
    """

    def __init__(self, root=None):
        out = ctypes.c_void_p()
        lib.scope_cgroup_mounts_new(ctypes.byref(out), cstr(root))
        self._ptr = out.value
        self.root = root

    def _release(self, ptr):
        lib.scope_cgroup_mounts_free(ptr)

    @property
    def mode(self):
        """"none", "v1", "v2" or "hybrid"."""
        return text(lib.scope_cgroup_mode_name(lib.scope_cgroup_mounts_mode(self._p())))

    def find(self, controller=None):
        """(directory, version) where @controller ("cpu", "memory", ...;
        None: the cgroup2 mount) is mounted. Raises NotFound."""
        d, v = ctypes.c_char_p(), ctypes.c_int()
        lib.scope_cgroup_mounts_find(self._p(), cstr(controller), ctypes.byref(d),
                                     ctypes.byref(v))
        return text(d.value), v.value

    def pid_path(self, pid, controller=None):
        """The hierarchy-relative cgroup path of process @pid."""
        return _strout(lib.scope_cgroup_pid_path, self._p(), int(pid), cstr(controller))

    def resolve(self, spec):
        """Turns "/path", "/sys/fs/cgroup/...", "pid:N", "container:ID" or
        "pod:UID" into a hierarchy-relative path that exists."""
        return _strout(lib.scope_cgroup_resolve, self._p(), cstr(spec))


def container_id(path):
    """The container id named by the last component of a cgroup path, or
    None (pure: the file system is not consulted)."""
    from .errors import NotFound
    try:
        return _strout(lib.scope_cgroup_container_id, cstr(path))
    except NotFound:
        return None


def pod_uid(path):
    """The Kubernetes pod uid named by a cgroup path component, or None."""
    from .errors import NotFound
    try:
        return _strout(lib.scope_cgroup_pod_uid, cstr(path))
    except NotFound:
        return None


def group_name(flag):
    """"cpu", "memory", ... for one group flag."""
    return text(lib.scope_cgroup_group_name(int(flag)))


class Cgroup(Collector):
    """The cgroup collector: the numbers cAdvisor exports per container
    (container_cpu_usage_seconds_total, container_memory_working_set_bytes,
    container_fs_*, container_network_*, container_threads, PSI, ...),
    labelled cgroup (plus container / pod when the path names them).

    Args:
        cgroup: "/path" relative to the hierarchy root, an absolute path
            under a mount, "pid:N", "container:ID" or "pod:UID".
        mounts: a :class:`CgroupMounts` (e.g. of a fixture root), a root
            directory string, or None for the live system.
        depth: also watch descendants this many levels down.
        groups: iterable of names in CGROUP_GROUPS (default all).
        per_device: block I/O series per device too.
        skip_self: with depth > 0, watch the descendants only.
        reopen: keep only directories open (fewer descriptors).
        max_fds: descriptor budget (0: none).

    Raises:
        NotFound: nothing matches @cgroup. Gone: "pid:N" does not exist.
    """

    def __init__(self, cgroup, mounts=None, depth=0, groups=None, per_device=False,
                 skip_self=False, reopen=False, max_fds=0):
        own = None
        if isinstance(mounts, str):
            own = mounts = CgroupMounts(mounts)
        bits = 0
        for g in groups or ():
            bits |= CGROUP_GROUPS[g] if isinstance(g, str) else int(g)
        try:
            self._open("scope_cgroup_open", "scope_cgroup_opts",
                       {"depth": int(depth), "groups": bits, "per_device": int(bool(per_device)),
                        "skip_self": int(bool(skip_self)), "reopen": int(bool(reopen)),
                        "max_fds": int(max_fds)},
                       mounts._p() if mounts is not None else None, cstr(cgroup))
        finally:
            if own is not None:
                own.close()  # the collector copied what it needs
        self.cgroup = cgroup


TargetRow = collections.namedtuple("TargetRow", "pid tid comm cgroup container")
TargetRow.__doc__ = "A task a Target covers: pid, tid, comm, cgroup path, container id."

TARGET_KINDS = {1: "pid", 2: "tid", 3: "cgroup", 4: "container", 5: "pattern", 6: "cpus"}


class Target(Handle):
    """What to observe: "pid:N", "pid:N+threads", "tid:N", "cgroup:<spec>",
    "container:<id>", "comm:<glob>", "comm:<glob>+threads" or
    "cpus:<list>" (e.g. "cpus:0-3,8").

    ``kind`` names the kind, ``cpus`` lists a cpus target's CPUs, and
    :meth:`resolve` lists the tasks it covers now (again later to pick up
    new ones).

    Raises:
        InvalidArgument: unknown kind or malformed value.
    """

    def __init__(self, spec):
        out = ctypes.c_void_p()
        lib.scope_target_parse(ctypes.byref(out), cstr(spec))
        self._ptr = out.value
        self.spec = spec

    def _release(self, ptr):
        lib.scope_target_free(ptr)

    @property
    def kind(self):
        """"pid", "tid", "cgroup", "container", "pattern" or "cpus"."""
        return text(lib.scope_target_kind_name(lib.scope_target_kind_of(self._p())))

    @property
    def cpus(self):
        """The CPUs of a cpus target (ascending), else []."""
        p = self._p()
        return [lib.scope_target_cpu_at(p, i) for i in range(lib.scope_target_cpu_count(p))]

    def resolve(self, mounts=None):
        """The tasks the target covers now, as :class:`TargetRow` tuples.
        Raises Gone when a pid or tid does not exist."""
        out = ctypes.c_void_p()
        lib.scope_target_resolve(ctypes.byref(out), self._p(),
                                 mounts._p() if mounts is not None else None)
        rows = []
        try:
            for i in range(lib.scope_target_list_count(out.value)):
                pid, tid = ctypes.c_int(), ctypes.c_int()
                comm, cg, ct = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
                lib.scope_target_list_at(out.value, i, ctypes.byref(pid), ctypes.byref(tid),
                                         ctypes.byref(comm), ctypes.byref(cg), ctypes.byref(ct))
                rows.append(TargetRow(pid.value, tid.value, text(comm.value), text(cg.value),
                                      text(ct.value)))
        finally:
            lib.scope_target_list_free(out.value)
        return rows

    def __repr__(self):
        return "<scope.Target %s>" % self.spec
