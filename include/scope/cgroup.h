/*
 * libscope: control groups. Finding the cgroup hierarchies of a host (v1,
 * v2 or hybrid, from /proc/self/mountinfo), resolving what a user names (a
 * path, a pid, a container id, a pod uid) to a cgroup, and the cgroup
 * collector, which samples the numbers cAdvisor exports per container.
 *
 * Paths: a cgroup is named by its path relative to the hierarchy root, as
 * /proc/<pid>/cgroup shows it ("/kubepods.slice/kubepods-pod1_2.slice",
 * "/" for the root). On v1 and hybrid hosts the same relative path is looked
 * up under every controller's hierarchy.
 *
 * Series of the collector (labels: cgroup, plus container="<id>" when the
 * cgroup's last path component names a container, pod="<uid>" when a
 * component names a Kubernetes pod):
 *   container_cpu_usage_seconds_total          counter seconds  v1 cpuacct.usage (ns), v2 cpu.stat usage_usec
 *   container_cpu_user_seconds_total           counter seconds  v1 cpuacct.stat user (USER_HZ ticks), v2 user_usec
 *   container_cpu_system_seconds_total         counter seconds  v1 cpuacct.stat system, v2 system_usec
 *   container_cpu_cfs_periods_total            counter 1        cpu.stat nr_periods (only with a cpu controller)
 *   container_cpu_cfs_throttled_periods_total  counter 1        cpu.stat nr_throttled
 *   container_cpu_cfs_throttled_seconds_total  counter seconds  v1 throttled_time (ns), v2 throttled_usec
 *   container_memory_usage_bytes               gauge   bytes    v1 memory.usage_in_bytes, v2 memory.current
 *   container_memory_working_set_bytes         gauge   bytes    usage - inactive_file (v1 total_inactive_file), >= 0
 *   container_memory_rss                       gauge   bytes    v1 total_rss, v2 anon
 *   container_memory_cache                     gauge   bytes    v1 total_cache, v2 file
 *   container_fs_reads_bytes_total             counter bytes    v1 blkio.throttle.io_service_bytes_recursive Read, v2 io.stat rbytes
 *   container_fs_writes_bytes_total            counter bytes    ... Write / wbytes
 *   container_fs_reads_total                   counter 1        v1 blkio.throttle.io_serviced_recursive Read, v2 rios
 *   container_fs_writes_total                  counter 1        ... Write / wios
 *     (summed over devices; with opts.per_device, also one series per
 *      device with the label device="MAJ:MIN", for the devices present at
 *      start, and those that appear later from the next rescan on; at
 *      most 16 per cgroup)
 *   container_network_receive_bytes_total      counter bytes    /proc/<pid>/net/dev of a process in the cgroup
 *                                                               (the pid itself for "pid:<n>"),
 *   container_network_receive_packets_total    counter 1          label interface, lo skipped
 *   container_network_transmit_bytes_total     counter bytes
 *   container_network_transmit_packets_total   counter 1
 *   container_threads                          gauge   1        pids.current
 *   container_threads_max                      gauge   1        pids.max (absent when "max")
 *   container_pressure_{cpu,memory,io}_waiting_seconds_total  counter seconds  PSI "some" total (us)
 *   container_pressure_{cpu,memory,io}_stalled_seconds_total  counter seconds  PSI "full" total
 *   container_pressure_{cpu,memory,io}_waiting_avg10          gauge   ratio    PSI "some" avg10 / 100
 *   container_pressure_{cpu,memory,io}_stalled_avg10          gauge   ratio    PSI "full" avg10 / 100
 * A series exists only where its file (and, for keyed files, its key) exists
 * when the cgroup is first opened: for example v2 throttling needs the cpu
 * controller enabled for that cgroup.
 *
 * Since: 0.1
 */
#ifndef SCOPE_CGROUP_H
#define SCOPE_CGROUP_H

#include "common.h"
#include "collector.h"

SCOPE_BEGIN_DECLS

/** How the cgroup hierarchies of a host are laid out. */
typedef enum scope_cgroup_mode {
    SCOPE_CGROUP_MODE_NONE = 0,    /**< no cgroup file system mounted */
    SCOPE_CGROUP_MODE_V1 = 1,      /**< only v1 hierarchies (legacy) */
    SCOPE_CGROUP_MODE_V2 = 2,      /**< only the unified v2 hierarchy */
    SCOPE_CGROUP_MODE_HYBRID = 3   /**< v1 controllers plus a v2 mount */
} scope_cgroup_mode;

/**
 * scope_cgroup_mode_name - "none", "v1", "v2", "hybrid" ("unknown" for other
 * values). Returns: a static string, never NULL. Thread-safety: any thread.
 * Since: 0.1
 */
SCOPE_API const char *scope_cgroup_mode_name(int mode);

/** The cgroup mounts of a host, as read once from mountinfo. */
typedef struct scope_cgroup_mounts scope_cgroup_mounts;

/**
 * scope_cgroup_mounts_new - reads <root>/proc/self/mountinfo and records
 * every cgroup (v1, with the controllers in its super options) and cgroup2
 * mount.
 *
 * @out: receives the table; the caller frees it with scope_cgroup_mounts_free().
 * @root: NULL or "/" for the live system; otherwise a directory standing in
 *        for "/" (a fixture tree): mountinfo, /proc/<pid>/cgroup and every
 *        mount point are looked up under it. Copied.
 * Lines that cannot be parsed (torn or foreign) are skipped.
 * Returns: 0; SCOPE_ENOENT when mountinfo cannot be read or lists no cgroup
 * mount (the message says which); SCOPE_EINVAL (NULL out); SCOPE_ENOMEM.
 * Thread-safety: any thread; the table is immutable and shareable.
 * Since: 0.1
 */
SCOPE_API int scope_cgroup_mounts_new(scope_cgroup_mounts **out, const char *root);

/** scope_cgroup_mounts_free - frees @m (NULL allowed). Since: 0.1 */
SCOPE_API void scope_cgroup_mounts_free(scope_cgroup_mounts *m);

/**
 * scope_cgroup_mounts_mode - the layout: a scope_cgroup_mode value.
 * Errors: none (SCOPE_CGROUP_MODE_NONE for NULL). Since: 0.1
 */
SCOPE_API int scope_cgroup_mounts_mode(const scope_cgroup_mounts *m);

/**
 * scope_cgroup_mounts_find - where controller @controller is mounted.
 *
 * @controller: "cpu", "cpuacct", "memory", "blkio", "pids", "name=systemd",
 *        ...; NULL or "" means the cgroup2 mount itself. A controller that no
 *        v1 hierarchy holds is found on the v2 mount when the v2 root's
 *        cgroup.controllers lists it.
 * @dir: out (may be NULL): the directory of the hierarchy root as mounted
 *        (under the root given to scope_cgroup_mounts_new), owned by @m.
 * @version: out (may be NULL): 1 or 2.
 * Returns: 0; SCOPE_ENOENT when not mounted; SCOPE_EINVAL (NULL m).
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_mounts_find(const scope_cgroup_mounts *m, const char *controller,
                                       const char **dir, int *version);

/**
 * scope_cgroup_pid_path - the cgroup of process @pid in the hierarchy of
 * @controller, from <root>/proc/<pid>/cgroup.
 *
 * @buf, @cap: receives the hierarchy-relative path, NUL-terminated.
 * @controller: as for scope_cgroup_mounts_find(); NULL or "" picks the v2
 *        line ("0::") on a v2 host and the primary v1 hierarchy (cpuacct,
 *        cpu, memory, in that order) on v1 and hybrid hosts.
 * Returns: 0; SCOPE_EGONE (no such process); SCOPE_ENOENT (no line for that
 * controller); SCOPE_ENOSPC (@cap too small); SCOPE_EINVAL.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_pid_path(char *buf, size_t cap, const scope_cgroup_mounts *m, int pid,
                                    const char *controller);

/**
 * scope_cgroup_resolve - turns what a user names into a hierarchy-relative
 * cgroup path that exists.
 *
 * @spec: one of
 *   - "/kubepods.slice/..." - a path relative to the hierarchy root (it
 *     must exist in the primary hierarchy or, failing that, in another);
 *   - "/sys/fs/cgroup/memory/kubepods/..." - an absolute path under a mount;
 *   - "pid:<n>" - the cgroup of a process (see scope_cgroup_pid_path);
 *   - "container:<id>" - a container id (full 64 hex digits or a unique
 *     prefix of at least 12), found under the Kubernetes cgroupfs layout
 *     (<id>), and the systemd scopes docker-<id>.scope, crio-<id>.scope,
 *     cri-containerd-<id>.scope and libpod-<id>.scope;
 *   - "pod:<uid>" - a Kubernetes pod uid (dashes or underscores), found as
 *     pod<uid> (cgroupfs) or *-pod<uid_>.slice (systemd).
 * Searches walk the primary hierarchy at most 10 levels deep.
 * Returns: 0; SCOPE_ENOENT (nothing matches; the message names the
 * hierarchy searched); SCOPE_EEXIST (a container prefix matches several);
 * SCOPE_EGONE (pid does not exist); SCOPE_EINVAL (malformed spec);
 * SCOPE_ENOSPC.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_resolve(char *buf, size_t cap, const scope_cgroup_mounts *m,
                                   const char *spec);

/**
 * scope_cgroup_container_id - the container id named by the last component
 * of cgroup path @path (64 hex digits bare, or inside a docker-, crio-,
 * cri-containerd- or libpod- scope; crio-conmon- scopes are not
 * containers). Pure: the file system is not consulted.
 * Returns: 0 with the id in @buf; SCOPE_ENOENT (not a container);
 * SCOPE_ENOSPC; SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_container_id(char *buf, size_t cap, const char *path);

/**
 * scope_cgroup_pod_uid - the Kubernetes pod uid (with dashes) named by a
 * component of @path (pod<uid> or *-pod<uid_>.slice). Pure.
 * Returns: 0; SCOPE_ENOENT; SCOPE_ENOSPC; SCOPE_EINVAL.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_pod_uid(char *buf, size_t cap, const char *path);

/** Groups of files the collector reads (scope_cgroup_opts.groups). */
typedef enum scope_cgroup_group {
    SCOPE_CGROUP_CPU = 1,        /**< usage, user/system, CFS throttling */
    SCOPE_CGROUP_MEMORY = 2,     /**< usage, working set, rss, cache */
    SCOPE_CGROUP_IO = 4,         /**< block I/O bytes and operations */
    SCOPE_CGROUP_NETWORK = 8,    /**< /proc/<pid>/net/dev of a member process */
    SCOPE_CGROUP_PIDS = 16,      /**< pids.current, pids.max */
    SCOPE_CGROUP_PSI = 32        /**< cpu/memory/io.pressure */
} scope_cgroup_group;

/**
 * scope_cgroup_group_name - "cpu", "memory", "io", "network", "pids", "psi"
 * for one SCOPE_CGROUP_* flag ("unknown" otherwise).
 * Returns: a static string, never NULL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API const char *scope_cgroup_group_name(int group);

/** Options for scope_cgroup_open(). Zero means default for every field. */
typedef struct scope_cgroup_opts {
    size_t size;         /**< sizeof(scope_cgroup_opts), set by the _INIT macro */
    int32_t depth;       /**< also watch descendants up to this many levels (0: the cgroup only) */
    int32_t groups;      /**< OR of scope_cgroup_group; 0 means all */
    int32_t per_device;  /**< non-zero: block I/O series per device too */
    int32_t skip_self;   /**< non-zero (with depth > 0): watch the descendants only */
    int32_t reopen;      /**< non-zero: keep one descriptor per cgroup directory (per
                              hierarchy) and open each file on every sample (openat):
                              fewer descriptors, about twice the read cost */
    int32_t max_fds;     /**< descriptor budget: a cgroup whose kept files would take the
                              collector past it uses the reopen mode (best effort: such a
                              cgroup still holds one directory per hierarchy); 0: none */
} scope_cgroup_opts;

#define SCOPE_CGROUP_OPTS_INIT { sizeof(scope_cgroup_opts), 0, 0, 0, 0, 0, 0 }

/**
 * scope_cgroup_opts_init - initialises @opts for FFI callers: zeroes @size
 * bytes and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_cgroup_opts_init(scope_cgroup_opts *opts, size_t size);

/**
 * scope_cgroup_open - creates a collector for cgroup @cgroup (and, with
 * opts->depth, its descendants).
 *
 * @out: receives the collector; the caller owns it (scope_collector_free).
 * @mounts: the mount table to use, or NULL to read the live one. The
 *        collector copies what it needs; @mounts may be freed afterwards.
 * @cgroup: anything scope_cgroup_resolve() accepts; resolved here. For
 *        "pid:<n>", each hierarchy uses the process's own path in it (on v1
 *        and hybrid hosts a process may sit at different paths in different
 *        hierarchies); the cgroup label is the primary hierarchy's path.
 *        Other forms use the same relative path in every hierarchy.
 * @opts: options or NULL.
 *
 * scope_collector_start() opens every file once (about 4 to 14 descriptors
 * per cgroup, depending on groups and layout); sampling re-reads them with
 * pread at offset 0 and does not allocate. With opts->reopen (or past
 * opts->max_fds) a cgroup keeps only its directories open (one per
 * hierarchy, O_PATH) and each sample opens, reads and closes its files
 * with openat: still no allocation, about twice the cost. The network
 * descriptor (/proc/<pid>/net/dev) is always kept: it holds the netns. A cgroup removed while sampled
 * (ENODEV on read) ends its series at that sample; the others go on; when
 * every watched cgroup has gone, sampling returns SCOPE_EGONE.
 * scope_collector_rescan() adds descendants (within depth) created since,
 * series for block devices first used since (with per_device), and network
 * series once a process has joined a cgroup that had none (a container's
 * cgroup exists before its first task) or an interface appeared; never
 * twice; a path that was removed and re-created is not added again
 * by the same collector (its series have ended). Start fails with
 * SCOPE_ELIMIT when file descriptors run out (raise RLIMIT_NOFILE, set
 * opts->max_fds or opts->reopen, or narrow opts->groups).
 * Returns: 0; SCOPE_EINVAL (NULL out or cgroup, bad opts: depth or max_fds
 * negative, unknown groups bits); the errors of
 * scope_cgroup_mounts_new() and scope_cgroup_resolve(); SCOPE_ENOMEM.
 * Thread-safety: any thread; the collector then follows collector.h.
 * Since: 0.1
 */
SCOPE_API int scope_cgroup_open(scope_collector **out, const scope_cgroup_mounts *mounts,
                                const char *cgroup, const scope_cgroup_opts *opts);

SCOPE_END_DECLS

#endif /* SCOPE_CGROUP_H */
