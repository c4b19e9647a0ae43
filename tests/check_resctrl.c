/* resctrl monitoring against a fake resctrl tree: tests/fixtures/uncore/
 * resctrl copied into a temporary directory (writing tasks files there is
 * harmless). The kernel's part (populating a new group's files, emptying it
 * at rmdir) is played by the test hooks. Expected values are the fixture's
 * file contents. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uncore/resctrl_priv.h"

static char tmp[256], root[512];

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static void setup(void)
{
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_ptr_nonnull(base);
    snprintf(tmp, sizeof tmp, "/tmp/scope-resctrl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(root, sizeof root, "%s/resctrl", tmp);
    sh("cp -a '%s/uncore/resctrl' '%s/'", base, tmp);
}

static void teardown(void)
{
    scope__resctrl_test_hooks = NULL;
    sh("rm -rf '%s'%s", tmp, "");
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The fake kernel: a new group gets tasks and two domains. */
static int populate(const char *dir, void *ud)
{
    int *calls = ud;
    calls[0]++;
    if (calls[2]) /* simulate a group without mon_data */
        return 0;
    char p[1024];
    snprintf(p, sizeof p, "%s/tasks", dir);
    put(p, "");
    for (int d = 0; d < 2; d++) {
        snprintf(p, sizeof p, "%s/mon_data", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/mon_data/mon_L3_0%d", dir, d);
        mkdir(p, 0755);
        char f[1100];
        snprintf(f, sizeof f, "%s/mbm_total_bytes", p);
        put(f, d ? "7000\n" : "1000\n");
        snprintf(f, sizeof f, "%s/mbm_local_bytes", p);
        put(f, "Unassigned\n");
        snprintf(f, sizeof f, "%s/llc_occupancy", p);
        put(f, "4096\n");
    }
    return 0;
}

static void depopulate(const char *dir, void *ud)
{
    int *calls = ud;
    calls[1]++;
    sh("rm -rf '%s'/tasks '%s'/mon_data", dir, dir);
}

static int calls[3];
static const struct scope__resctrl_hooks hooks = {populate, depopulate, calls};

/* Value of the newest point of series name{group,domain}; -1 when it has
 * no point. */
static double value(const scope_series_set *set, const char *name, const char *group,
                    const char *domain)
{
    scope_series *s;
    const char *k[] = {"group", "domain"}, *v[] = {group, domain};
    if (scope_series_set_find(&s, set, name, k, v, 2))
        return -1;
    size_t n = scope_series_count(s);
    return n ? scope_series_values(s)[n - 1] : -1;
}

START_TEST(names_and_parse)
{
    const char *bad[] = {"", ".", "..", "../x", "a/b", "a b", "x\n",
                         "0123456789012345678901234567890123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!scope__resctrl_name_ok(bad[i]), "'%s' accepted", bad[i]);
    ck_assert(scope__resctrl_name_ok("scope-web_1.a"));
    ck_assert(!scope__resctrl_name_ok(NULL));
    uint64_t v;
    ck_assert_int_eq(scope__resctrl_parse("123\n", 4, &v), 0);
    ck_assert_uint_eq(v, 123);
    ck_assert_int_eq(scope__resctrl_parse("Unavailable\n", 12, &v), -1);
    ck_assert_int_eq(scope__resctrl_parse("Error", 5, &v), -1);
    ck_assert_int_eq(scope__resctrl_parse("12x", 3, &v), -1);
    ck_assert_int_eq(scope__resctrl_parse("", 0, &v), -1);

    scope_collector *c;
    scope_resctrl_opts o = SCOPE_RESCTRL_OPTS_INIT;
    o.root = root;
    o.group = "../../etc";
    ck_assert_int_eq(scope_resctrl_open(&c, &o), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "not allowed"));
}
END_TEST

START_TEST(not_mounted)
{
    scope_collector *c = (scope_collector *)tmp;
    scope_resctrl_opts o = SCOPE_RESCTRL_OPTS_INIT;
    o.root = tmp; /* a directory without info/: like an unmounted /sys/fs/resctrl */
    ck_assert_int_eq(scope_resctrl_open(&c, &o), SCOPE_ENODEV);
    ck_assert_ptr_null(c);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "not mounted"));
    ck_assert_ptr_nonnull(strstr(m, "mount -t resctrl resctrl"));
    /* this machine: no resctrl (the default root) */
    if (access("/sys/fs/resctrl/info", F_OK)) {
        ck_assert_int_eq(scope_resctrl_open(&c, NULL), SCOPE_ENODEV);
        ck_assert_ptr_nonnull(strstr(scope_error_message(), "/sys/fs/resctrl"));
    }
    /* mounted without monitoring */
    char p[600];
    snprintf(p, sizeof p, "%s/info/L3_MON/mon_features", root);
    ck_assert_int_eq(unlink(p), 0);
    o.root = root;
    ck_assert_int_eq(scope_resctrl_open(&c, &o), SCOPE_ENOTSUP);
}
END_TEST

START_TEST(default_and_existing)
{
    scope_collector *c;
    scope_resctrl_opts o = SCOPE_RESCTRL_OPTS_INIT;
    o.root = root;
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_str_eq(scope_collector_name(c), "resctrl:default");
    ck_assert_int_eq(scope_resctrl_add_pid(c, 1), SCOPE_EINVAL); /* default group */
    ck_assert_int_eq(scope_collector_start(c), 0);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    /* fixture: mon_L3_00 total 1e9, local 6e8, occupancy 1 MiB; mon_L3_01
     * total Unavailable (no point), local 3e8, occupancy 2 MiB */
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "/", "0"), 1e9);
    ck_assert_double_eq(value(set, "resctrl_mbm_local_bytes_total", "/", "0"), 6e8);
    ck_assert_double_eq(value(set, "resctrl_llc_occupancy_bytes", "/", "0"), 1048576);
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "/", "1"), -1);
    ck_assert_double_eq(value(set, "resctrl_mbm_local_bytes_total", "/", "1"), 3e8);
    ck_assert_double_eq(value(set, "resctrl_llc_occupancy_bytes", "/", "1"), 2097152);
    /* the counter becomes available: re-read through the kept-open fd */
    char p[600];
    snprintf(p, sizeof p, "%s/mon_data/mon_L3_01/mbm_total_bytes", root);
    put(p, "4200000000\n");
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "/", "1"), 4.2e9);
    scope_collector_free(c);

    /* an existing group: watched, never removed */
    o.group = "web";
    o.existing = 1;
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 1), SCOPE_EINVAL);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "web", "1"), 5000);
    ck_assert_double_eq(value(set, "resctrl_mbm_local_bytes_total", "web", "0"), 4000);
    ck_assert_double_eq(value(set, "resctrl_llc_occupancy_bytes", "web", "0"), 65536);
    /* removed behind our back: series end, sampling says so */
    sh("rm -rf '%s'/mon_groups/web%s", root, "");
    ck_assert_int_eq(scope_collector_sample(c, set), 0); /* fds still readable on a plain fs */
    scope_collector_free(c);
    o.existing = 1;
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), SCOPE_ENOENT);
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

START_TEST(created_group)
{
    memset(calls, 0, sizeof calls);
    scope__resctrl_test_hooks = &hooks;
    char dir[700];
    snprintf(dir, sizeof dir, "%s/mon_groups/scope-job", root);
    scope_collector *c;
    scope_resctrl_opts o = SCOPE_RESCTRL_OPTS_INIT;
    o.root = root;
    o.group = "scope-job";
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 0), SCOPE_EINVAL);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 4242), 0);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 4343), 0);
    ck_assert_int_eq(access(dir, F_OK), -1); /* nothing before start */
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 1), SCOPE_ESTATE);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0755 & ~(unsigned)umask(022));
    char p[800], buf[64] = {0};
    snprintf(p, sizeof p, "%s/tasks", dir);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "4242\n4343\n");
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "scope-job", "0"), 1000);
    ck_assert_double_eq(value(set, "resctrl_mbm_total_bytes_total", "scope-job", "1"), 7000);
    ck_assert_double_eq(value(set, "resctrl_mbm_local_bytes_total", "scope-job", "1"), -1);
    ck_assert_double_eq(value(set, "resctrl_llc_occupancy_bytes", "scope-job", "1"), 4096);
    ck_assert_int_eq(scope_collector_stop(c), 0);
    ck_assert_int_eq(access(dir, F_OK), -1); /* removed at stop */
    ck_assert_int_eq(calls[1], 1);
    /* restart creates it again; free removes it */
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(access(dir, F_OK), 0);
    scope_collector_free(c);
    ck_assert_int_eq(access(dir, F_OK), -1);
    ck_assert_int_eq(calls[0], 2);

    /* an existing directory is never adopted nor removed */
    o.group = "web";
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), SCOPE_EEXIST);
    scope_collector_free(c);
    snprintf(p, sizeof p, "%s/mon_groups/web/tasks", root);
    ck_assert_int_eq(access(p, F_OK), 0);

    /* a failure after mkdir leaves nothing behind */
    calls[2] = 1;
    o.group = "scope-broken";
    snprintf(dir, sizeof dir, "%s/mon_groups/scope-broken", root);
    ck_assert_int_eq(scope_resctrl_open(&c, &o), 0);
    ck_assert_int_eq(scope_resctrl_add_pid(c, 77), 0);
    ck_assert_int_ne(scope_collector_start(c), 0);
    ck_assert_int_eq(access(dir, F_OK), -1);
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resctrl");
    TCase *t = tcase_create("resctrl");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, names_and_parse);
    tcase_add_test(t, not_mounted);
    tcase_add_test(t, default_and_existing);
    tcase_add_test(t, created_group);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
