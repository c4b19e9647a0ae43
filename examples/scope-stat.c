/*
 * scope-stat: a perf-stat-like counter tool on libscope's public API.
 *
 *   scope-stat [-e EVENTS]... [-p PID[,PID]] [-t TID[,TID]] [-G CGROUP] [-a]
 *              [-C CPUS] [-I MS] [--per-thread] [-x SEP] [-o FILE] [-- CMD ARGS]
 *
 * Runs CMD (counting it from its exec on, with all its threads and
 * children) or attaches to the targets until they exit or Ctrl-C. -I prints
 * the counts of each interval; -x prints perf's CSV layout
 * ([time,]value,unit,event,run_ns,percent_running,,), which scope-toplev
 * --replay reads. Default events: task-clock, context-switches,
 * cpu-migrations, page-faults.
 */
#include <scope/scope.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: scope-stat [-e EVENTS]... [-p PID[,PID]] [-t TID[,TID]] [-G CGROUP] [-a]\n"
            "                  [-C CPUS] [-I MS] [--per-thread] [-x SEP] [-o FILE] [-- CMD ARGS]\n"
            "  -e EVENTS      events in perf's forms, {groups}, modifiers :u :k :h\n"
            "  -p / -t        attach to processes (all threads) / threads\n"
            "  -G CGROUP      count a cgroup (path, absolute or under /sys/fs/cgroup)\n"
            "  -a, -C CPUS    count all CPUs / the listed CPUs system-wide\n"
            "  -I MS          print every MS milliseconds (counts of the interval)\n"
            "  --per-thread   one row per thread of the -p processes (or of CMD)\n"
            "  -x SEP         CSV with separator SEP (perf stat -x layout)\n"
            "  -o FILE        write the counts to FILE\n");
}

struct opts {
    char *events;
    const char *pids, *tids, *cgroup, *cpus, *out, *sep;
    int all_cpus, per_thread;
    long interval_ms;
};

static int add_list(scope_pmu *p, const char *list, int tid)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return SCOPE_ENOMEM;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(t, &end, 10);
        if (*end || v <= 0) {
            fprintf(stderr, "scope-stat: '%s' is not a %s id\n", t, tid ? "thread" : "process");
            rc = SCOPE_EINVAL;
            break;
        }
        rc = tid ? scope_pmu_add_tid(p, (int)v) : scope_pmu_add_pid(p, (int)v);
    }
    free(copy);
    return rc;
}

static int is_clock(const char *ev)
{
    return !strncmp(ev, "task-clock", 10) || !strncmp(ev, "cpu-clock", 9);
}

/* Prints the counts since @prev (NULL: since start); stores the current
 * values into @prev. */
static void print_counts(FILE *f, const struct opts *o, scope_pmu *p, double t, double *prev,
                         uint64_t *prev_en, uint64_t *prev_run, size_t cap)
{
    size_t nev = scope_pmu_event_count(p), nrows = scope_pmu_row_count(p);
    for (size_t r = 0; r < nrows; r++) {
        int target, pid, tid;
        const char *name;
        scope_pmu_row_info(p, r, &target, &pid, &tid, &name);
        char rowname[300] = "";
        if (target == SCOPE_PMU_THREAD && o->per_thread)
            snprintf(rowname, sizeof rowname, "%s-%d", name, tid);
        for (size_t e = 0; e < nev; e++) {
            double scaled;
            uint64_t en, run;
            scope_pmu_value(p, r, e, NULL, &scaled, NULL);
            scope_pmu_times(p, r, e, &en, &run);
            size_t k = r * nev + e;
            double v = scaled;
            uint64_t den = en, drun = run;
            if (prev && k < cap) {
                v = scaled - prev[k];
                den = en - prev_en[k];
                drun = run - prev_run[k];
                prev[k] = scaled;
                prev_en[k] = en;
                prev_run[k] = run;
            }
            const char *ev = scope_pmu_event_name(p, e);
            const char *unit = scope_pmu_event_unit(p, e);
            if (is_clock(ev)) {
                v /= 1e6;
                unit = "msec";
            }
            /* task events run only while their task is on a CPU: an idle
             * interval reads 0, and only a never-scheduled event is
             * <not counted> */
            double pct = den ? 100.0 * (double)drun / (double)den : 100.0;
            int counted = run > 0;
            if (o->sep) {
                const char *s = o->sep;
                if (t >= 0)
                    fprintf(f, "%.9f%s", t, s);
                if (rowname[0])
                    fprintf(f, "%s%s", rowname, s);
                if (counted)
                    fprintf(f, is_clock(ev) ? "%.2f" : "%.0f", v);
                else
                    fputs("<not counted>", f);
                fprintf(f, "%s%s%s%s%s%llu%s%.2f%s%s\n", s, unit, s, ev, s,
                        (unsigned long long)drun, s, pct, s, s);
            } else {
                char val[64];
                if (counted)
                    snprintf(val, sizeof val, is_clock(ev) ? "%.2f" : "%.0f", v);
                else
                    snprintf(val, sizeof val, "<not counted>");
                if (t >= 0)
                    fprintf(f, "%14.9f ", t);
                if (rowname[0])
                    fprintf(f, "%-20s ", rowname);
                fprintf(f, "%18s %-5s %-32s", val, unit, ev);
                if (counted && pct < 99.995)
                    fprintf(f, "  (%.2f%% running, scaled)", pct);
                fputc('\n', f);
            }
        }
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    size_t evcap = 0, evlen = 0;
    static const struct option lo[] = {{"per-thread", no_argument, NULL, 1},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+e:p:t:G:aC:I:x:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'e': {
            size_t l = strlen(optarg);
            if (evlen + l + 2 > evcap) {
                evcap = (evlen + l + 2) * 2;
                char *n = realloc(o.events, evcap);
                if (!n)
                    return 1;
                o.events = n;
            }
            if (evlen)
                o.events[evlen++] = ',';
            memcpy(o.events + evlen, optarg, l + 1);
            evlen += l;
            break;
        }
        case 'p': o.pids = optarg; break;
        case 't': o.tids = optarg; break;
        case 'G': o.cgroup = optarg; break;
        case 'a': o.all_cpus = 1; break;
        case 'C': o.cpus = optarg; break;
        case 'I': o.interval_ms = strtol(optarg, NULL, 10); break;
        case 'x': o.sep = optarg; break;
        case 'o': o.out = optarg; break;
        case 1: o.per_thread = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    char **cmd = optind < argc ? argv + optind : NULL;
    int have_target = o.pids || o.tids || o.cgroup || o.all_cpus || o.cpus;
    if (!cmd && !have_target) {
        fprintf(stderr, "scope-stat: give a command to run or a target (-p, -t, -G, -a, -C)\n");
        usage(stderr);
        free(o.events);
        return 2;
    }
    if (o.interval_ms < 0 || (o.interval_ms > 0 && o.interval_ms < 10)) {
        fprintf(stderr, "scope-stat: -I %ld: use at least 10 ms\n", o.interval_ms);
        free(o.events);
        return 2;
    }
    FILE *out = stderr;
    if (o.out && !(out = fopen(o.out, "w"))) {
        fprintf(stderr, "scope-stat: cannot write %s: %s\n", o.out, strerror(errno));
        free(o.events);
        return 1;
    }
    scope_pmu_opts po = SCOPE_PMU_OPTS_INIT;
    po.per_thread = o.per_thread;
    scope_pmu *p = NULL;
    int rc = scope_pmu_new(&p, o.events ? o.events
                                        : "task-clock,context-switches,cpu-migrations,page-faults",
                           &po);
    free(o.events);
    if (rc) {
        fprintf(stderr, "scope-stat: %s\n", scope_error_message());
        return 1;
    }
    if ((o.pids && add_list(p, o.pids, 0)) || (o.tids && add_list(p, o.tids, 1)) ||
        (o.cgroup && scope_pmu_add_cgroup(p, o.cgroup)) ||
        ((o.all_cpus || o.cpus) && scope_pmu_add_cpus(p, o.all_cpus ? NULL : o.cpus))) {
        fprintf(stderr, "scope-stat: %s\n", scope_error_message());
        scope_pmu_free(p);
        return 1;
    }
    /* A command waits on a pipe until its counters are open. */
    pid_t child = -1;
    int go[2] = {-1, -1};
    if (cmd) {
        if (pipe(go)) {
            perror("scope-stat: pipe");
            return 1;
        }
        child = fork();
        if (child < 0) {
            perror("scope-stat: fork");
            return 1;
        }
        if (child == 0) {
            close(go[1]);
            char b;
            if (read(go[0], &b, 1) != 1)
                _exit(127);
            close(go[0]);
            execvp(cmd[0], cmd);
            fprintf(stderr, "scope-stat: cannot run %s: %s\n", cmd[0], strerror(errno));
            _exit(127);
        }
        close(go[0]);
        if (!have_target && (rc = scope_pmu_add_pid(p, child))) {
            fprintf(stderr, "scope-stat: %s\n", scope_error_message());
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            scope_pmu_free(p);
            return 1;
        }
    }
    if ((rc = scope_pmu_start(p))) {
        fprintf(stderr, "scope-stat: %s\n", scope_error_message());
        if (child > 0) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
        }
        scope_pmu_free(p);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (child > 0) {
        if (write(go[1], "g", 1) != 1)
            perror("scope-stat: starting the command");
        close(go[1]);
    }
    size_t cap = 0;
    double *prev = NULL;
    uint64_t *prev_en = NULL, *prev_run = NULL;
    int status = 0, child_done = child < 0;
    struct timespec next = t0;
    while (!stop_flag) {
        if (o.interval_ms > 0) {
            next.tv_nsec += (o.interval_ms % 1000) * 1000000L;
            next.tv_sec += o.interval_ms / 1000 + next.tv_nsec / 1000000000L;
            next.tv_nsec %= 1000000000L;
        } else {
            struct timespec n;
            clock_gettime(CLOCK_MONOTONIC, &n);
            next = n;
            next.tv_nsec += 100000000L;
            next.tv_sec += next.tv_nsec / 1000000000L;
            next.tv_nsec %= 1000000000L;
        }
        /* sleep in small steps so that a finished command ends the wait */
        for (;;) {
            struct timespec n;
            clock_gettime(CLOCK_MONOTONIC, &n);
            if (stop_flag || n.tv_sec > next.tv_sec ||
                (n.tv_sec == next.tv_sec && n.tv_nsec >= next.tv_nsec))
                break;
            if (child > 0 && !child_done && waitpid(child, &status, WNOHANG) == child) {
                child_done = 1;
                break;
            }
            struct timespec step = {0, 10000000L};
            nanosleep(&step, NULL);
        }
        int rrc = scope_pmu_read(p);
        if (rrc && rrc != SCOPE_EGONE) {
            fprintf(stderr, "scope-stat: %s\n", scope_error_message());
            break;
        }
        if (o.interval_ms > 0) {
            size_t need = scope_pmu_row_count(p) * scope_pmu_event_count(p);
            if (need > cap) {
                double *np = realloc(prev, need * sizeof *np);
                uint64_t *ne = realloc(prev_en, need * sizeof *ne);
                uint64_t *nr = realloc(prev_run, need * sizeof *nr);
                if (np)
                    prev = np;
                if (ne)
                    prev_en = ne;
                if (nr)
                    prev_run = nr;
                if (!np || !ne || !nr)
                    break;
                memset(prev + cap, 0, (need - cap) * sizeof *prev);
                memset(prev_en + cap, 0, (need - cap) * sizeof *prev_en);
                memset(prev_run + cap, 0, (need - cap) * sizeof *prev_run);
                cap = need;
            }
            struct timespec n;
            clock_gettime(CLOCK_MONOTONIC, &n);
            double t = (double)(n.tv_sec - t0.tv_sec) + (double)(n.tv_nsec - t0.tv_nsec) / 1e9;
            print_counts(out, &o, p, t, prev, prev_en, prev_run, cap);
            fflush(out);
        }
        if (child_done && child > 0)
            break;
        if (rrc == SCOPE_EGONE)
            break;
        if (o.per_thread && scope_pmu_rescan(p) < 0)
            fprintf(stderr, "scope-stat: %s\n", scope_error_message());
    }
    scope_pmu_read(p);
    if (!o.sep)
        fprintf(out, "\n Performance counter stats (libscope %s):\n\n", scope_version());
    if (!o.interval_ms || !o.sep)
        print_counts(out, &o, p, -1, NULL, NULL, NULL, 0);
    const char *notes = scope_pmu_notes(p);
    if (notes[0])
        fprintf(stderr, "scope-stat: note: %s\n", notes);
    scope_pmu_free(p);
    free(prev);
    free(prev_en);
    free(prev_run);
    if (o.out)
        fclose(out);
    if (child > 0 && !child_done) {
        kill(child, SIGTERM);
        waitpid(child, &status, 0);
    }
    if (child > 0 && WIFEXITED(status))
        return WEXITSTATUS(status);
    return 0;
}
