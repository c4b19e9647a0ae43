/* Internals of the cgroup area (never installed). */
#ifndef SCOPE_CGROUP_INT_H
#define SCOPE_CGROUP_INT_H

#include "../internal.h"

struct scope__cg_mount {
    char *dir;   /* mount point, under the root prefix */
    char *root;  /* the hierarchy path mounted there ("/" usually) */
    char *opts;  /* v1: comma-separated super options (controllers) */
    int version; /* 1 or 2 */
};

struct scope_cgroup_mounts {
    char *prefix; /* "" for the live system, else the fixture root */
    struct scope__cg_mount *m;
    size_t n;
    char *v2_controllers; /* contents of <v2>/cgroup.controllers, or NULL */
};

/* Parses one mountinfo line (modified in place: fields get NUL-terminated,
 * octal escapes decoded). Returns 1 and fills the borrowed pointers for a
 * cgroup or cgroup2 mount, 0 for any other mount, -1 when malformed. */
int scope__cg_parse_mountinfo_line(char *line, const char **dir, const char **root,
                                   const char **superopts, int *version);

/* 1 when the comma list @list holds @word exactly. */
int scope__cg_list_has(const char *list, const char *word);

/* Finds the line for @controller in /proc/<pid>/cgroup text: "" or NULL
 * means the "0::" line. Copies the path into buf. 0, -1 none, -2 too long. */
int scope__cg_parse_pid_cgroup(const char *text, size_t len, const char *controller, char *buf,
                               size_t cap);

/* The hierarchy used for walking and listing: v2 on a v2 host, else the
 * first of cpuacct, cpu, memory, pids, v2, name=systemd. */
int scope__cg_primary(const scope_cgroup_mounts *m, const char **dir, int *version,
                      const char **controller);

/* Builds the directory of hierarchy-relative @path under the mount of
 * @controller. 0, SCOPE_ENOENT (controller not mounted, or the path lies
 * outside the mounted root), SCOPE_ENOSPC. */
int scope__cg_dir(char *buf, size_t cap, const scope_cgroup_mounts *m, const char *controller,
                  const char *path);

/* Parsers of cgroup files (pure). */
struct scope__cg_psi {
    double some_avg10, full_avg10;
    uint64_t some_total, full_total; /* microseconds */
    int has_some, has_full;
};
int scope__cg_parse_psi(const char *text, size_t len, struct scope__cg_psi *out);

/* v2 io.stat: sums rbytes/wbytes/rios/wios over devices. With @dev (maj,
 * min) >= 0, only that device. Returns the number of device lines used. */
int scope__cg_parse_io_stat(const char *text, size_t len, long maj, long min, uint64_t out[4]);
/* v1 blkio.throttle.io_service_bytes(_recursive) / io_serviced: Read and
 * Write summed over device lines (the final "Total" line is ignored); with
 * maj >= 0 only that device. Returns the number of device lines used. */
int scope__cg_parse_blkio(const char *text, size_t len, long maj, long min, uint64_t out[2]);
/* Lists the devices (maj:min) of io.stat or blkio text into @maj/@min,
 * at most @n; returns how many distinct ones. */
size_t scope__cg_list_devices(const char *text, size_t len, long *maj, long *min, size_t n);

/* /proc/<pid>/net/dev: finds interface @ifname; out = rx bytes, rx packets,
 * tx bytes, tx packets. 0 or -1. */
int scope__cg_parse_netdev(const char *text, size_t len, const char *ifname, uint64_t out[4]);
/* Calls cb for each interface other than lo. */
void scope__cg_netdev_each(const char *text, size_t len, void (*cb)(const char *name, void *ud),
                           void *ud);

#endif
