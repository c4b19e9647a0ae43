/*
 * scope-toplev: toplev-style top-down level 1 / 2 on libscope's public API.
 *
 *   scope-toplev [-l1|-l2] [-I MS] [--thread] [-p PID] [--cpu NAME] [--json]
 *                [-- CMD ARGS]
 *   scope-toplev --replay FILE --cpu NAME [-l1|-l2] [--json]
 *
 * Live: counts the recipe's events on the process (or the command) and
 * prints the node fractions per interval and at the end. --replay reads
 * `perf stat -x, [-I N] [--per-thread | -A] -e <events>` output (print the
 * event list with --print-events): per-thread and per-CPU files give one
 * block per thread / CPU and one for their total. --json prints one object
 * per interval (and row: with "thread" and "tid", or "cpu", or "total").
 * Exits non-zero with the reason when the CPU cannot be analysed (no core
 * PMU, unknown CPU: the nearest recipe is named).
 */
#include <scope/scope.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;
static int json;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: scope-toplev [-l1|-l2] [-I MS] [--thread] [-p PID] [--cpu NAME] [--json]\n"
               "                    [-- CMD ARGS]\n"
               "       scope-toplev --replay FILE --cpu NAME [-l1|-l2] [--json]\n"
               "         (FILE: perf stat -x, [-I N] [--per-thread | -A] output)\n"
               "       scope-toplev --print-events [--cpu NAME] [-l1|-l2]\n"
               "  recipes: skylake skylakex icelake icelakex sapphirerapids alderlake amdzen4 "
               "amdzen5\n");
}

/* A JSON string (thread names may hold any byte but NUL). */
static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* @who: the thread name of a live --thread row, or NULL; @row: the
 * replayed row (thread, CPU, or total), or NULL. */
static void print_nodes(scope_topdown *td, double t, const char *who,
                        const scope_topdown_row *row)
{
    size_t n = scope_topdown_node_count(td);
    if (json) {
        printf("{\"time\":");
        if (t >= 0)
            printf("%.9f", t);
        else
            printf("null");
        printf(",\"recipe\":\"%s\",\"level\":%d", scope_topdown_recipe(td),
               scope_topdown_level(td));
        if (row && row->kind == SCOPE_TOPDOWN_ROW_THREAD) {
            printf(",\"thread\":");
            json_str(row->comm);
            printf(",\"tid\":%lld", (long long)row->id);
        } else if (row && row->kind == SCOPE_TOPDOWN_ROW_CPU)
            printf(",\"cpu\":%lld", (long long)row->id);
        else if (row && row->label)
            printf(",\"total\":true");
        else if (who) {
            printf(",\"thread\":");
            json_str(who);
        }
        printf(",\"nodes\":[");
        for (size_t i = 0; i < n; i++) {
            const char *name, *parent, *core;
            int level;
            double v;
            scope_topdown_node_at(td, i, &name, &level, &parent, &core, &v);
            printf("%s{\"name\":\"%s\",\"level\":%d,\"parent\":", i ? "," : "", name, level);
            printf(parent ? "\"%s\"" : "%s", parent ? parent : "null");
            printf(",\"core\":");
            printf(core ? "\"%s\"" : "%s", core ? core : "null");
            printf(",\"value\":%.6f}", v);
        }
        printf("]}\n");
        return;
    }
    if (t >= 0)
        printf("# interval ending at %.3f s", t);
    else
        printf("# whole run");
    if (row && row->kind == SCOPE_TOPDOWN_ROW_THREAD)
        printf(" (%s level %d) thread %s", scope_topdown_recipe(td), scope_topdown_level(td),
               row->label);
    else if (row && row->kind == SCOPE_TOPDOWN_ROW_CPU)
        printf(" (%s level %d) cpu %lld", scope_topdown_recipe(td), scope_topdown_level(td),
               (long long)row->id);
    else if (row && row->label)
        printf(" (%s level %d) total", scope_topdown_recipe(td), scope_topdown_level(td));
    else
        printf(" (%s level %d)%s%s", scope_topdown_recipe(td), scope_topdown_level(td),
               who ? " thread " : "", who ? who : "");
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const char *name, *core;
        int level;
        double v;
        scope_topdown_node_at(td, i, &name, &level, NULL, &core, &v);
        printf("%s%-*s %-22s %6.1f%%\n", level == 2 ? "    " : "", level == 2 ? 8 : 12,
               core ? core : "", name, 100.0 * v);
    }
}

static int on_row(scope_topdown *td, double t, const scope_topdown_row *row, void *u)
{
    (void)u;
    print_nodes(td, t, NULL, row);
    return 0;
}

int main(int argc, char **argv)
{
    const char *replay = NULL, *cpu = NULL, *pid_s = NULL;
    int level = 1, per_thread = 0, print_events = 0;
    long interval_ms = 0;
    static const struct option lo[] = {{"replay", required_argument, NULL, 'r'},
                                       {"cpu", required_argument, NULL, 'c'},
                                       {"thread", no_argument, NULL, 't'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"print-events", no_argument, NULL, 'P'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+l:I:p:h", lo, NULL)) != -1) {
        switch (c) {
        case 'l': level = atoi(optarg); break;
        case 'I': interval_ms = strtol(optarg, NULL, 10); break;
        case 'p': pid_s = optarg; break;
        case 'r': replay = optarg; break;
        case 'c': cpu = optarg; break;
        case 't': per_thread = 1; break;
        case 'j': json = 1; break;
        case 'P': print_events = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (level != 1 && level != 2) {
        fprintf(stderr, "scope-toplev: -l%d: use -l1 or -l2\n", level);
        return 2;
    }
    if (replay && !cpu) {
        fprintf(stderr, "scope-toplev: --replay needs --cpu NAME (the recipe the file was "
                        "recorded for)\n");
        return 2;
    }
    scope_topdown_opts to = SCOPE_TOPDOWN_OPTS_INIT;
    to.cpu = cpu;
    to.level = level;
    scope_topdown *td;
    if (scope_topdown_new(&td, &to)) {
        fprintf(stderr, "scope-toplev: %s\n", scope_error_message());
        return 1;
    }
    if (print_events) {
        printf("%s\n", scope_topdown_events(td));
        scope_topdown_free(td);
        return 0;
    }
    if (replay) {
        int rc = scope_topdown_replay_csv_rows(td, replay, on_row, NULL);
        if (rc < 0)
            fprintf(stderr, "scope-toplev: %s\n", scope_error_message());
        scope_topdown_free(td);
        return rc < 0 ? 1 : 0;
    }
    char **cmd = optind < argc ? argv + optind : NULL;
    if (!cmd && !pid_s) {
        fprintf(stderr, "scope-toplev: give -p PID, a command, or --replay FILE --cpu NAME\n");
        scope_topdown_free(td);
        return 2;
    }
    scope_pmu_opts po = SCOPE_PMU_OPTS_INIT;
    po.per_thread = per_thread;
    scope_pmu *p;
    if (scope_topdown_pmu_new(&p, td, &po)) {
        fprintf(stderr, "scope-toplev: %s\n", scope_error_message());
        scope_topdown_free(td);
        return 1;
    }
    pid_t child = -1;
    int go[2] = {-1, -1};
    int rc = 0;
    if (cmd) {
        if (pipe(go) || (child = fork()) < 0) {
            perror("scope-toplev");
            return 1;
        }
        if (child == 0) {
            close(go[1]);
            char b;
            if (read(go[0], &b, 1) != 1)
                _exit(127);
            execvp(cmd[0], cmd);
            fprintf(stderr, "scope-toplev: cannot run %s: %s\n", cmd[0], strerror(errno));
            _exit(127);
        }
        close(go[0]);
        rc = scope_pmu_add_pid(p, child);
    } else {
        rc = scope_pmu_add_pid(p, atoi(pid_s));
    }
    if (!rc)
        rc = scope_pmu_start(p);
    if (rc) {
        fprintf(stderr, "scope-toplev: %s\n", scope_error_message());
        if (child > 0) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
        }
        scope_pmu_free(p);
        scope_topdown_free(td);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    if (child > 0) {
        if (write(go[1], "g", 1) != 1)
            perror("scope-toplev");
        close(go[1]);
    }
    size_t nev = scope_topdown_event_count(td), cap = 0;
    double *prev = NULL;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int done = 0, status = 0;
    long slept = 0;
    while (!done) {
        struct timespec step = {0, 10000000L};
        nanosleep(&step, NULL);
        slept += 10;
        if (child > 0 && waitpid(child, &status, WNOHANG) == child)
            done = 1;
        if (stop_flag)
            done = 1;
        int interval_due = interval_ms > 0 && slept >= interval_ms;
        if (!interval_due && !done)
            continue;
        slept = 0;
        int rrc = scope_pmu_read(p);
        if (rrc == SCOPE_EGONE)
            done = 1;
        else if (rrc) {
            fprintf(stderr, "scope-toplev: %s\n", scope_error_message());
            break;
        }
        size_t rows = scope_pmu_row_count(p);
        if (rows * nev > cap) {
            double *np = realloc(prev, rows * nev * sizeof *np);
            if (!np)
                break;
            memset(np + cap, 0, (rows * nev - cap) * sizeof *np);
            prev = np;
            cap = rows * nev;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        for (size_t r = 0; r < rows; r++) {
            scope_topdown_reset(td);
            for (size_t e = 0; e < nev; e++) {
                double v;
                const char *key;
                scope_pmu_value(p, r, e, NULL, &v, NULL);
                scope_topdown_event_at(td, e, &key, NULL);
                /* -I: the interval's counts; otherwise the whole run */
                scope_topdown_add(td, key, interval_ms > 0 && v >= prev[r * nev + e]
                                               ? v - prev[r * nev + e]
                                               : v);
                prev[r * nev + e] = v;
            }
            const char *name = NULL;
            scope_pmu_row_info(p, r, NULL, NULL, NULL, &name);
            if (scope_topdown_compute(td) == 0)
                print_nodes(td, interval_ms > 0 ? t : -1, per_thread ? name : NULL, NULL);
            else if (!json)
                printf("# %.3f s%s%s: %s\n", t, per_thread ? " " : "", per_thread ? name : "",
                       scope_error_message());
        }
        fflush(stdout);
        if (per_thread)
            scope_pmu_rescan(p);
    }
    const char *notes = scope_pmu_notes(p);
    if (notes[0])
        fprintf(stderr, "scope-toplev: note: %s\n", notes);
    free(prev);
    scope_pmu_free(p);
    scope_topdown_free(td);
    if (child > 0 && !WIFEXITED(status)) {
        kill(child, SIGTERM);
        waitpid(child, &status, 0);
    }
    return 0;
}
