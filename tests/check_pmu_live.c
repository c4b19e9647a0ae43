/* Live counting with software events on this machine (public API, shared
 * library), checked against independent sources: perf stat (Debian's
 * linux-perf) attached to the same workload, /proc/<pid>/task/<tid>/schedstat,
 * the cgroup's cpu.stat and the thread CPU clock. Hardware events must fail
 * with the no-core-PMU explanation when the machine has no core PMU. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scope/scope.h"

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long spin_sink;

static void spin_cpu(double seconds)
{
    double end = now_s(CLOCK_THREAD_CPUTIME_ID) + seconds;
    double wall_end = now_s(CLOCK_MONOTONIC) + 20 * seconds + 2; /* bounded on a loaded box */
    unsigned long x = 0;
    while (now_s(CLOCK_THREAD_CPUTIME_ID) < end && now_s(CLOCK_MONOTONIC) < wall_end) {
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i * x + 1;
        spin_sink = x;
    }
}

static int have_core_pmu(void)
{
    return !access("/sys/bus/event_source/devices/cpu/type", F_OK) ||
           !access("/sys/bus/event_source/devices/cpu_core/type", F_OK);
}

/* --- a child process with named threads -------------------------------------------- */

struct child {
    pid_t pid;
    int go_w;  /* write a byte: threads do their work */
    int done_r; /* 3 bytes arrive when the work is done */
};

static int go_fd_r, done_fd_w;
static double work_cpu = 0.15;
static int work_sleeps = 50, work_pages = 2048;

static void do_work(void)
{
    spin_cpu(work_cpu);
    struct timespec ts = {0, 500000};
    for (int i = 0; i < work_sleeps; i++)
        nanosleep(&ts, NULL);
    size_t len = (size_t)work_pages * 4096;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
        for (size_t i = 0; i < len; i += 4096)
            m[i] = 1;
        munmap(m, len);
    }
}

static pthread_mutex_t go_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int go_flag;
static pthread_barrier_t ready_bar;

static void *worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker_%d", (int)(intptr_t)arg);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    pthread_barrier_wait(&ready_bar);
    pthread_mutex_lock(&go_mu);
    while (!go_flag)
        pthread_cond_wait(&go_cv, &go_mu);
    pthread_mutex_unlock(&go_mu);
    do_work();
    char b = 'd';
    if (write(done_fd_w, &b, 1) != 1)
        _exit(3);
    for (;;)
        pause();
    return NULL;
}

/* Forks a process "scopewl" with threads worker_0, worker_1; all three wait
 * for the go byte, work, report done, then park until killed (or, with
 * @exit_after, the process exits after the work). */
static struct child spawn(int exit_after)
{
    int go[2], done[2];
    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(done), 0);
    struct child c = {0, go[1], done[0]};
    c.pid = fork();
    ck_assert_int_ge(c.pid, 0);
    if (c.pid == 0) {
        close(go[1]);
        close(done[0]);
        go_fd_r = go[0];
        done_fd_w = done[1];
        prctl(PR_SET_NAME, "scopewl", 0, 0, 0);
        alarm(30); /* never outlive the test */
        pthread_t t[2];
        pthread_barrier_init(&ready_bar, NULL, 3);
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
        pthread_barrier_wait(&ready_bar); /* both workers are named */
        char b = 'r';
        if (write(done_fd_w, &b, 1) != 1)
            _exit(3);
        if (read(go_fd_r, &b, 1) != 1)
            _exit(2);
        pthread_mutex_lock(&go_mu);
        go_flag = 1;
        pthread_cond_broadcast(&go_cv);
        pthread_mutex_unlock(&go_mu);
        do_work();
        if (write(done_fd_w, &b, 1) != 1)
            _exit(3);
        if (exit_after) {
            char x[2];
            /* wait for the workers' done bytes to be written, then exit */
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
            (void)x;
            _exit(0);
        }
        for (;;)
            pause();
    }
    close(go[0]);
    close(done[1]);
    /* the child reports when its threads exist and are named */
    char r = 0;
    ck_assert_int_eq(read(c.done_r, &r, 1), 1);
    ck_assert_int_eq(r, 'r');
    return c;
}

static void child_go_and_wait(struct child *c)
{
    char b = 'g';
    ck_assert_int_eq(write(c->go_w, &b, 1), 1);
    for (int got = 0; got < 3;) {
        ssize_t n = read(c->done_r, &b, 1);
        ck_assert_int_eq(n, 1);
        got++;
    }
}

static void child_kill(struct child *c)
{
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    close(c->go_w);
    close(c->done_r);
}

static uint64_t schedstat_ns(int pid, int tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static size_t event_index(scope_pmu *p, const char *name)
{
    for (size_t i = 0; i < scope_pmu_event_count(p); i++)
        if (!strcmp(scope_pmu_event_name(p, i), name))
            return i;
    ck_abort_msg("no event %s", name);
    return 0;
}

static double value(scope_pmu *p, size_t row, const char *ev)
{
    double v = -1;
    ck_assert_int_eq(scope_pmu_value(p, row, event_index(p, ev), NULL, &v, NULL), 0);
    return v;
}

#define ASSERT_NEAR_REL(a, b, tol, what)                                                    \
    ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol) * fmax(fabs((double)(b)), 1e-9), \
                  "%s: %.6g vs %.6g (tolerance %.0f%%)", what, (double)(a), (double)(b),    \
                  100.0 * (tol))

/* --- tests ------------------------------------------------------------------------------ */

START_TEST(self_group)
{
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,context-switches,page-faults,cpu-migrations}",
                                   NULL), 0);
    ck_assert_uint_eq(scope_pmu_group_count(p), 1);
    ck_assert_int_eq(scope_pmu_start(p), 0);
    ck_assert_uint_eq(scope_pmu_row_count(p), 1);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    double tc0 = value(p, 0, "task-clock"), pf0 = value(p, 0, "page-faults");
    double cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    spin_cpu(0.1);
    size_t len = 512 * 4096;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    for (size_t i = 0; i < len; i += 4096)
        m[i] = 1;
    munmap(m, len);
    double cpu1 = now_s(CLOCK_THREAD_CPUTIME_ID);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    double tc1 = value(p, 0, "task-clock"), pf1 = value(p, 0, "page-faults");
    /* task-clock is this thread's on-CPU time in ns while enabled. It runs
     * on perf's clock (local_clock), the CPU clock on the scheduler's task
     * clock, which leaves out IRQ and steal time: on a loaded VM they differ
     * by a few percent, hence 10 % here (perf stat agreement is held to 2 %
     * in agrees_with_perf_stat). */
    ASSERT_NEAR_REL((tc1 - tc0) / 1e9, cpu1 - cpu0, 0.10, "task-clock vs thread CPU clock");
    ck_assert_msg(pf1 - pf0 >= 512, "page faults %.0f < 512 pages touched", pf1 - pf0);
    ck_assert_msg(pf1 - pf0 < 512 + 200, "page faults %.0f far above 512", pf1 - pf0);
    uint64_t raw;
    double scaled, ratio;
    ck_assert_int_eq(scope_pmu_value(p, 0, 0, &raw, &scaled, &ratio), 0);
    ck_assert(ratio == 1.0); /* software events are never multiplexed */
    ck_assert(scaled == (double)raw);
    uint64_t en, run;
    ck_assert_int_eq(scope_pmu_times(p, 0, 0, &en, &run), 0);
    ck_assert_uint_eq(en, run);
    ck_assert_uint_gt(en, 0);
    ck_assert_str_eq(scope_pmu_notes(p), "");
    int target;
    ck_assert_int_eq(scope_pmu_row_info(p, 0, &target, NULL, NULL, NULL), 0);
    ck_assert_int_eq(target, SCOPE_PMU_SELF);
    ck_assert_int_eq(scope_pmu_start(p), SCOPE_ESTATE);
    ck_assert_int_eq(scope_pmu_stop(p), 0);
    ck_assert_int_eq(scope_pmu_read(p), SCOPE_ESTATE);
    scope_pmu_free(p);
}
END_TEST

START_TEST(agrees_with_perf_stat)
{
    if (access("/usr/bin/perf", X_OK))
        return; /* not installed: run.sh installs linux-perf */
    struct child c = spawn(0);
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock,context-switches,page-faults", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, c.pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), 0);
    /* perf stat attached to the same process, at the same time */
    char out[] = "/tmp/scope-perfstat-XXXXXX";
    int ofd = mkstemp(out);
    ck_assert_int_ge(ofd, 0);
    close(ofd);
    char pid_s[16];
    snprintf(pid_s, sizeof pid_s, "%d", c.pid);
    /* perf starts disabled (-D -1) and enables on our command (--control),
     * acknowledging it: then both count the same window. */
    int ctl[2], ack[2];
    ck_assert_int_eq(pipe(ctl), 0);
    ck_assert_int_eq(pipe(ack), 0);
    pid_t perf = fork();
    if (perf == 0) {
        int dn = open("/dev/null", O_RDWR);
        dup2(dn, 1);
        dup2(dn, 2);
        close(ctl[1]);
        close(ack[0]);
        char control[64];
        snprintf(control, sizeof control, "fd:%d,%d", ctl[0], ack[1]);
        execl("/usr/bin/perf", "perf", "stat", "-x,", "-o", out, "-D", "-1", "--control",
              control, "-e", "task-clock,context-switches,page-faults", "-p", pid_s,
              (char *)NULL);
        _exit(127);
    }
    close(ctl[0]);
    close(ack[1]);
    ck_assert_int_eq(write(ctl[1], "enable\n", 7), 7);
    struct pollfd pfd = {ack[0], POLLIN, 0};
    ck_assert_msg(poll(&pfd, 1, 15000) == 1, "perf stat did not acknowledge 'enable' in 15 s");
    char ackbuf[16] = "";
    ck_assert_int_gt(read(ack[0], ackbuf, sizeof ackbuf - 1), 0);
    ck_assert_msg(!strncmp(ackbuf, "ack", 3), "perf answered '%s'", ackbuf);
    child_go_and_wait(&c);
    kill(perf, SIGINT); /* perf stat prints its counts on SIGINT */
    int st;
    waitpid(perf, &st, 0);
    close(ctl[1]);
    close(ack[0]);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    double tc = value(p, 0, "task-clock") / 1e6; /* ms, as perf prints it */
    double cs = value(p, 0, "context-switches"), pf = value(p, 0, "page-faults");
    child_kill(&c);

    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    double ptc = -1, pcs = -1, ppf = -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double v;
        char unit[64], ev[128];
        if (sscanf(line, "%lf,%63[^,],%127[^,]", &v, unit, ev) == 3 ||
            (sscanf(line, "%lf,,%127[^,]", &v, ev) == 2 && (unit[0] = 0, 1))) {
            if (!strcmp(ev, "task-clock"))
                ptc = v;
            else if (!strcmp(ev, "context-switches"))
                pcs = v;
            else if (!strcmp(ev, "page-faults"))
                ppf = v;
        }
    }
    fclose(f);
    unlink(out);
    ck_assert_msg(ptc > 0 && pcs > 0 && ppf > 0, "perf stat output not parsed");
    fprintf(stderr, "libscope vs perf stat: task-clock %.3f / %.3f ms, context-switches %.0f / "
            "%.0f, page-faults %.0f / %.0f\n", tc, ptc, cs, pcs, pf, ppf);
    ASSERT_NEAR_REL(tc, ptc, 0.02, "task-clock ms (libscope vs perf stat)");
    ASSERT_NEAR_REL(cs, pcs, 0.05, "context switches (libscope vs perf stat)");
    ASSERT_NEAR_REL(pf, ppf, 0.05, "page faults (libscope vs perf stat)");
    ck_assert_msg(tc > 3 * work_cpu * 1e3 * 0.9, "task-clock %.1f ms below the work done", tc);
    scope_pmu_free(p);
}
END_TEST

START_TEST(per_thread_rows)
{
    struct child c = spawn(0);
    scope_pmu_opts o = SCOPE_PMU_OPTS_INIT;
    o.per_thread = 1;
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,page-faults}", &o), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, c.pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), 0);
    ck_assert_uint_eq(scope_pmu_row_count(p), 3);
    uint64_t before[3];
    for (size_t r = 0; r < 3; r++) {
        int tid;
        scope_pmu_row_info(p, r, NULL, NULL, &tid, NULL);
        before[r] = schedstat_ns(c.pid, tid);
    }
    child_go_and_wait(&c);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    int seen_main = 0, seen_w0 = 0, seen_w1 = 0;
    for (size_t r = 0; r < 3; r++) {
        int target, pid, tid;
        const char *name;
        ck_assert_int_eq(scope_pmu_row_info(p, r, &target, &pid, &tid, &name), 0);
        ck_assert_int_eq(target, SCOPE_PMU_THREAD);
        ck_assert_int_eq(pid, c.pid);
        seen_main += !strcmp(name, "scopewl") && tid == c.pid;
        seen_w0 += !strcmp(name, "worker_0");
        seen_w1 += !strcmp(name, "worker_1");
        double tc = value(p, r, "task-clock");
        double ss = (double)(schedstat_ns(c.pid, tid) - before[r]);
        /* schedstat is the scheduler's task clock (no IRQ/steal time): 10 %,
         * see self_group */
        ASSERT_NEAR_REL(tc, ss, 0.10, "per-thread task-clock vs schedstat");
        ck_assert_msg(tc >= work_cpu * 1e9 * 0.95, "thread %s counted %.0f ns", name, tc);
        ck_assert_msg(value(p, r, "page-faults") >= work_pages, "thread %s faults", name);
    }
    ck_assert_int_eq(seen_main + seen_w0 + seen_w1, 3);
    ck_assert_int_eq(seen_main * seen_w0 * seen_w1, 1);
    child_kill(&c);
    /* the threads are gone: the next read says so, values stay */
    ck_assert_int_eq(scope_pmu_read(p), SCOPE_EGONE);
    ck_assert_int_eq(scope_pmu_row_info(p, 0, NULL, NULL, NULL, NULL), SCOPE_EGONE);
    scope_pmu_free(p);
}
END_TEST

static void *late_thread(void *arg)
{
    (void)arg;
    spin_cpu(0.1);
    return NULL;
}

START_TEST(process_inherit_sum)
{
    /* A process that starts a thread after counting began: the summed row
     * includes it (inherit). */
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        alarm(30);
        char b;
        if (read(go[0], &b, 1) != 1)
            _exit(2);
        pthread_t t;
        pthread_create(&t, NULL, late_thread, NULL);
        pthread_join(t, NULL);
        spin_cpu(0.05);
        _exit(0);
    }
    close(go[0]);
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), 0);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    int rc = scope_pmu_read(p);
    ck_assert_msg(rc == SCOPE_EGONE, "read after exit: %d", rc);
    double tc = value(p, 0, "task-clock");
    ck_assert_msg(tc >= 0.15 * 1e9 * 0.95, "summed task-clock %.0f ns misses the late thread",
                  tc);
    ck_assert_msg(tc < 5e9, "summed task-clock %.0f ns is absurd", tc);
    int target;
    const char *name;
    scope_pmu_row_info(p, 0, &target, NULL, NULL, &name);
    ck_assert_int_eq(target, SCOPE_PMU_PROCESS);
    close(go[1]);
    scope_pmu_free(p);
}
END_TEST

static int late_fd;

static void *late_named(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "late_1", 0, 0, 0);
    spin_cpu(0.05);
    if (write(late_fd, "r", 1) != 1)
        _exit(3);
    for (;;)
        pause();
    return NULL;
}

START_TEST(per_thread_rescan)
{
    int go[2], ready[2];
    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(ready[0]);
        late_fd = ready[1];
        alarm(30);
        char b;
        if (read(go[0], &b, 1) != 1)
            _exit(2);
        pthread_t t;
        pthread_create(&t, NULL, late_named, NULL);
        for (;;)
            pause();
    }
    close(go[0]);
    close(ready[1]);
    scope_pmu_opts o = SCOPE_PMU_OPTS_INIT;
    o.per_thread = 1;
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock", &o), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), 0);
    ck_assert_uint_eq(scope_pmu_row_count(p), 1);
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    char b;
    ck_assert_int_eq(read(ready[0], &b, 1), 1); /* the new thread exists and has worked */
    ck_assert_int_eq(scope_pmu_rescan(p), 1);
    ck_assert_int_eq(scope_pmu_rescan(p), 0);
    ck_assert_uint_eq(scope_pmu_row_count(p), 2);
    const char *name;
    int tid;
    ck_assert_int_eq(scope_pmu_row_info(p, 1, NULL, NULL, &tid, &name), 0);
    ck_assert_str_eq(name, "late_1");
    ck_assert_int_ne(tid, pid);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(go[1]);
    close(ready[0]);
    scope_pmu_free(p);
}
END_TEST

START_TEST(hardware_needs_core_pmu)
{
    if (have_core_pmu())
        return; /* this machine can count hardware events */
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "cycles,instructions", NULL), 0);
    ck_assert_int_eq(scope_pmu_start(p), SCOPE_ENODEV);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "perf_event_open(cycles, this thread): no core PMU"));
    ck_assert_ptr_nonnull(strstr(m, "software"));
    ck_assert_ptr_nonnull(strstr(m, "/sys/bus/event_source/devices"));
    ck_assert_ptr_nonnull(strstr(m, "virtual PMU"));
    ck_assert_int_eq(scope_pmu_read(p), SCOPE_ESTATE);
    scope_pmu_free(p);
    /* an unknown name lists what the machine offers */
    ck_assert_int_eq(scope_pmu_new(&p, "INST_RETIRED.ANY", NULL), SCOPE_ENOENT);
    m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "task-clock"));
    ck_assert_ptr_nonnull(strstr(m, "no core PMU"));
}
END_TEST

START_TEST(cgroup_agrees_with_cpu_stat)
{
    const char *base = "/sys/fs/cgroup/unified";
    char dir[256];
    snprintf(dir, sizeof dir, "%s/scope-pmu-test-%d", base, (int)getpid());
    if (access(base, W_OK) || mkdir(dir, 0755)) {
        fprintf(stderr, "cgroup test skipped: cannot create %s (%s)\n", dir, strerror(errno));
        return;
    }
    pid_t busy = fork();
    if (busy == 0) {
        alarm(20);
        for (;;)
            spin_cpu(1);
    }
    char procs[300];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    FILE *f = fopen(procs, "w");
    int moved = f && fprintf(f, "%d\n", (int)busy) > 0;
    if (f)
        moved &= fclose(f) == 0;
    scope_pmu *p = NULL;
    int rc = -1;
    double tc = 0, usage = 0;
    if (moved) {
        ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,context-switches}", NULL), 0);
        ck_assert_int_eq(scope_pmu_add_cgroup(p, dir), 0);
        rc = scope_pmu_start(p);
        if (rc == 0) {
            char stat[300], buf[1024];
            snprintf(stat, sizeof stat, "%s/cpu.stat", dir);
            unsigned long long u0 = 0, u1 = 0;
            f = fopen(stat, "r");
            while (f && fgets(buf, sizeof buf, f))
                sscanf(buf, "usage_usec %llu", &u0);
            if (f)
                fclose(f);
            /* until the child has run 200 ms (at most 6 s on a loaded box) */
            for (int step = 0; step < 120; step++) {
                usleep(50000);
                f = fopen(stat, "r");
                while (f && fgets(buf, sizeof buf, f))
                    sscanf(buf, "usage_usec %llu", &u1);
                if (f)
                    fclose(f);
                if (u1 >= u0 + 200000)
                    break;
            }
            ck_assert_int_eq(scope_pmu_read(p), 0);
            tc = value(p, 0, "task-clock") / 1e3; /* us */
            usage = (double)(u1 - u0);
        }
    }
    kill(busy, SIGKILL);
    waitpid(busy, NULL, 0);
    scope_pmu_free(p);
    for (int i = 0; i < 100 && rmdir(dir); i++)
        usleep(10000);
    ck_assert_msg(moved, "could not move the child into %s", dir);
    ck_assert_msg(rc == 0, "cgroup start: %s", scope_error_message());
    ck_assert_msg(usage > 20000, "the busy child ran only %.0f us", usage);
    ASSERT_NEAR_REL(tc, usage, 0.02, "cgroup task-clock vs cpu.stat usage_usec");
}
END_TEST

START_TEST(cpus_system_wide)
{
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "cpu-clock", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_cpus(p, NULL), 0);
    int rc = scope_pmu_start(p);
    if (rc == SCOPE_EPERM) { /* not root and paranoid > 0 */
        scope_pmu_free(p);
        return;
    }
    ck_assert_int_eq(rc, 0);
    double t0 = now_s(CLOCK_MONOTONIC);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    double c0 = value(p, 0, "cpu-clock");
    usleep(200000);
    ck_assert_int_eq(scope_pmu_read(p), 0);
    double t1 = now_s(CLOCK_MONOTONIC);
    double c1 = value(p, 0, "cpu-clock");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    ASSERT_NEAR_REL((c1 - c0) / 1e9, (t1 - t0) * (double)ncpu, 0.05,
                    "system-wide cpu-clock vs wall time x CPUs");
    const char *name;
    int target;
    scope_pmu_row_info(p, 0, &target, NULL, NULL, &name);
    ck_assert_int_eq(target, SCOPE_PMU_CPUS);
    scope_pmu_free(p);
    ck_assert_int_eq(scope_pmu_new(&p, "cs", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_cpus(p, "0-x"), SCOPE_EINVAL);
    scope_pmu_free(p);
}
END_TEST

START_TEST(as_collector)
{
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,page-faults}", NULL), 0);
    scope_collector *c;
    ck_assert_int_eq(scope_pmu_collector_new(&c, p), 0);
    const char *mname;
    int kind;
    ck_assert_uint_eq(scope_collector_metric_count(c), 6);
    ck_assert_int_eq(scope_collector_metric_at(c, 0, &mname, NULL, &kind, NULL), 0);
    ck_assert_str_eq(mname, "perf_task_clock_total");
    ck_assert_int_eq(kind, SCOPE_COUNTER);
    ck_assert_int_eq(scope_collector_metric_at(c, 5, &mname, NULL, &kind, NULL), 0);
    ck_assert_str_eq(mname, "perf_page_faults_running_ratio");
    ck_assert_int_eq(kind, SCOPE_GAUGE);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    spin_cpu(0.02);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    scope_series *s = NULL;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *x = scope_series_set_at(set, i);
        if (!strcmp(scope_series_name(x), "perf_task_clock_total"))
            s = x;
    }
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(scope_series_label(s, "target"), "self");
    ck_assert_str_eq(scope_series_label(s, "event"), "task-clock");
    ck_assert_uint_eq(scope_series_count(s), 2);
    const double *v = scope_series_values(s);
    ck_assert_msg(v[1] - v[0] >= 0.015e9, "task-clock grew by %.0f ns only", v[1] - v[0]);
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

START_TEST(collector_per_thread)
{
    struct child c = spawn(0);
    scope_pmu_opts o = SCOPE_PMU_OPTS_INIT;
    o.per_thread = 1;
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock", &o), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, c.pid), 0);
    scope_collector *col;
    ck_assert_int_eq(scope_pmu_collector_new(&col, p), 0);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_start(col), 0);
    child_go_and_wait(&c);
    ck_assert_int_eq(scope_collector_sample(col, set), 0);
    int threads = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *x = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(x), "perf_task_clock_total"))
            continue;
        threads++;
        const char *th = scope_series_label(x, "thread");
        ck_assert_ptr_nonnull(th);
        ck_assert_msg(!strcmp(th, "scopewl") || !strncmp(th, "worker_", 7), "thread %s", th);
        ck_assert_str_eq(scope_series_label(x, "target"), "thread");
        ck_assert(scope_series_values(x)[0] >= work_cpu * 1e9 * 0.9);
        ck_assert_int_eq(scope_series_end_time(x), 0);
    }
    ck_assert_int_eq(threads, 3);
    ck_assert_int_eq(scope_collector_rescan(col), 0); /* no new thread */
    child_kill(&c);
    ck_assert_int_eq(scope_collector_sample(col, set), SCOPE_EGONE);
    for (size_t i = 0; i < scope_series_set_count(set); i++)
        ck_assert_int_ne(scope_series_end_time(scope_series_set_at(set, i)), 0);
    scope_collector_free(col);
    scope_series_set_free(set);
}
END_TEST

START_TEST(errors_explain)
{
    /* process gone */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_pid(p, pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), SCOPE_EGONE);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "does not exist"));
    scope_pmu_free(p);
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock", NULL), 0);
    ck_assert_int_eq(scope_pmu_add_tid(p, pid), 0);
    ck_assert_int_eq(scope_pmu_start(p), SCOPE_EGONE);
    scope_pmu_free(p);

    /* an encoding the kernel does not know (software config 99): explained,
     * nothing left open */
    ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,software/config=99/}", NULL), 0);
    ck_assert_int_eq(scope_pmu_start(p), SCOPE_ENOTSUP);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "perf_event_open(software/config=99/, "
                                                        "this thread)"));
    ck_assert_int_eq(scope_pmu_read(p), SCOPE_ESTATE);
    scope_pmu_free(p);

    /* descriptor limit: a child with RLIMIT_NOFILE 16 asks for 2 CPUs x 12
     * events (or 12 on one CPU) */
    int msg[2];
    ck_assert_int_eq(pipe(msg), 0);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {16, 16};
        setrlimit(RLIMIT_NOFILE, &rl);
        scope_pmu *q;
        int rc = scope_pmu_new(&q, "cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs,cs", NULL);
        if (!rc)
            rc = scope_pmu_start(q);
        char out[1024];
        snprintf(out, sizeof out, "%d %s", rc, scope_error_message());
        if (write(msg[1], out, strlen(out)) < 0)
            _exit(1);
        _exit(0);
    }
    close(msg[1]);
    char buf[1024] = "";
    ssize_t n = read(msg[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(msg[0]);
    waitpid(pid, NULL, 0);
    ck_assert_msg(atoi(buf) == SCOPE_ELIMIT, "got: %s", buf);
    ck_assert_msg(strstr(buf, "needs 18 file descriptors") && strstr(buf, "RLIMIT_NOFILE is 16"),
                  "got: %s", buf);

    /* privileges: an unprivileged user counting CPU-wide */
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int paranoid = 2;
    if (f) {
        if (fscanf(f, "%d", &paranoid) != 1)
            paranoid = 2;
        fclose(f);
    }
    if (geteuid() != 0 || paranoid <= 0)
        return;
    ck_assert_int_eq(pipe(msg), 0);
    pid = fork();
    if (pid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(1);
        scope_pmu *q;
        int rc = scope_pmu_new(&q, "cs", NULL);
        if (!rc)
            rc = scope_pmu_add_cpus(q, "0");
        if (!rc)
            rc = scope_pmu_start(q);
        char out[1024];
        snprintf(out, sizeof out, "%d %s", rc, scope_error_message());
        if (write(msg[1], out, strlen(out)) < 0)
            _exit(1);
        _exit(0);
    }
    close(msg[1]);
    n = read(msg[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(msg[0]);
    waitpid(pid, NULL, 0);
    ck_assert_msg(atoi(buf) == SCOPE_EPERM, "got: %s", buf);
    ck_assert_msg(strstr(buf, "perf_event_paranoid is") && strstr(buf, "cpu 0"), "got: %s", buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pmu_live");
    TCase *tc = tcase_create("live");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, self_group);
    tcase_add_test(tc, agrees_with_perf_stat);
    tcase_add_test(tc, per_thread_rows);
    tcase_add_test(tc, process_inherit_sum);
    tcase_add_test(tc, per_thread_rescan);
    tcase_add_test(tc, hardware_needs_core_pmu);
    tcase_add_test(tc, cgroup_agrees_with_cpu_stat);
    tcase_add_test(tc, cpus_system_wide);
    tcase_add_test(tc, as_collector);
    tcase_add_test(tc, collector_per_thread);
    tcase_add_test(tc, errors_explain);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
