/* Targets: parsing, and resolving pids, threads and name patterns against
 * a child process the test starts (a fake sidecar with named worker
 * threads), checked against /proc read independently. */
#include <scope/scope.h>

#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(parse_forms)
{
    scope_target *t;
    ck_assert_int_eq(scope_target_parse(&t, "cpus:3,0-2,2"), 0);
    ck_assert_int_eq(scope_target_kind_of(t), SCOPE_TARGET_CPUS);
    ck_assert_uint_eq(scope_target_cpu_count(t), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(scope_target_cpu_at(t, (size_t)i), i);
    ck_assert_int_eq(scope_target_cpu_at(t, 4), -1);
    scope_target_free(t);
    ck_assert_int_eq(scope_target_parse(&t, "pid:12+threads"), 0);
    ck_assert_int_eq(scope_target_kind_of(t), SCOPE_TARGET_PID);
    ck_assert_uint_eq(scope_target_cpu_count(t), 0);
    scope_target_free(t);
    ck_assert_int_eq(scope_target_parse(&t, "comm:envoy*+threads"), 0);
    ck_assert_str_eq(scope_target_kind_name(scope_target_kind_of(t)), "pattern");
    scope_target_free(t);
    ck_assert_int_eq(scope_target_parse(&t, "container:4a8c85d1e6c3"), 0);
    ck_assert_int_eq(scope_target_kind_of(t), SCOPE_TARGET_CONTAINER);
    scope_target_free(t);
    ck_assert_int_eq(scope_target_parse(&t, "cgroup:/kubepods.slice"), 0);
    ck_assert_int_eq(scope_target_kind_of(t), SCOPE_TARGET_CGROUP);
    scope_target_free(t);
    const char *bad[] = {"pid:0", "pid:-3", "pid:1x", "tid:", "cpus:3-1", "cpus:a", "cpus:",
                         "container:xyz", "container:123", "comm:", "foo:1", "12", NULL};
    for (int i = 0; bad[i]; i++) {
        ck_assert_msg(scope_target_parse(&t, bad[i]) == SCOPE_EINVAL, "%s accepted", bad[i]);
        ck_assert_ptr_null(t);
        ck_assert_ptr_nonnull(strstr(scope_error_message(), "pid:<n>"));
    }
    ck_assert_int_eq(scope_target_parse(&t, NULL), SCOPE_EINVAL);
}
END_TEST

/* ---- the fake sidecar: comm "scopetgtNNNNN", two workers "wrk:worker_N" */

static void *worker(void *arg)
{
    prctl(PR_SET_NAME, (const char *)arg);
    for (;;)
        pause();
    return NULL;
}

static pid_t start_sidecar(const char *name)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_NAME, name);
        pthread_t th[2];
        static char names[2][16] = {"wrk:worker_0", "wrk:worker_1"};
        for (int i = 0; i < 2; i++)
            pthread_create(&th[i], NULL, worker, names[i]);
        /* wait until both threads have renamed themselves */
        for (int tries = 0; tries < 200; tries++) {
            char path[320], c[32];
            int ok = 0;
            DIR *d = opendir("/proc/self/task");
            struct dirent *e;
            while (d && (e = readdir(d))) {
                snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
                FILE *f = fopen(path, "r");
                if (f && fgets(c, sizeof c, f) && strncmp(c, "wrk:worker_", 11) == 0)
                    ok++;
                if (f)
                    fclose(f);
            }
            if (d)
                closedir(d);
            if (ok == 2)
                break;
            usleep(5000);
        }
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        alarm(30); /* never outlive the test */
        for (;;)
            pause();
    }
    close(p[1]);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

static void stop_sidecar(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* 1 when @path appears as the path of a line of /proc/<pid>/cgroup. */
static int in_proc_cgroup(pid_t pid, const char *path)
{
    char fn[64], line[4096];
    snprintf(fn, sizeof fn, "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(fn, "r");
    ck_assert_ptr_nonnull(f);
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c2 = strchr(strchr(line, ':') + 1, ':');
        found |= strcmp(c2 + 1, path) == 0;
    }
    fclose(f);
    return found;
}

START_TEST(pattern_finds_sidecar_and_threads)
{
    char name[16], pat[32];
    snprintf(name, sizeof name, "scopetgt%d", (int)getpid() % 100000);
    pid_t pid = start_sidecar(name);
    snprintf(pat, sizeof pat, "comm:scopetgt%d", (int)getpid() % 100000);
    scope_target *t;
    scope_target_list *l;
    ck_assert_int_eq(scope_target_parse(&t, pat), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), 0);
    ck_assert_uint_eq(scope_target_list_count(l), 1);
    int rp, rt;
    const char *comm, *cg, *ctr;
    ck_assert_int_eq(scope_target_list_at(l, 0, &rp, &rt, &comm, &cg, &ctr), 0);
    ck_assert_int_eq(rp, pid);
    ck_assert_int_eq(rt, pid);
    ck_assert_str_eq(comm, name);
    ck_assert_msg(in_proc_cgroup(pid, cg), "cgroup %s is not in /proc/%d/cgroup", cg, (int)pid);
    ck_assert_str_eq(ctr, "");
    ck_assert_int_eq(scope_target_list_at(l, 1, NULL, NULL, NULL, NULL, NULL), SCOPE_EINVAL);
    scope_target_list_free(l);
    scope_target_free(t);

    /* with threads: the main thread and both workers, names as in /proc */
    snprintf(pat, sizeof pat, "comm:scopetgt*+threads");
    ck_assert_int_eq(scope_target_parse(&t, pat), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), 0);
    int workers = 0, main_seen = 0;
    for (size_t i = 0; i < scope_target_list_count(l); i++) {
        scope_target_list_at(l, i, &rp, &rt, &comm, &cg, NULL);
        if (rp != pid)
            continue; /* another test run's sidecar */
        char fn[64], c[32] = "";
        snprintf(fn, sizeof fn, "/proc/%d/task/%d/comm", (int)pid, rt);
        FILE *f = fopen(fn, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(c, sizeof c, f));
        fclose(f);
        c[strcspn(c, "\n")] = '\0';
        ck_assert_str_eq(comm, c);
        workers += strncmp(comm, "wrk:worker_", 11) == 0;
        main_seen += rt == pid;
    }
    ck_assert_int_eq(workers, 2);
    ck_assert_int_eq(main_seen, 1);
    scope_target_list_free(l);
    scope_target_free(t);

    /* pid+threads gives the same three tasks; tid gives one */
    char spec[64];
    snprintf(spec, sizeof spec, "pid:%d+threads", (int)pid);
    ck_assert_int_eq(scope_target_parse(&t, spec), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), 0);
    ck_assert_uint_eq(scope_target_list_count(l), 3);
    int some_worker = 0;
    for (size_t i = 0; i < 3; i++) {
        scope_target_list_at(l, i, NULL, &rt, NULL, NULL, NULL);
        if (rt != pid)
            some_worker = rt;
    }
    scope_target_list_free(l);
    scope_target_free(t);
    snprintf(spec, sizeof spec, "tid:%d", some_worker);
    ck_assert_int_eq(scope_target_parse(&t, spec), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), 0);
    ck_assert_uint_eq(scope_target_list_count(l), 1);
    scope_target_list_at(l, 0, &rp, &rt, &comm, NULL, NULL);
    ck_assert_int_eq(rp, pid);
    ck_assert_int_eq(rt, some_worker);
    ck_assert_ptr_nonnull(strstr(comm, "wrk:worker_"));
    scope_target_list_free(l);
    scope_target_free(t);

    stop_sidecar(pid);
    /* gone: pid target fails, pattern gives no rows */
    snprintf(spec, sizeof spec, "pid:%d", (int)pid);
    ck_assert_int_eq(scope_target_parse(&t, spec), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), SCOPE_EGONE);
    scope_target_free(t);
    snprintf(pat, sizeof pat, "comm:scopetgt%d", (int)getpid() % 100000);
    ck_assert_int_eq(scope_target_parse(&t, pat), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, NULL), 0);
    ck_assert_uint_eq(scope_target_list_count(l), 0);
    scope_target_list_free(l);
    scope_target_free(t);
}
END_TEST

START_TEST(cgroup_target_lists_members)
{
    /* our own cgroup lists at least this process */
    scope_cgroup_mounts *m;
    if (scope_cgroup_mounts_new(&m, NULL)) {
        printf("cgroup_target_lists_members: skipped, no cgroup mounted\n");
        return;
    }
    char path[4096], spec[4200];
    ck_assert_int_eq(scope_cgroup_pid_path(path, sizeof path, m, getpid(), NULL), 0);
    snprintf(spec, sizeof spec, "cgroup:%s", path);
    scope_target *t;
    scope_target_list *l;
    ck_assert_int_eq(scope_target_parse(&t, spec), 0);
    ck_assert_int_eq(scope_target_resolve(&l, t, m), 0);
    int me = 0;
    for (size_t i = 0; i < scope_target_list_count(l); i++) {
        int p;
        const char *cg;
        scope_target_list_at(l, i, &p, NULL, NULL, &cg, NULL);
        ck_assert_str_eq(cg, path);
        me += p == getpid();
    }
    ck_assert_int_eq(me, 1);
    scope_target_list_free(l);
    scope_target_free(t);
    scope_cgroup_mounts_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("target");
    TCase *t = tcase_create("target");
    tcase_add_test(t, parse_forms);
    tcase_add_test(t, pattern_finds_sidecar_and_threads);
    tcase_add_test(t, cgroup_target_lists_members);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
