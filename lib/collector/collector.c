/* The common collector machinery: metrics, slots, and sampling into a set. */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

int scope__collector_new(scope_collector **out, const struct scope__collector_ops *ops, void *impl,
                         const char *name)
{
    scope_collector *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return scope__enomem("a collector");
    }
    c->ops = ops;
    c->impl = impl;
    *out = c;
    return 0;
}

int scope__collector_add_metric(scope_collector *c, const char *name, const char *unit, int kind,
                                const char *help)
{
    for (size_t i = 0; i < c->nmetrics; i++)
        if (strcmp(c->metrics[i].name, name) == 0)
            return (int)i;
    if (scope__grow((void **)&c->metrics, &c->metrics_cap, c->nmetrics + 1, sizeof *c->metrics))
        return scope__enomem("collector metrics");
    struct scope__metric *m = &c->metrics[c->nmetrics];
    m->name = scope__strdup(name);
    m->unit = scope__strdup(unit ? unit : "");
    m->help = scope__strdup(help ? help : "");
    m->kind = kind;
    if (!m->name || !m->unit || !m->help) {
        free(m->name);
        free(m->unit);
        free(m->help);
        return scope__enomem("a metric description");
    }
    return (int)c->nmetrics++;
}

static void slot_free(struct scope__slot *s)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->keys[i]);
        free(s->values[i]);
    }
    free(s->keys);
    free(s->values);
}

int scope__collector_add_slot(scope_collector *c, size_t metric, const char *const *keys,
                              const char *const *values, size_t nlabels)
{
    if (metric >= c->nmetrics)
        return scope__error(SCOPE_EINTERNAL, 0, "collector %s: slot for unknown metric %zu",
                            c->name, metric);
    size_t vcap = c->slots_cap;
    if (scope__grow((void **)&c->slots, &c->slots_cap, c->nslots + 1, sizeof *c->slots))
        return scope__enomem("collector slots");
    if (c->slots_cap != vcap || !c->values) {
        double *v = realloc(c->values, c->slots_cap * sizeof *v);
        if (!v)
            return scope__enomem("collector values");
        c->values = v;
        unsigned char *p = realloc(c->present, c->slots_cap);
        if (!p)
            return scope__enomem("collector values");
        c->present = p;
    }
    struct scope__slot *s = &c->slots[c->nslots];
    memset(s, 0, sizeof *s);
    s->metric = metric;
    if (nlabels) {
        s->keys = calloc(nlabels, sizeof *s->keys);
        s->values = calloc(nlabels, sizeof *s->values);
        if (!s->keys || !s->values) {
            slot_free(s);
            return scope__enomem("slot labels");
        }
        for (size_t i = 0; i < nlabels; i++) {
            s->keys[i] = strdup(keys[i]);
            s->values[i] = strdup(values[i]);
            s->nlabels = i + 1;
            if (!s->keys[i] || !s->values[i]) {
                slot_free(s);
                return scope__enomem("slot labels");
            }
        }
    }
    c->present[c->nslots] = 0;
    return (int)c->nslots++;
}

void scope__collector_clear_slots(scope_collector *c)
{
    for (size_t i = 0; i < c->nslots; i++)
        slot_free(&c->slots[i]);
    c->nslots = 0;
    scope__binding_reset(&c->own);
}

void scope__collector_end_slot(scope_collector *c, size_t slot, int64_t end_ns)
{
    if (slot < c->nslots && !c->slots[slot].end_ns)
        c->slots[slot].end_ns = end_ns;
}

void scope__binding_reset(struct scope__binding *b)
{
    free(b->series);
    memset(b, 0, sizeof *b);
}

/* Finds or creates the series for slot @i in @set with the extra labels. */
static int bind_slot(scope_collector *c, size_t i, scope_series **out, scope_series_set *set,
                     const char *const *xk, const char *const *xv, size_t nx)
{
    const struct scope__slot *s = &c->slots[i];
    const struct scope__metric *m = &c->metrics[s->metric];
    const char *keys[80], *vals[80];
    size_t n = 0;
    for (size_t k = 0; k < s->nlabels && n < 64; k++, n++) {
        keys[n] = s->keys[k];
        vals[n] = s->values[k];
    }
    for (size_t k = 0; k < nx && n < 80; k++) {
        int dup = 0;
        for (size_t j = 0; j < s->nlabels; j++)
            dup |= strcmp(s->keys[j], xk[k]) == 0;
        if (!dup) {
            keys[n] = xk[k];
            vals[n++] = xv[k];
        }
    }
    return scope_series_set_add(out, set, m->name, keys, vals, n, m->unit, m->kind, m->help);
}

int scope__collector_sample_into(scope_collector *c, struct scope__binding *b,
                                 scope_series_set *set, int64_t wall_ns,
                                 const char *const *xk, const char *const *xv, size_t nx)
{
    if (b->set != set) {
        scope__binding_reset(b);
        b->set = set;
    }
    if (c->nslots)
        memset(c->present, 0, c->nslots);
    int rc = c->ops->sample(c, wall_ns);
    if (rc && rc != SCOPE_EGONE)
        return rc;
    if (scope__grow((void **)&b->series, &b->cap, c->nslots, sizeof *b->series))
        return scope__enomem("series bindings");
    for (; b->n < c->nslots; b->n++)
        b->series[b->n] = NULL;
    for (size_t i = 0; i < c->nslots; i++) {
        const struct scope__slot *s = &c->slots[i];
        if (!c->present[i] && !s->end_ns)
            continue;
        if (!b->series[i]) {
            if (!c->present[i])
                continue; /* ended before it ever gave a value: no series */
            int brc = bind_slot(c, i, &b->series[i], set, xk, xv, nx);
            if (brc)
                return brc;
        }
        if (c->present[i]) {
            /* A series restarted after a stop/start may see an older
             * timestamp only if the clock stepped; the recorder's clock
             * never steps backwards. */
            int arc = scope_series_append(b->series[i], wall_ns, c->values[i]);
            if (arc)
                return arc;
        }
        if (s->end_ns)
            scope__series_end(b->series[i], s->end_ns);
    }
    return rc;
}

SCOPE_API int scope_collector_start(scope_collector *c)
{
    if (!c)
        return scope__error(SCOPE_EINVAL, 0, "scope_collector_start: collector is NULL");
    if (c->started)
        return scope__error(SCOPE_ESTATE, 0, "collector %s is already started", c->name);
    scope__collector_clear_slots(c);
    int rc = c->ops->start(c);
    if (rc) {
        c->ops->stop(c);
        scope__collector_clear_slots(c);
        return rc;
    }
    c->started = 1;
    return 0;
}

SCOPE_API int scope_collector_sample(scope_collector *c, scope_series_set *set)
{
    if (!c || !set)
        return scope__error(SCOPE_EINVAL, 0, "scope_collector_sample: NULL argument");
    if (!c->started)
        return scope__error(SCOPE_ESTATE, 0,
                            "collector %s is not started: call scope_collector_start() first",
                            c->name);
    return scope__collector_sample_into(c, &c->own, set, scope__wall_ns(), NULL, NULL, 0);
}

SCOPE_API int scope_collector_rescan(scope_collector *c)
{
    if (!c)
        return scope__error(SCOPE_EINVAL, 0, "scope_collector_rescan: collector is NULL");
    if (!c->ops->rescan)
        return scope__error(SCOPE_ENOTSUP, 0, "collector %s (%s) has nothing to rescan",
                            c->name, c->ops->type);
    if (!c->started)
        return scope__error(SCOPE_ESTATE, 0, "collector %s is not started", c->name);
    return c->ops->rescan(c);
}

SCOPE_API int scope_collector_stop(scope_collector *c)
{
    if (!c)
        return scope__error(SCOPE_EINVAL, 0, "scope_collector_stop: collector is NULL");
    if (c->started) {
        c->ops->stop(c);
        c->started = 0;
    }
    return 0;
}

SCOPE_API void scope_collector_free(scope_collector *c)
{
    if (!c)
        return;
    scope_collector_stop(c);
    if (c->ops->destroy)
        c->ops->destroy(c);
    scope__collector_clear_slots(c);
    for (size_t i = 0; i < c->nmetrics; i++) {
        free(c->metrics[i].name);
        free(c->metrics[i].unit);
        free(c->metrics[i].help);
    }
    free(c->metrics);
    free(c->slots);
    free(c->values);
    free(c->present);
    scope__binding_reset(&c->own);
    free(c->name);
    free(c);
}

SCOPE_API const char *scope_collector_name(const scope_collector *c) { return c ? c->name : NULL; }
SCOPE_API size_t scope_collector_metric_count(const scope_collector *c)
{
    return c ? c->nmetrics : 0;
}

SCOPE_API int scope_collector_metric_at(const scope_collector *c, size_t i, const char **name,
                                        const char **unit, int *kind, const char **help)
{
    if (!c || i >= c->nmetrics)
        return scope__error(SCOPE_EINVAL, 0, "scope_collector_metric_at: index %zu out of range",
                            i);
    const struct scope__metric *m = &c->metrics[i];
    if (name) *name = m->name;
    if (unit) *unit = m->unit;
    if (kind) *kind = m->kind;
    if (help) *help = m->help;
    return 0;
}
