/* cgroup area: pure parsers, discovery on the fixture trees (a v2-only
 * systemd Kubernetes node, a v1 cgroupfs node) and on the live host, and the
 * collector's values on the fixtures against tests/fixtures/cgroup/<tree>/
 * expected.txt. */
#include "cgroup/cgroup_int.h"

#include <check.h>
#include <dirent.h>
#include <sys/resource.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fixture_root[4096];

static const char *fixture(const char *tree)
{
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_msg(base != NULL, "SCOPE_FIXTURES is not set (run through ctest)");
    snprintf(fixture_root, sizeof fixture_root, "%s/cgroup/%s", base, tree);
    return fixture_root;
}

/* ---------------------------------------------------------------- parsers */

START_TEST(mountinfo_lines)
{
    char l1[] = "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:5 - cgroup cgroup rw,cpu\n";
    const char *dir, *root, *opts;
    int v;
    ck_assert_int_eq(scope__cg_parse_mountinfo_line(l1, &dir, &root, &opts, &v), 1);
    ck_assert_str_eq(dir, "/sys/fs/cgroup/cpu");
    ck_assert_str_eq(root, "/");
    ck_assert_str_eq(opts, "rw,cpu");
    ck_assert_int_eq(v, 1);
    char l2[] = "40 30 0:37 /kube\\040pods /mnt/cg\\040two rw - cgroup2 cgroup2 rw,nsdelegate";
    ck_assert_int_eq(scope__cg_parse_mountinfo_line(l2, &dir, &root, &opts, &v), 1);
    ck_assert_str_eq(dir, "/mnt/cg two");
    ck_assert_str_eq(root, "/kube pods");
    ck_assert_int_eq(v, 2);
    char l3[] = "23 28 0:22 / /proc rw,nosuid - proc proc rw";
    ck_assert_int_eq(scope__cg_parse_mountinfo_line(l3, &dir, &root, &opts, &v), 0);
    char l4[] = "23 28 0:22 / /proc rw,nosuid cgroup";
    ck_assert_int_eq(scope__cg_parse_mountinfo_line(l4, &dir, &root, &opts, &v), -1);
    ck_assert(scope__cg_list_has("rw,cpu,cpuacct", "cpuacct"));
    ck_assert(scope__cg_list_has("rw,cpu,cpuacct", "cpu"));
    ck_assert(!scope__cg_list_has("rw,cpuacct", "cpu"));
    ck_assert(scope__cg_list_has("rw,name=systemd", "name=systemd"));
}
END_TEST

START_TEST(pid_cgroup_lines)
{
    const char t[] = "12:cpu,cpuacct:/a/b\n4:memory:/m\n1:name=systemd:/s\n0::/v2/path\n";
    char b[64];
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), "cpuacct", b, sizeof b), 0);
    ck_assert_str_eq(b, "/a/b");
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), "memory", b, sizeof b), 0);
    ck_assert_str_eq(b, "/m");
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), NULL, b, sizeof b), 0);
    ck_assert_str_eq(b, "/v2/path");
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), "name=systemd", b, sizeof b), 0);
    ck_assert_str_eq(b, "/s");
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), "blkio", b, sizeof b), -1);
    ck_assert_int_eq(scope__cg_parse_pid_cgroup(t, strlen(t), NULL, b, 4), -2);
}
END_TEST

START_TEST(psi_io_blkio_netdev)
{
    const char psi[] = "some avg10=12.50 avg60=1.00 avg300=0.00 total=3000000\n"
                       "full avg10=0.07 avg60=0.00 avg300=0.00 total=15\n";
    struct scope__cg_psi p;
    ck_assert_int_eq(scope__cg_parse_psi(psi, strlen(psi), &p), 0);
    ck_assert(p.has_some && p.has_full);
    ck_assert_double_eq_tol(p.some_avg10, 12.5, 1e-12);
    ck_assert_double_eq_tol(p.full_avg10, 0.07, 1e-12);
    ck_assert_uint_eq(p.some_total, 3000000);
    ck_assert_uint_eq(p.full_total, 15);
    const char cpu_psi[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"; /* old kernels */
    ck_assert_int_eq(scope__cg_parse_psi(cpu_psi, strlen(cpu_psi), &p), 0);
    ck_assert(p.has_some && !p.has_full);
    ck_assert_int_eq(scope__cg_parse_psi("junk\n", 5, &p), -1);

    /* io.stat: keys in any order, torn last line ignored for missing keys */
    const char io[] = "8:0 wbytes=10 rbytes=5 rios=1 wios=2 dbytes=0 dios=0\n"
                      "259:1 rbytes=100 wbytes=200 rios=3 wios=4\n"
                      "7:0 rbytes=1";
    uint64_t o[4];
    ck_assert_int_eq(scope__cg_parse_io_stat(io, strlen(io), -1, -1, o), 3);
    ck_assert_uint_eq(o[0], 106);
    ck_assert_uint_eq(o[1], 210);
    ck_assert_uint_eq(o[2], 4);
    ck_assert_uint_eq(o[3], 6);
    ck_assert_int_eq(scope__cg_parse_io_stat(io, strlen(io), 259, 1, o), 1);
    ck_assert_uint_eq(o[1], 200);
    long maj[4], min[4];
    ck_assert_uint_eq(scope__cg_list_devices(io, strlen(io), maj, min, 4), 3);
    ck_assert_int_eq(maj[1], 259);
    ck_assert_int_eq(min[1], 1);

    const char bl[] = "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\n"
                      "8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 12291\n";
    uint64_t rw[2];
    ck_assert_int_eq(scope__cg_parse_blkio(bl, strlen(bl), -1, -1, rw), 2);
    ck_assert_uint_eq(rw[0], 4097);
    ck_assert_uint_eq(rw[1], 8194);
    ck_assert_uint_eq(scope__cg_list_devices(bl, strlen(bl), maj, min, 4), 2);

    const char nd[] = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n"
                      "    lo: 9 1 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n"
                      "  eth0: 100 2 0 0 0 0 0 0 300 4 0 0 0 0 0 0\n";
    uint64_t n4[4];
    ck_assert_int_eq(scope__cg_parse_netdev(nd, strlen(nd), "eth0", n4), 0);
    ck_assert_uint_eq(n4[0], 100);
    ck_assert_uint_eq(n4[1], 2);
    ck_assert_uint_eq(n4[2], 300);
    ck_assert_uint_eq(n4[3], 4);
    ck_assert_int_eq(scope__cg_parse_netdev(nd, strlen(nd), "eth1", n4), -1);
}
END_TEST

START_TEST(container_and_pod_names)
{
    char b[80];
    const char *id = "4a8c85d1e6c3f0b2a9d8e7f6c5b4a3928170f6e5d4c3b2a19080706050403020";
    char p[256];
    const char *pre[] = {"", "docker-", "crio-", "cri-containerd-", "libpod-"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "/kubepods/x/%s%s%s", pre[i], id, i ? ".scope" : "");
        ck_assert_int_eq(scope_cgroup_container_id(b, sizeof b, p), 0);
        ck_assert_str_eq(b, id);
    }
    snprintf(p, sizeof p, "/k/crio-conmon-%s.scope", id);
    ck_assert_int_eq(scope_cgroup_container_id(b, sizeof b, p), SCOPE_ENOENT);
    ck_assert_int_eq(scope_cgroup_container_id(b, sizeof b, "/system.slice"), SCOPE_ENOENT);
    ck_assert_int_eq(scope_cgroup_container_id(b, 10, "/x/4a8c85d1e6c3f0b2a9d8e7f6c5b4a3928170f6e5d4c3b2a19080706050403020"),
                     SCOPE_ENOSPC);
    ck_assert_int_eq(scope_cgroup_pod_uid(b, sizeof b,
                                          "/kubepods.slice/kubepods-burstable.slice/"
                                          "kubepods-burstable-pod44cd44dc_8a63_406f_80d5_c3078b7c8541.slice/x"),
                     0);
    ck_assert_str_eq(b, "44cd44dc-8a63-406f-80d5-c3078b7c8541");
    ck_assert_int_eq(scope_cgroup_pod_uid(b, sizeof b,
                                          "/kubepods/besteffort/pod80ea171a-411f-48cf-a603-04bd71a03c1e"),
                     0);
    ck_assert_str_eq(b, "80ea171a-411f-48cf-a603-04bd71a03c1e");
    ck_assert_int_eq(scope_cgroup_pod_uid(b, sizeof b, "/kubepods/besteffort"), SCOPE_ENOENT);
    ck_assert_int_eq(scope_cgroup_pod_uid(b, sizeof b, "/podnotauid"), SCOPE_ENOENT);
    ck_assert_str_eq(scope_cgroup_group_name(SCOPE_CGROUP_PSI), "psi");
    ck_assert_str_eq(scope_cgroup_group_name(SCOPE_CGROUP_CPU | SCOPE_CGROUP_IO), "unknown");
    ck_assert_str_eq(scope_cgroup_mode_name(SCOPE_CGROUP_MODE_HYBRID), "hybrid");
    ck_assert_str_eq(scope_cgroup_mode_name(42), "unknown");
}
END_TEST

/* -------------------------------------------------------------- fixtures */

static int code_of(const char *s)
{
    if (strcmp(s, "ENOENT") == 0)
        return SCOPE_ENOENT;
    if (strcmp(s, "EINVAL") == 0)
        return SCOPE_EINVAL;
    if (strcmp(s, "EEXIST") == 0)
        return SCOPE_EEXIST;
    return 1;
}

static void run_fixture(const char *tree, int want_mode_v2, int reopen, int max_fds)
{
    const char *root = fixture(tree);
    char exp[4200];
    snprintf(exp, sizeof exp, "%s/expected.txt", root);
    FILE *f = fopen(exp, "r");
    ck_assert_msg(f != NULL, "cannot open %s", exp);
    scope_cgroup_mounts *m;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, root), 0);
    ck_assert_int_eq(scope_cgroup_mounts_mode(m),
                     want_mode_v2 ? SCOPE_CGROUP_MODE_V2 : SCOPE_CGROUP_MODE_V1);
    scope_collector *c = NULL;
    scope_series_set *set = NULL;
    char container[80] = "", pod[48] = "", cpath[4096] = "";
    char line[1024];
    int nvalues = 0, nresolve = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char a[600], b2[600], c3[64];
        if (line[0] == '#' || !line[0])
            continue;
        if (sscanf(line, "resolve %599s %599s", a, b2) == 2) {
            char spec[4700], out[4096];
            if (a[0] == '@') /* an absolute path under the fixture root */
                snprintf(spec, sizeof spec, "%s%s", root, a + 1);
            else
                snprintf(spec, sizeof spec, "%s", a);
            int rc = scope_cgroup_resolve(out, sizeof out, m, spec);
            int want = code_of(b2);
            if (want <= 0) {
                ck_assert_msg(rc == want, "resolve %s: got %d (%s), want %s", a, rc,
                              scope_error_message(), b2);
            } else {
                ck_assert_msg(rc == 0, "resolve %s: %s", a, scope_error_message());
                ck_assert_str_eq(out, b2);
            }
            nresolve++;
        } else if (sscanf(line, "mode %63s", c3) == 1) {
            ck_assert_str_eq(scope_cgroup_mode_name(scope_cgroup_mounts_mode(m)), c3);
        } else if (sscanf(line, "container %79s", container) == 1) {
            snprintf(a, sizeof a, "container:%s", container);
            ck_assert_int_eq(scope_cgroup_resolve(cpath, sizeof cpath, m, a), 0);
            scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
            o.per_device = 1;
            o.reopen = reopen;
            o.max_fds = max_fds;
            ck_assert_int_eq(scope_cgroup_open(&c, m, a, &o), 0);
            ck_assert_int_eq(scope_collector_start(c), 0);
            ck_assert_int_eq(scope_series_set_new(&set), 0);
            ck_assert_int_eq(scope_collector_sample(c, set), 0);
        } else if (sscanf(line, "pod %47s", pod) == 1) {
            continue;
        } else {
            int absent = strncmp(line, "absent ", 7) == 0;
            double want = 0;
            ck_assert_msg(absent || sscanf(line, "value %599s %lf", a, &want) == 2,
                          "bad line in %s: %s", exp, line);
            if (absent)
                snprintf(a, sizeof a, "%.590s", line + 7);
            ck_assert_msg(set != NULL, "%s: value before container", exp);
            const char *keys[5] = {"cgroup", "container", "pod"};
            const char *vals[5] = {cpath, container, pod};
            size_t n = 3;
            char *brace = strchr(a, '{');
            if (brace) {
                *brace = '\0';
                char *eq = strchr(brace + 1, '=');
                ck_assert_ptr_nonnull(eq);
                *eq = '\0';
                eq[strcspn(eq + 1, "}") + 1] = '\0';
                keys[n] = brace + 1;
                vals[n++] = eq + 1;
            }
            scope_series *s;
            int rc = scope_series_set_find(&s, set, a, keys, vals, n);
            if (absent) {
                ck_assert_msg(rc == SCOPE_ENOENT, "%s: %s should be absent", tree, line);
                continue;
            }
            ck_assert_msg(rc == 0, "%s: no series for %s", tree, line);
            ck_assert_uint_eq(scope_series_count(s), 1);
            double got = scope_series_values(s)[0];
            ck_assert_msg(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)),
                          "%s: %s = %.12g, want %.12g", tree, a, got, want);
            nvalues++;
        }
    }
    fclose(f);
    ck_assert_int_gt(nresolve, 5);
    ck_assert_int_gt(nvalues, 15);
    scope_collector_free(c);
    scope_series_set_free(set);
    scope_cgroup_mounts_free(m);
}

START_TEST(fixture_v2_systemd)
{
    run_fixture("k8s-systemd-v2", 1, 0, 0);
    run_fixture("k8s-systemd-v2", 1, 1, 0); /* reopen mode: same values */
    run_fixture("k8s-systemd-v2", 1, 0, 1); /* budget of 1: reopen mode too */
    /* the v2 mount holds every controller listed in cgroup.controllers */
    scope_cgroup_mounts *m;
    const char *dir;
    int v;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, fixture("k8s-systemd-v2")), 0);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "memory", &dir, &v), 0);
    ck_assert_int_eq(v, 2);
    char want[4200];
    snprintf(want, sizeof want, "%s/sys/fs/cgroup", fixture("k8s-systemd-v2"));
    ck_assert_str_eq(dir, want);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "cpuacct", &dir, &v), SCOPE_ENOENT);
    /* pod-level cgroup with depth 1: the containers below are picked up, the
     * conmon scope too (it is a cgroup), and no series is duplicated on a
     * rescan */
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = 1;
    o.groups = SCOPE_CGROUP_CPU;
    scope_collector *c;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "pod:44cd44dc-8a63-406f-80d5-c3078b7c8541", &o), 0);
    scope_cgroup_mounts_free(m); /* the collector keeps its own copy */
    ck_assert_int_eq(scope_collector_start(c), 0);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    size_t n1 = scope_series_set_count(set);
    ck_assert_int_eq(scope_collector_rescan(c), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_uint_eq(scope_series_set_count(set), n1);
    /* pod (usage,user,system) + container (usage,user,system + 3 throttling)
     * + conmon (usage,user,system) */
    ck_assert_uint_eq(n1, 3 + 6 + 3);
    scope_series_set_free(set);
    scope_collector_free(c);
}
END_TEST

START_TEST(fixture_v1_cgroupfs)
{
    run_fixture("v1-cgroupfs", 0, 0, 0);
    run_fixture("v1-cgroupfs", 0, 1, 0);
    scope_cgroup_mounts *m;
    const char *dir, *dir2;
    int v;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, fixture("v1-cgroupfs")), 0);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "cpu", &dir, &v), 0);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "cpuacct", &dir2, &v), 0);
    ck_assert_str_eq(dir, dir2); /* co-mounted */
    ck_assert_ptr_nonnull(strstr(dir, "/sys/fs/cgroup/cpu,cpuacct"));
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "name=systemd", &dir, &v), 0);
    ck_assert_int_eq(scope_cgroup_mounts_find(m, "", &dir, &v), SCOPE_ENOENT);
    char b[256];
    ck_assert_int_eq(scope_cgroup_pid_path(b, sizeof b, m, 777, "memory"), 0);
    ck_assert_str_eq(b, "/kubepods/burstable/pod80ea171a-411f-48cf-a603-04bd71a03c1e/"
                        "f44210e4c0ffee00112233445566778899aabbccddeeff001122334455667788");
    ck_assert_int_eq(scope_cgroup_pid_path(b, sizeof b, m, 778, NULL), SCOPE_EGONE);
    scope_cgroup_mounts_free(m);
}
END_TEST

START_TEST(bad_input)
{
    scope_cgroup_mounts *m;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, "/nonexistent-root"), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "mountinfo"));
    ck_assert_int_eq(scope_cgroup_mounts_new(NULL, NULL), SCOPE_EINVAL);
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, fixture("v1-cgroupfs")), 0);
    char b[256];
    ck_assert_int_eq(scope_cgroup_resolve(b, sizeof b, m, "kubepods"), SCOPE_EINVAL);
    ck_assert_int_eq(scope_cgroup_resolve(b, sizeof b, m, "pid:abc"), SCOPE_EINVAL);
    ck_assert_int_eq(scope_cgroup_resolve(b, sizeof b, m, "pod:xyz"), SCOPE_EINVAL);
    ck_assert_int_eq(scope_cgroup_resolve(b, 4, m, "/kubepods"), SCOPE_ENOSPC);
    scope_collector *c;
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = -1;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/kubepods", &o), SCOPE_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/absent", NULL), SCOPE_ENOENT);
    /* a newer caller's larger opts with a non-zero unknown field */
    struct {
        scope_cgroup_opts o;
        int64_t future;
    } big = {SCOPE_CGROUP_OPTS_INIT, 1};
    big.o.size = sizeof big;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/kubepods", &big.o), SCOPE_EINVAL);
    scope_cgroup_mounts_free(m);
}
END_TEST

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Too few descriptors: start fails with SCOPE_ELIMIT naming the fix, and
 * leaves nothing open (this test runs in its own forked process). */
START_TEST(fd_limit)
{
    scope_cgroup_mounts *m;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, fixture("k8s-systemd-v2")), 0);
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = 9;
    scope_collector *c;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/", &o), 0);
    int before = count_fds();
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = (rlim_t)before + 8; /* the tree needs far more */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    ck_assert_int_eq(scope_collector_start(c), SCOPE_ELIMIT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "RLIMIT_NOFILE"));
    ck_assert_int_eq(count_fds(), before);
    rl.rlim_cur = rl.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_gt(count_fds(), before + 8);
    int kept = count_fds() - before;
    ck_assert_int_eq(scope_collector_stop(c), 0);
    ck_assert_int_eq(count_fds(), before);
    scope_collector_free(c);
    /* reopen mode: one directory per cgroup (one mount here) plus the
     * container's network; and a budget puts the later cgroups there */
    o.reopen = 1;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/", &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    int lazy = count_fds() - before;
    scope_collector_free(c);
    o.reopen = 0;
    o.max_fds = lazy + 1;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/", &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    int budget = count_fds() - before;
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    scope_series_set_free(set);
    scope_collector_free(c);
    printf("fd_limit: %d descriptors kept, %d in reopen mode, %d with a budget of %d\n", kept,
           lazy, budget, lazy + 1);
    /* 6 cgroups hold files in this tree (one mount: one directory each),
     * plus the container's net/dev */
    ck_assert_int_eq(lazy, 7);
    ck_assert_int_lt(lazy, kept);
    ck_assert_int_le(budget, lazy + 1);
    ck_assert_int_ge(budget, lazy);
    ck_assert_int_eq(count_fds(), before);
    o.max_fds = -1;
    ck_assert_int_eq(scope_cgroup_open(&c, m, "/", &o), SCOPE_EINVAL);
    scope_cgroup_mounts_free(m);
}
END_TEST

/* ---------------------------------------------------------------- live */

START_TEST(live_discovery)
{
    scope_cgroup_mounts *m;
    int rc = scope_cgroup_mounts_new(&m, NULL);
    if (rc == SCOPE_ENOENT) {
        printf("live_discovery: skipped, no cgroup mounted: %s\n", scope_error_message());
        return;
    }
    ck_assert_int_eq(rc, 0);
    /* every line of /proc/self/cgroup names a hierarchy we found, and the
     * path we report for it is the one in that line, read independently */
    FILE *f = fopen("/proc/self/cgroup", "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        ck_assert_ptr_nonnull(c2);
        *c2 = '\0';
        char ctl[256];
        snprintf(ctl, sizeof ctl, "%s", c1 + 1);
        char *comma = strchr(ctl, ',');
        if (comma)
            *comma = '\0';
        char got[4096];
        const char *dir;
        int v;
        if (scope_cgroup_mounts_find(m, ctl, &dir, &v) != 0)
            continue; /* e.g. misc/rdma hierarchies not mounted */
        if (ctl[0] && v == 2)
            continue;
        ck_assert_int_eq(scope_cgroup_pid_path(got, sizeof got, m, getpid(), ctl), 0);
        ck_assert_str_eq(got, c2 + 1);
        struct stat st;
        ck_assert_int_eq(stat(dir, &st), 0);
        checked++;
    }
    fclose(f);
    ck_assert_int_gt(checked, 0);
    char self[4096], spec[32];
    snprintf(spec, sizeof spec, "pid:%d", (int)getpid());
    ck_assert_int_eq(scope_cgroup_resolve(self, sizeof self, m, spec), 0);
    ck_assert_int_eq(scope_cgroup_pid_path(self, sizeof self, m, 999999999, NULL), SCOPE_EGONE);
    printf("live_discovery: mode %s, %d hierarchies checked\n",
           scope_cgroup_mode_name(scope_cgroup_mounts_mode(m)), checked);
    scope_cgroup_mounts_free(m);
}
END_TEST

/* pid:<n> on a v1 or hybrid host: each hierarchy uses the process's own
 * path in it (here the memory hierarchy may place us elsewhere than cpuacct). */
START_TEST(live_pid_paths_per_hierarchy)
{
    scope_cgroup_mounts *m;
    const char *mdir;
    int v;
    if (scope_cgroup_mounts_new(&m, NULL) || scope_cgroup_mounts_find(m, "memory", &mdir, &v) ||
        v != 1) {
        printf("live_pid_paths_per_hierarchy: skipped, no v1 memory hierarchy\n");
        scope_cgroup_mounts_free(m);
        return;
    }
    /* our memory cgroup, read independently from /proc/self/cgroup */
    FILE *f = fopen("/proc/self/cgroup", "r");
    ck_assert_ptr_nonnull(f);
    char line[4096], mpath[4096] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && (size_t)(c2 - c1 - 1) == 6 && strncmp(c1 + 1, "memory", 6) == 0)
            snprintf(mpath, sizeof mpath, "%s", c2 + 1);
    }
    fclose(f);
    ck_assert(mpath[0]);
    char spec[32], file[8400], buf[64];
    snprintf(spec, sizeof spec, "pid:%d", (int)getpid());
    snprintf(file, sizeof file, "%s%s/memory.usage_in_bytes", mdir,
             strcmp(mpath, "/") ? mpath : "");
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.groups = SCOPE_CGROUP_MEMORY;
    scope_collector *c;
    ck_assert_int_eq(scope_cgroup_open(&c, m, spec, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    FILE *u = fopen(file, "r");
    ck_assert_msg(u != NULL, "cannot open %s", file);
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, u));
    fclose(u);
    double want = strtod(buf, NULL);
    ck_assert_uint_eq(scope_series_set_count(set) > 0, 1);
    scope_series *s = NULL;
    for (size_t i = 0; i < scope_series_set_count(set); i++)
        if (strcmp(scope_series_name(scope_series_set_at(set, i)),
                   "container_memory_usage_bytes") == 0)
            s = scope_series_set_at(set, i);
    ck_assert_ptr_nonnull(s);
    double got = scope_series_values(s)[0];
    printf("live_pid_paths_per_hierarchy: memory %s: collector %.0f, file %.0f\n", mpath, got,
           want);
    ck_assert_double_le(fabs(got - want), 8.0 * 1048576);
    scope_series_set_free(set);
    scope_collector_free(c);
    /* the same cgroup named by its absolute path under the memory mount,
     * which need not exist in the other hierarchies */
    char abs[8400];
    snprintf(abs, sizeof abs, "%s%s", mdir, strcmp(mpath, "/") ? mpath : "");
    o.groups = 0;
    ck_assert_int_eq(scope_cgroup_open(&c, m, abs, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    const char *k1[1] = {"cgroup"}, *v1[1] = {mpath};
    ck_assert_int_eq(scope_series_set_find(&s, set, "container_memory_usage_bytes", k1, v1, 1), 0);
    scope_series_set_free(set);
    scope_collector_free(c);
    /* and by its hierarchy-relative path */
    char rel[4096];
    ck_assert_int_eq(scope_cgroup_resolve(rel, sizeof rel, m, mpath), 0);
    ck_assert_str_eq(rel, mpath);
    scope_cgroup_mounts_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cgroup");
    TCase *t = tcase_create("parse");
    tcase_add_test(t, mountinfo_lines);
    tcase_add_test(t, pid_cgroup_lines);
    tcase_add_test(t, psi_io_blkio_netdev);
    tcase_add_test(t, container_and_pod_names);
    suite_add_tcase(s, t);
    t = tcase_create("fixture");
    tcase_add_test(t, fixture_v2_systemd);
    tcase_add_test(t, fixture_v1_cgroupfs);
    tcase_add_test(t, bad_input);
    tcase_add_test(t, fd_limit);
    tcase_add_test(t, live_discovery);
    tcase_add_test(t, live_pid_paths_per_hierarchy);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
