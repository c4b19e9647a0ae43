/* Top-down as a collector: topdown_fraction per row and node, per interval. */
#include "../pmu/pmu_priv.h"
#include "topdown_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 48

struct tdcoll {
    scope_topdown *td;
    scope_pmu *pmu;
    int metric;
    size_t nnodes; /* the recipe's node list, from a dry run */
    const char *name[MAXN], *parent[MAXN], *core[MAXN];
    int level[MAXN];
    size_t *slot0; /* per row */
    double *prev;  /* per row x event: scaled value at the previous sample */
    unsigned char *ended;
    size_t rows_cap;
};

static int grow(struct tdcoll *tc, size_t rows)
{
    if (rows <= tc->rows_cap)
        return 0;
    size_t nev = scope_topdown_event_count(tc->td);
    size_t *s = realloc(tc->slot0, rows * sizeof *s);
    if (s)
        tc->slot0 = s;
    double *p = realloc(tc->prev, rows * nev * sizeof *p);
    if (p)
        tc->prev = p;
    unsigned char *e = realloc(tc->ended, rows);
    if (e)
        tc->ended = e;
    if (!s || !p || !e)
        return scope__enomem("top-down collector rows");
    memset(tc->prev + tc->rows_cap * nev, 0, (rows - tc->rows_cap) * nev * sizeof *p);
    memset(tc->ended + tc->rows_cap, 0, rows - tc->rows_cap);
    tc->rows_cap = rows;
    return 0;
}

static int add_row(scope_collector *c, struct tdcoll *tc, size_t r)
{
    char pid_s[16], tid_s[16], level_s[4];
    const char *k[12], *v[12];
    size_t n = 0;
    k[n] = "recipe";
    v[n++] = scope_topdown_recipe(tc->td);
    scope__pmu_row_labels(tc->pmu, r, k, v, &n, pid_s, tid_s);
    size_t base = n;
    for (size_t i = 0; i < tc->nnodes; i++) {
        n = base;
        k[n] = "node";
        v[n++] = tc->name[i];
        snprintf(level_s, sizeof level_s, "%d", tc->level[i]);
        k[n] = "level";
        v[n++] = level_s;
        if (tc->parent[i]) {
            k[n] = "parent";
            v[n++] = tc->parent[i];
        }
        if (tc->core[i]) {
            k[n] = "core";
            v[n++] = tc->core[i];
        }
        int s = scope__collector_add_slot(c, (size_t)tc->metric, k, v, n);
        if (s < 0)
            return s;
        if (i == 0)
            tc->slot0[r] = (size_t)s;
    }
    return 0;
}

static int tc_start(scope_collector *c)
{
    struct tdcoll *tc = c->impl;
    int rc = scope_pmu_start(tc->pmu);
    if (rc)
        return rc;
    tc->rows_cap = 0;
    if ((rc = grow(tc, tc->pmu->nrows)))
        goto fail;
    for (size_t r = 0; r < tc->pmu->nrows; r++)
        if ((rc = add_row(c, tc, r)))
            goto fail;
    return 0;
fail:
    scope_pmu_stop(tc->pmu);
    return rc;
}

static int tc_rescan(scope_collector *c)
{
    struct tdcoll *tc = c->impl;
    size_t before = tc->pmu->nrows;
    int rc = scope_pmu_rescan(tc->pmu);
    if (rc < 0)
        return rc;
    if ((rc = grow(tc, tc->pmu->nrows)))
        return rc;
    for (size_t r = before; r < tc->pmu->nrows; r++)
        if ((rc = add_row(c, tc, r)))
            return rc;
    return (int)(tc->pmu->nrows - before);
}

static int tc_sample(scope_collector *c, int64_t wall_ns)
{
    struct tdcoll *tc = c->impl;
    scope_pmu *p = tc->pmu;
    int rrc = scope_pmu_read(p);
    if (rrc && rrc != SCOPE_EGONE)
        return rrc;
    size_t nev = scope_topdown_event_count(tc->td);
    for (size_t r = 0; r < p->nrows && r < tc->rows_cap; r++) {
        if (tc->ended[r])
            continue;
        const struct scope__prow *row = &p->rows[r];
        double *prev = tc->prev + r * nev;
        scope_topdown_reset(tc->td);
        for (size_t e = 0; e < nev; e++) {
            double d = row->scaled[e] - prev[e];
            prev[e] = row->scaled[e];
            scope__topdown_add_index(tc->td, e, d > 0 ? d : 0);
        }
        if (scope_topdown_compute(tc->td) == 0) {
            for (size_t i = 0; i < scope_topdown_node_count(tc->td); i++) {
                const char *name, *core;
                double v;
                scope_topdown_node_at(tc->td, i, &name, NULL, NULL, &core, &v);
                for (size_t k = 0; k < tc->nnodes; k++)
                    if (tc->name[k] == name && tc->core[k] == core) {
                        scope__collector_put(c, tc->slot0[r] + k, v);
                        break;
                    }
            }
        }
        if (row->gone) {
            tc->ended[r] = 1;
            for (size_t k = 0; k < tc->nnodes; k++)
                scope__collector_end_slot(c, tc->slot0[r] + k, wall_ns);
        }
    }
    return rrc;
}

static void tc_stop(scope_collector *c)
{
    struct tdcoll *tc = c->impl;
    scope_pmu_stop(tc->pmu);
}

static void tc_destroy(scope_collector *c)
{
    struct tdcoll *tc = c->impl;
    scope_pmu_free(tc->pmu);
    scope_topdown_free(tc->td);
    free(tc->slot0);
    free(tc->prev);
    free(tc->ended);
    free(tc);
}

static const struct scope__collector_ops td_ops = {
    .type = "topdown",
    .start = tc_start,
    .sample = tc_sample,
    .rescan = tc_rescan,
    .stop = tc_stop,
    .destroy = tc_destroy,
};

SCOPE_API int scope_topdown_collector_new(scope_collector **out, scope_topdown *td,
                                          scope_pmu *p)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_collector_new: out is NULL");
    *out = NULL;
    if (!td || !p)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_collector_new: NULL argument");
    if (p->started || p->ev.n != scope_topdown_event_count(td))
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_topdown_collector_new: the counter set is started or was not "
                            "made by scope_topdown_pmu_new for this recipe");
    struct tdcoll *tc = calloc(1, sizeof *tc);
    if (!tc)
        return scope__enomem("a top-down collector");
    tc->td = td;
    tc->pmu = p;
    /* The node list: a dry run with every count 1 (all nodes appear). */
    scope_topdown_reset(td);
    for (size_t e = 0; e < scope_topdown_event_count(td); e++)
        scope__topdown_add_index(td, e, 1.0);
    int rc = scope_topdown_compute(td);
    if (rc) {
        free(tc);
        return scope__error(SCOPE_EINTERNAL, 0, "top-down %s: the dry run failed: %s",
                            scope_topdown_recipe(td), scope_error_message());
    }
    for (size_t i = 0; i < scope_topdown_node_count(td) && i < MAXN; i++) {
        scope_topdown_node_at(td, i, &tc->name[i], &tc->level[i], &tc->parent[i], &tc->core[i],
                              NULL);
        tc->nnodes++;
    }
    scope_topdown_reset(td);
    char name[64];
    snprintf(name, sizeof name, "topdown:%s", scope_topdown_recipe(td));
    scope_collector *c;
    if ((rc = scope__collector_new(&c, &td_ops, tc, name))) {
        free(tc);
        return rc;
    }
    int m = scope__collector_add_metric(c, "topdown_fraction", "ratio", SCOPE_GAUGE,
                                        "Top-down (TMA) node: fraction of the pipeline slots of "
                                        "the interval since the previous sample");
    if (m < 0) {
        tc->td = NULL;
        tc->pmu = NULL;
        scope_collector_free(c);
        return m;
    }
    tc->metric = m;
    *out = c;
    return 0;
}
