/* scope_pmu as a collector: perf_<event>_total, _raw_total, _running_ratio. */
#include "pmu_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcoll {
    scope_pmu *pmu;
    int *metric;    /* 3 per event */
    size_t *slot0;  /* per row: first slot (3 per event) */
    size_t nrowslots;
    unsigned char *ended;
};

void scope__pmu_row_labels(const scope_pmu *p, size_t r, const char **keys, const char **vals,
                           size_t *n, char *pid_s, char *tid_s)
{
    const struct scope__prow *row = &p->rows[r];
    size_t nl = *n;
    keys[nl] = "target";
    vals[nl++] = scope_pmu_target_name(row->target);
    snprintf(pid_s, 16, "%d", row->pid);
    snprintf(tid_s, 16, "%d", row->tid);
    switch (row->target) {
    case SCOPE_PMU_SELF:
    case SCOPE_PMU_THREAD:
        if (row->pid) {
            keys[nl] = "pid";
            vals[nl++] = pid_s;
        }
        keys[nl] = "tid";
        vals[nl++] = tid_s;
        keys[nl] = "thread";
        vals[nl++] = row->name;
        break;
    case SCOPE_PMU_PROCESS:
        keys[nl] = "pid";
        vals[nl++] = pid_s;
        keys[nl] = "comm";
        vals[nl++] = row->name;
        break;
    case SCOPE_PMU_CGROUP:
        keys[nl] = "cgroup";
        vals[nl++] = row->name;
        break;
    default:
        keys[nl] = "cpus";
        vals[nl++] = row->name;
        break;
    }
    *n = nl;
}

static int add_row_slots(scope_collector *c, struct pcoll *pc, size_t r)
{
    scope_pmu *p = pc->pmu;
    char pid_s[16], tid_s[16];
    const char *keys[6], *vals[6];
    size_t nl = 0;
    scope__pmu_row_labels(p, r, keys, vals, &nl, pid_s, tid_s);
    keys[nl] = "event";
    size_t ev_label = nl++;
    for (size_t e = 0; e < p->ev.n; e++) {
        vals[ev_label] = p->ev.ev[e].name;
        for (int k = 0; k < 3; k++) {
            int s = scope__collector_add_slot(c, (size_t)pc->metric[3 * e + (size_t)k], keys, vals,
                                              nl);
            if (s < 0)
                return s;
            if (e == 0 && k == 0)
                pc->slot0[r] = (size_t)s;
        }
    }
    return 0;
}

static int grow_rows(struct pcoll *pc, size_t n)
{
    if (n <= pc->nrowslots)
        return 0;
    size_t *s = realloc(pc->slot0, n * sizeof *s);
    if (!s)
        return scope__enomem("collector rows");
    pc->slot0 = s;
    unsigned char *e = realloc(pc->ended, n);
    if (!e)
        return scope__enomem("collector rows");
    pc->ended = e;
    memset(pc->ended + pc->nrowslots, 0, n - pc->nrowslots);
    pc->nrowslots = n;
    return 0;
}

static int pc_start(scope_collector *c)
{
    struct pcoll *pc = c->impl;
    int rc = scope_pmu_start(pc->pmu);
    if (rc)
        return rc;
    pc->nrowslots = 0;
    if ((rc = grow_rows(pc, pc->pmu->nrows)))
        goto fail;
    for (size_t r = 0; r < pc->pmu->nrows; r++)
        if ((rc = add_row_slots(c, pc, r)))
            goto fail;
    return 0;
fail:
    scope_pmu_stop(pc->pmu);
    return rc;
}

static int pc_rescan(scope_collector *c)
{
    struct pcoll *pc = c->impl;
    size_t before = pc->pmu->nrows;
    int rc = scope_pmu_rescan(pc->pmu);
    if (rc < 0)
        return rc;
    if ((rc = grow_rows(pc, pc->pmu->nrows)))
        return rc;
    for (size_t r = before; r < pc->pmu->nrows; r++)
        if ((rc = add_row_slots(c, pc, r)))
            return rc;
    return (int)(pc->pmu->nrows - before);
}

static int pc_sample(scope_collector *c, int64_t wall_ns)
{
    struct pcoll *pc = c->impl;
    scope_pmu *p = pc->pmu;
    int rc = scope_pmu_read(p);
    if (rc && rc != SCOPE_EGONE)
        return rc;
    for (size_t r = 0; r < p->nrows && r < pc->nrowslots; r++) {
        const struct scope__prow *row = &p->rows[r];
        if (pc->ended[r])
            continue;
        size_t s = pc->slot0[r];
        for (size_t e = 0; e < p->ev.n; e++, s += 3) {
            scope__collector_put(c, s, row->scaled[e]);
            scope__collector_put(c, s + 1, (double)row->raw[e]);
            scope__collector_put(c, s + 2,
                                 row->en[e] ? (double)row->run[e] / (double)row->en[e] : 0.0);
        }
        if (row->gone) { /* the final values above, then the series end */
            pc->ended[r] = 1;
            for (size_t k = 0; k < 3 * p->ev.n; k++)
                scope__collector_end_slot(c, pc->slot0[r] + k, wall_ns);
        }
    }
    return rc;
}

static void pc_stop(scope_collector *c)
{
    struct pcoll *pc = c->impl;
    scope_pmu_stop(pc->pmu);
}

static void pc_destroy(scope_collector *c)
{
    struct pcoll *pc = c->impl;
    scope_pmu_free(pc->pmu);
    free(pc->metric);
    free(pc->slot0);
    free(pc->ended);
    free(pc);
}

static const struct scope__collector_ops pmu_ops = {
    .type = "pmu",
    .start = pc_start,
    .sample = pc_sample,
    .rescan = pc_rescan,
    .stop = pc_stop,
    .destroy = pc_destroy,
};

/* perf_<event>_<suffix> with non-alphanumeric runs as '_'. */
static char *metric_name(const char *ev, const char *suffix)
{
    scope__buf b = {0};
    scope__buf_puts(&b, "perf_");
    int under = 1;
    for (const char *q = ev; *q; q++) {
        unsigned char ch = (unsigned char)*q;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
            char lc = (char)((ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch);
            scope__buf_append(&b, &lc, 1);
            under = 0;
        } else if (!under) {
            scope__buf_append(&b, "_", 1);
            under = 1;
        }
    }
    if (b.len && b.data[b.len - 1] == '_')
        b.data[--b.len] = '\0';
    scope__buf_printf(&b, "_%s", suffix);
    if (b.failed) {
        scope__buf_free(&b);
        return NULL;
    }
    return b.data;
}

SCOPE_API int scope_pmu_collector_new(scope_collector **out, scope_pmu *p)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_collector_new: out is NULL");
    *out = NULL;
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_collector_new: the counter set is NULL");
    if (p->started)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_collector_new: the counter set is "
                            "started; hand it over before scope_pmu_start (the collector "
                            "starts it)");
    struct pcoll *pc = calloc(1, sizeof *pc);
    if (!pc || !(pc->metric = calloc(3 * p->ev.n, sizeof *pc->metric))) {
        free(pc);
        return scope__enomem("a PMU collector");
    }
    pc->pmu = p;
    char name[64];
    snprintf(name, sizeof name, "pmu:%zu-events", p->ev.n);
    scope_collector *c;
    int rc = scope__collector_new(&c, &pmu_ops, pc, name);
    if (rc) {
        free(pc->metric);
        free(pc);
        return rc;
    }
    static const char *const suffix[3] = {"total", "raw_total", "running_ratio"};
    for (size_t e = 0; e < p->ev.n; e++) {
        for (int k = 0; k < 3; k++) {
            char *mn = metric_name(p->ev.ev[e].name, suffix[k]);
            char help[256];
            snprintf(help, sizeof help,
                     k == 0   ? "%s: count scaled by time_enabled/time_running (and sysfs .scale)"
                     : k == 1 ? "%s: raw count, unscaled"
                              : "%s: time_running/time_enabled of its group",
                     p->ev.ev[e].name);
            int m = mn ? scope__collector_add_metric(c, mn,
                                                     k == 2 ? "ratio"
                                                     : k == 0 && p->ev.ev[e].unit[0]
                                                         ? p->ev.ev[e].unit
                                                         : "1",
                                                     k == 2 ? SCOPE_GAUGE : SCOPE_COUNTER, help)
                       : SCOPE_ENOMEM;
            free(mn);
            if (m < 0) {
                pc->pmu = NULL; /* the caller keeps @p */
                scope_collector_free(c);
                return m == SCOPE_ENOMEM ? scope__enomem("a PMU collector") : m;
            }
            pc->metric[3 * e + (size_t)k] = m;
        }
    }
    *out = c;
    return 0;
}
