// corpus: cgroup
/* Parsers of cgroup and /proc files (mountinfo lines, /proc/<pid>/cgroup,
 * PSI, io.stat, blkio, /proc/<pid>/net/dev) and the container id / pod uid
 * extractors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void each(const char *name, void *ud)
{
    (void)name;
    ++*(int *)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly @size bytes, no terminator: the parsers must honour lengths. */
    char *t = malloc(size ? size : 1);
    char *z = malloc(size + 1);
    if (!t || !z) {
        free(t);
        free(z);
        return 0;
    }
    memcpy(t, data, size);
    memcpy(z, data, size);
    z[size] = '\0';
    char buf[256];
    scope__cg_parse_pid_cgroup(t, size, NULL, buf, sizeof buf);
    scope__cg_parse_pid_cgroup(t, size, "cpuacct", buf, sizeof buf);
    scope__cg_parse_pid_cgroup(t, size, "name=systemd", buf, 8);
    struct scope__cg_psi psi;
    scope__cg_parse_psi(t, size, &psi);
    uint64_t io[4], bl[2], nd[4];
    scope__cg_parse_io_stat(t, size, -1, -1, io);
    scope__cg_parse_io_stat(t, size, 8, 0, io);
    scope__cg_parse_blkio(t, size, -1, -1, bl);
    long maj[4], min[4];
    scope__cg_list_devices(t, size, maj, min, 4);
    scope__cg_parse_netdev(t, size, "eth0", nd);
    int n = 0;
    scope__cg_netdev_each(t, size, each, &n);
    scope_cgroup_container_id(buf, sizeof buf, z);
    scope_cgroup_pod_uid(buf, sizeof buf, z);
    scope__cg_list_has(z, "cpu");
    /* mountinfo: one line at a time, in place (NUL-terminated copy) */
    const char *dir, *root, *opts;
    int v;
    for (char *line = z, *nl; line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        scope__cg_parse_mountinfo_line(line, &dir, &root, &opts, &v);
    }
    free(t);
    free(z);
    return 0;
}
