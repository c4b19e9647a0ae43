/* Resource faults (issue 10): allocation failure and running out of file
 * descriptors. malloc, calloc and realloc are wrapped at link time
 * (-Wl,--wrap, this executable only: the library has no hook and costs
 * nothing in normal builds); fail_at = N makes the Nth allocation after
 * arming return NULL. Every operation is run with its 1st, 2nd, ... Nth
 * allocation failing until it completes without meeting a failure: each
 * failed run must return SCOPE_ENOMEM with a message (never crash, never
 * report success with data missing), and ASan's leak check (the sanitizer
 * build) sees nothing left behind. RLIMIT_NOFILE is lowered inside the
 * test's forked child (Check forks each test). */
#include "internal.h"
#include "prom/prom_internal.h"
#include "pmu/pmu_internal.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "scope/scope.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);

static long fail_at; /* 0: off; N: the Nth allocation from arming fails */
static long seen;    /* allocations since arming */
static int failed;   /* the injected failure happened */

static int should_fail(void)
{
    if (!fail_at)
        return 0;
    if (++seen == fail_at) {
        failed = 1;
        return 1;
    }
    return 0;
}
void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
    return should_fail() ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

static char fx[4096];
static const char *fixture(const char *rel)
{
    const char *base = getenv("SCOPE_FIXTURES");
    snprintf(fx, sizeof fx, "%s/%s", base ? base : "tests/fixtures", rel);
    return fx;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *b = malloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

typedef int (*op_fn)(void *ud);

/* Check's assertions allocate (even when they pass): run them disarmed. */
#define DISARMED(stmt)             \
    do {                           \
        long f_ = fail_at;         \
        fail_at = 0;               \
        stmt;                      \
        fail_at = f_;              \
    } while (0)

/* Runs @op with each allocation failing in turn. Returns how many
 * allocations the operation makes when nothing fails. */
static char last_msg[512]; /* an operation may leave its own message here */

static long each_failure(const char *what, op_fn op, void *ud)
{
    for (long n = 1; n < 100000; n++) {
        seen = 0;
        failed = 0;
        fail_at = n;
        last_msg[0] = '\0';
        scope_error_clear();
        int rc = op(ud);
        fail_at = 0;
        if (!failed) {
            ck_assert_msg(rc == 0, "%s: rc %d without a failure: %s", what, rc,
                          scope_error_message());
            return n - 1;
        }
        const char *msg = last_msg[0] ? last_msg : scope_error_message();
        ck_assert_msg(rc == SCOPE_ENOMEM, "%s: allocation %ld failed, rc %d (%s): %s", what, n,
                      rc, scope_strerror(rc), msg);
        ck_assert_msg(*msg, "%s: no message", what);
    }
    ck_abort_msg("%s: never completed", what);
    return -1;
}

/* --- operations ----------------------------------------------------------- */

struct body {
    char *data;
    size_t len;
    size_t points; /* expected when complete */
};

static int op_prom_parse(void *ud)
{
    struct body *b = ud;
    scope_series_set *set = NULL;
    int rc = scope_series_set_new(&set);
    if (rc)
        return rc;
    struct scope__prom_parser ps;
    scope__prom_parser_init(&ps, set, "x", 0);
    /* in pieces, so tokens are carried between feeds */
    for (size_t off = 0; off < b->len && !rc; off += 7)
        rc = scope__prom_parser_feed(&ps, b->data + off, b->len - off < 7 ? b->len - off : 7);
    if (!rc)
        rc = scope__prom_parser_finish(&ps);
    if (!rc) {
        /* success means all the data */
        size_t pts = 0;
        for (size_t i = 0; i < scope_series_set_count(set); i++)
            pts += scope_series_count(scope_series_set_at(set, i));
        DISARMED(ck_assert_uint_eq(pts, b->points););
    } else {
        snprintf(last_msg, sizeof last_msg, "%s", ps.err);
    }
    scope__prom_parser_free(&ps);
    scope_series_set_free(set);
    return rc;
}

static int op_hist_decode(void *ud)
{
    struct body *b = ud;
    scope_hist *h = NULL;
    int rc = scope_hist_decode_base64(&h, b->data, b->len);
    if (!rc) {
        DISARMED(ck_assert_int_eq(scope_hist_count(h), 50000););
        char *enc = NULL;
        rc = scope_hist_encode_base64(&enc, h);
        scope_hist_buf_free(enc);
    }
    scope_hist_free(h);
    return rc;
}

static int op_sweep(void *ud)
{
    (void)ud;
    double *v = NULL;
    size_t n = 0;
    int rc = scope_load_sweep_parse(&v, &n, "10%:100%:10%", 2000);
    if (!rc)
        DISARMED(ck_assert_uint_eq(n, 10););
    scope_load_sweep_free(v);
    return rc;
}

static int op_proc(void *ud)
{
    (void)ud;
    scope_collector *c = NULL;
    scope_series_set *set = NULL;
    scope_proc_opts o = SCOPE_PROC_OPTS_INIT;
    o.threads = 1;
    int rc = scope_series_set_new(&set);
    if (!rc)
        rc = scope_proc_open(&c, getpid(), &o);
    if (!rc)
        rc = scope_collector_start(c);
    if (!rc)
        rc = scope_collector_sample(c, set);
    if (!rc)
        rc = scope_collector_sample(c, set);
    if (!rc)
        DISARMED(ck_assert_uint_gt(scope_series_set_count(set), 3););
    scope_collector_free(c);
    scope_series_set_free(set);
    return rc;
}

static int op_cgroup(void *ud)
{
    (void)ud;
    scope_cgroup_mounts *m = NULL;
    scope_collector *c = NULL;
    scope_series_set *set = NULL;
    int rc = scope_series_set_new(&set);
    if (!rc)
        rc = scope_cgroup_mounts_new(&m, fixture("cgroup/v1-cgroupfs"));
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = 3;
    o.per_device = 1;
    if (!rc)
        rc = scope_cgroup_open(&c, m, "/kubepods", &o);
    if (!rc)
        rc = scope_collector_start(c);
    if (!rc)
        rc = scope_collector_sample(c, set);
    if (!rc)
        DISARMED(ck_assert_uint_gt(scope_series_set_count(set), 10););
    scope_collector_free(c);
    scope_cgroup_mounts_free(m);
    scope_series_set_free(set);
    return rc;
}

static int op_evlist(void *ud)
{
    (void)ud;
    struct scope__evlist l;
    memset(&l, 0, sizeof l);
    int rc = scope__evlist_parse(&l, "{cycles,instructions}:u,cpu/event=0x3c,umask=0x1/,"
                                     "uncore_imc_0/cas_count_read/,task-clock",
                                 fixture("sysfs/skylakex"), SCOPE__EV_NO_LIBPFM);
    if (!rc)
        DISARMED(ck_assert_uint_eq(l.n, 5););
    scope__evlist_free(&l);
    return rc;
}

static int cb_count(scope_topdown *td, double t, void *ud)
{
    (void)td;
    (void)t;
    ++*(int *)ud;
    return 0;
}

static int op_topdown(void *ud)
{
    (void)ud;
    scope_topdown *td = NULL;
    scope_topdown_opts o = SCOPE_TOPDOWN_OPTS_INIT;
    o.cpu = "amdzen4";
    o.smt = 1;
    o.sysfs_root = fixture("sysfs/amdzen4");
    int rc = scope_topdown_new(&td, &o);
    int n = 0;
    if (!rc)
        rc = scope_topdown_replay_csv(td, fixture("topdown/amdzen4_interval.csv"), cb_count, &n);
    if (rc > 0) {
        DISARMED(ck_assert_int_eq(n, rc + 1);); /* the -I file's whole run: t = -1 */
        rc = 0;
    }
    scope_topdown_free(td);
    return rc;
}

static int op_export(void *ud)
{
    (void)ud;
    scope_series_set *set = NULL;
    scope_series *s = NULL;
    int rc = scope_series_set_new(&set);
    const char *k[] = {"pod"}, *v[] = {"a\"b"};
    if (!rc)
        rc = scope_series_set_add(&s, set, "m_total", k, v, 1, "", SCOPE_COUNTER, "help \"q\"");
    for (int i = 0; i < 100 && !rc; i++)
        rc = scope_series_append(s, (int64_t)i * 1000000, i);
    for (int f = 1; f <= 4 && !rc; f++) {
        char *out = NULL;
        size_t len = 0;
        rc = scope_export_buffer(&out, &len, set, f, NULL);
        scope_buffer_free(out);
    }
    scope_series_set_free(set);
    return rc;
}

START_TEST(alloc_failures)
{
    struct body b;
    b.data = slurp(fixture("prom/matrix.json"), &b.len);
    /* points in the fixture, counted with the allocator healthy */
    fail_at = 0;
    b.points = 0;
    {
        scope_series_set *set;
        scope_series_set_new(&set);
        struct scope__prom_parser ps;
        scope__prom_parser_init(&ps, set, "x", 0);
        ck_assert_int_eq(scope__prom_parser_feed(&ps, b.data, b.len), 0);
        ck_assert_int_eq(scope__prom_parser_finish(&ps), 0);
        for (size_t i = 0; i < scope_series_set_count(set); i++)
            b.points += scope_series_count(scope_series_set_at(set, i));
        scope__prom_parser_free(&ps);
        scope_series_set_free(set);
    }
    ck_assert_uint_gt(b.points, 10);
    long n = each_failure("prom parse", op_prom_parse, &b);
    ck_assert_int_gt(n, 5);
    free(b.data);

    b.data = slurp(fixture("hist/hdrjs-50000.b64"), &b.len);
    ck_assert_int_gt(each_failure("hist decode", op_hist_decode, &b), 1);
    free(b.data);

    ck_assert_int_ge(each_failure("sweep", op_sweep, NULL), 1);
    ck_assert_int_gt(each_failure("proc", op_proc, NULL), 3);
    ck_assert_int_gt(each_failure("cgroup", op_cgroup, NULL), 10);
    ck_assert_int_gt(each_failure("evlist", op_evlist, NULL), 5);
    ck_assert_int_gt(each_failure("topdown", op_topdown, NULL), 5);
    ck_assert_int_gt(each_failure("export", op_export, NULL), 3);
}
END_TEST

/* --- out of descriptors ----------------------------------------------------- */

static int *hogs;
static int nhogs;

/* Leaves exactly @free_fds descriptors to the code under test. */
static void starve_fds(int free_fds)
{
    int maxfd = 0;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (atoi(e->d_name) > maxfd)
            maxfd = atoi(e->d_name);
    closedir(d);
    struct rlimit rl = {(rlim_t)maxfd + 1 + 64, (rlim_t)maxfd + 1 + 64};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    hogs = malloc(sizeof(int) * (size_t)rl.rlim_cur);
    nhogs = 0;
    int fd;
    while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        hogs[nhogs++] = fd;
    ck_assert_int_eq(errno, EMFILE);
    for (int i = 0; i < free_fds && nhogs; i++)
        close(hogs[--nhogs]);
}

static void unstarve(void)
{
    while (nhogs)
        close(hogs[--nhogs]);
    free(hogs);
    hogs = NULL;
}

START_TEST(out_of_fds)
{
    starve_fds(0);
    scope_collector *c;
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);

    /* process collector: the limit is named */
    ck_assert_int_eq(scope_proc_open(&c, getpid(), NULL), 0);
    int rc = scope_collector_start(c);
    ck_assert_msg(rc == SCOPE_ELIMIT, "rc %d: %s", rc, scope_error_message());
    scope_collector_free(c);

    /* cgroup collector on the fixture tree */
    scope_cgroup_mounts *m = NULL;
    rc = scope_cgroup_mounts_new(&m, fixture("cgroup/v1-cgroupfs"));
    if (rc == 0) {
        scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
        o.depth = 3;
        rc = scope_cgroup_open(&c, m, "/kubepods", &o);
        if (rc == 0) {
            rc = scope_collector_start(c);
            scope_collector_free(c);
        }
        scope_cgroup_mounts_free(m);
    }
    ck_assert_msg(rc == SCOPE_ELIMIT, "rc %d: %s", rc, scope_error_message());
    ck_assert_msg(strstr(scope_error_message(), "descriptor") ||
                      strstr(scope_error_message(), "Too many open files"),
                  "%s", scope_error_message());

    /* export to a file */
    rc = scope_export_path(set, SCOPE_EXPORT_CSV, "/tmp/scope-nofd.csv", NULL);
    ck_assert_msg(rc == SCOPE_ELIMIT, "rc %d: %s", rc, scope_error_message());

    /* load driver: no descriptor for its own machinery */
    scope_load *l;
    scope_load_opts lo = SCOPE_LOAD_OPTS_INIT;
    lo.mode = SCOPE_LOAD_CLOSED;
    lo.connections = 4;
    lo.duration_ns = 100000000;
    rc = scope_load_new(&l, "http://127.0.0.1:1/", &lo);
    ck_assert_msg(rc == SCOPE_ELIMIT, "rc %d: %s", rc, scope_error_message());
    ck_assert_msg(strstr(scope_error_message(), "Too many open files"), "%s",
                  scope_error_message());
    scope_load_result *r = NULL;

    /* with a few descriptors: the process collector works, the load driver
     * runs and counts its connects failing with EMFILE */
    unstarve();
    starve_fds(6);
    ck_assert_int_eq(scope_proc_open(&c, getpid(), NULL), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_uint_gt(scope_series_set_count(set), 3);
    ck_assert_int_eq(scope_load_new(&l, "http://127.0.0.1:1/", &lo), 0);
    rc = scope_load_run(&r, l);
    if (rc == 0) {
        int32_t en[4];
        int64_t cnt[4], total = 0;
        int k = scope_load_result_errors(r, SCOPE_LOAD_ERR_CONNECT, en, cnt, 4, &total);
        ck_assert_int_ge(k, 1);
        int emfile = 0;
        for (int i = 0; i < k; i++)
            emfile |= en[i] == EMFILE;
        ck_assert_msg(emfile, "connect errors without EMFILE");
        scope_load_stats st = SCOPE_LOAD_STATS_INIT;
        scope_load_result_stats(r, -1, &st);
        ck_assert_int_eq(st.sent, st.completed + st.errors + st.in_flight);
        scope_load_result_free(r);
    } else {
        ck_assert_msg(rc == SCOPE_ELIMIT, "rc %d: %s", rc, scope_error_message());
    }
    scope_load_free(l);
    /* the collector that had its descriptors keeps sampling */
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    scope_collector_free(c);
    unstarve();
    scope_series_set_free(set);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resources");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, alloc_failures);
    tcase_add_test(tc, out_of_fds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
