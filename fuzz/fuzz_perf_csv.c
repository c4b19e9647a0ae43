// corpus: topdown
/* `perf stat -x, [-I N] [--per-thread | -A]` CSV import: every line through
 * the line parser, and the whole input replayed through the skylake and
 * amdzen4 top-down recipes, aggregated and per row (the replays read a
 * path: a memfd serves). Seeds: tests/fixtures/topdown, which holds plain,
 * per-thread and per-CPU files, real perf outputs among them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "topdown/topdown_priv.h"
#include "scope/topdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static scope_topdown *td[2];
static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char root[4096];
    const char *cpu[2] = {"skylake", "amdzen4"};
    const char *m[2] = {"skylake", "amdzen4"};
    for (int i = 0; i < 2; i++) {
        snprintf(root, sizeof root, "%s/tests/fixtures/sysfs/%s", SCOPE_SOURCE_DIR, m[i]);
        scope_topdown_opts o = SCOPE_TOPDOWN_OPTS_INIT;
        o.cpu = cpu[i];
        o.sysfs_root = root;
        o.smt = 1;
        if (scope_topdown_new(&td[i], &o)) {
            fprintf(stderr, "fuzz_perf_csv: no %s recipe: %s\n", cpu[i], scope_error_message());
            td[i] = NULL;
        }
    }
    memfd = memfd_create("fuzz_perf_csv", 0);
    return 0;
}

static int on_interval(scope_topdown *t, double t_s, void *ud)
{
    (void)t;
    (void)t_s;
    ++*(int *)ud;
    return 0;
}

struct rows {
    int totals, others;
};

static int on_row(scope_topdown *t, double t_s, const scope_topdown_row *row, void *ud)
{
    (void)t_s;
    struct rows *r = ud;
    if (row->kind == SCOPE_TOPDOWN_ROW_TOTAL) {
        r->totals++;
    } else {
        /* a row names its thread or CPU */
        if (!row->label || row->id < 0 || (row->kind == SCOPE_TOPDOWN_ROW_THREAD && !row->comm))
            abort();
        r->others++;
    }
    if (!scope_topdown_node_count(t))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = '\0';
    struct scope__csv_rec r;
    for (char *line = z, *nl; line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        scope__perf_csv_line(line, &r);
    }
    free(z);
    if (memfd >= 0 && ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
        for (int i = 0; i < 2; i++) {
            if (!td[i])
                continue;
            scope_topdown_reset(td[i]);
            int n = 0;
            int rc = scope_topdown_replay_csv(td[i], path, on_interval, &n);
            /* every interval computed reaches the callback (and the whole
             * run too, for -I input) */
            if (rc > 0 && n != rc && n != rc + 1)
                abort();
            /* the rows replay agrees: the same totals, rows besides */
            struct rows r = {0, 0};
            int rc2 = scope_topdown_replay_csv_rows(td[i], path, on_row, &r);
            if (rc2 != rc || (rc > 0 && r.totals != n))
                abort();
        }
    }
    return 0;
}
