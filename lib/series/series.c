/* The series model: identities (name + sorted labels), columns, set
 * operations. Lookup by identity goes through an open-addressing hash. */
#include "../internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scope_series {
    char *name, *unit, *help;
    int kind;
    char **keys, **values; /* sorted by key */
    size_t nlabels;
    int64_t *ts;
    double *v;
    size_t n, cap;
    int64_t end_ns;
    uint64_t hash;
};

struct scope_series_set {
    scope_series **items;
    size_t n, cap;
    size_t *table; /* index + 1, 0 = empty; size is a power of two */
    size_t tsize;
};

#define MAX_LABELS 64

SCOPE_API const char *scope_metric_kind_name(int kind)
{
    switch (kind) {
    case SCOPE_GAUGE: return "gauge";
    case SCOPE_COUNTER: return "counter";
    default: return "unknown";
    }
}

static int valid_name(const char *s, int colon_ok)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (colon_ok && c == ':');
        if (!alpha && !(p != s && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    h ^= 0xff; /* separator, so ("ab","c") != ("a","bc") */
    h *= 1099511628211ULL;
    return h;
}

/* Sorts label indices by key (insertion sort: label sets are small). */
static void sort_idx(size_t *idx, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    for (size_t i = 1; i < n; i++) {
        size_t t = idx[i], j = i;
        while (j > 0 && strcmp(keys[idx[j - 1]], keys[t]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = t;
    }
}

static int check_labels(const char *name, const char *const *keys, const char *const *values,
                        size_t n, size_t *idx)
{
    if (!valid_name(name, 1))
        return scope__error(SCOPE_EINVAL, 0,
                            "metric name \"%s\" is invalid: use [a-zA-Z_:][a-zA-Z0-9_:]*",
                            name ? name : "(null)");
    if (n > MAX_LABELS)
        return scope__error(SCOPE_EINVAL, 0, "series %s has %zu labels: at most %d are allowed",
                            name, n, MAX_LABELS);
    if (n && (!keys || !values))
        return scope__error(SCOPE_EINVAL, 0, "series %s: label arrays are NULL but nlabels is %zu",
                            name, n);
    for (size_t i = 0; i < n; i++) {
        if (!valid_name(keys[i], 0) || (keys[i][0] == '_' && keys[i][1] == '_'))
            return scope__error(SCOPE_EINVAL, 0,
                                "series %s: label key \"%s\" is invalid: use "
                                "[a-zA-Z_][a-zA-Z0-9_]* not starting with \"__\"",
                                name, keys[i] ? keys[i] : "(null)");
        if (!values[i])
            return scope__error(SCOPE_EINVAL, 0, "series %s: label %s has a NULL value", name,
                                keys[i]);
    }
    sort_idx(idx, keys, n);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[idx[i - 1]], keys[idx[i]]) == 0)
            return scope__error(SCOPE_EINVAL, 0, "series %s: label key \"%s\" appears twice",
                                name, keys[idx[i]]);
    return 0;
}

static uint64_t ident_hash(const char *name, const char *const *keys, const char *const *values,
                           const size_t *idx, size_t n)
{
    uint64_t h = fnv(14695981039346656037ULL, name);
    for (size_t i = 0; i < n; i++) {
        h = fnv(h, keys[idx[i]]);
        h = fnv(h, values[idx[i]]);
    }
    return h;
}

static int same_ident(const scope_series *s, uint64_t h, const char *name,
                      const char *const *keys, const char *const *values, const size_t *idx,
                      size_t n)
{
    if (s->hash != h || s->nlabels != n || strcmp(s->name, name) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->keys[i], keys[idx[i]]) || strcmp(s->values[i], values[idx[i]]))
            return 0;
    return 1;
}

static scope_series *lookup(const scope_series_set *set, uint64_t h, const char *name,
                            const char *const *keys, const char *const *values,
                            const size_t *idx, size_t n)
{
    if (!set->tsize)
        return NULL;
    size_t mask = set->tsize - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        size_t e = set->table[i];
        if (!e)
            return NULL;
        scope_series *s = set->items[e - 1];
        if (same_ident(s, h, name, keys, values, idx, n))
            return s;
    }
}

static int rehash(scope_series_set *set, size_t tsize)
{
    size_t *t = calloc(tsize, sizeof *t);
    if (!t)
        return SCOPE_ENOMEM;
    for (size_t k = 0; k < set->n; k++) {
        size_t i = (size_t)set->items[k]->hash & (tsize - 1);
        while (t[i])
            i = (i + 1) & (tsize - 1);
        t[i] = k + 1;
    }
    free(set->table);
    set->table = t;
    set->tsize = tsize;
    return 0;
}

SCOPE_API int scope_series_set_new(scope_series_set **out)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_set_new: out is NULL");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return scope__enomem("a series set");
    return 0;
}

static void series_free(scope_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nlabels; i++) {
        free(s->keys[i]);
        free(s->values[i]);
    }
    free(s->keys);
    free(s->values);
    free(s->name);
    free(s->unit);
    free(s->help);
    free(s->ts);
    free(s->v);
    free(s);
}

SCOPE_API void scope_series_set_free(scope_series_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        series_free(set->items[i]);
    free(set->items);
    free(set->table);
    free(set);
}

SCOPE_API size_t scope_series_set_count(const scope_series_set *set)
{
    return set ? set->n : 0;
}

SCOPE_API scope_series *scope_series_set_at(const scope_series_set *set, size_t i)
{
    return set && i < set->n ? set->items[i] : NULL;
}

static scope_series *series_new(const char *name, const char *const *keys,
                                const char *const *values, const size_t *idx, size_t n,
                                const char *unit, int kind, const char *help, uint64_t h)
{
    scope_series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->kind = kind;
    s->hash = h;
    s->name = strdup(name);
    s->unit = strdup(unit ? unit : "");
    s->help = strdup(help ? help : "");
    if (n) {
        s->keys = calloc(n, sizeof *s->keys);
        s->values = calloc(n, sizeof *s->values);
    }
    if (!s->name || !s->unit || !s->help || (n && (!s->keys || !s->values))) {
        series_free(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        s->keys[i] = strdup(keys[idx[i]]);
        s->values[i] = strdup(values[idx[i]]);
        s->nlabels = i + 1;
        if (!s->keys[i] || !s->values[i]) {
            series_free(s);
            return NULL;
        }
    }
    return s;
}

static int insert(scope_series_set *set, scope_series *s)
{
    if (scope__grow((void **)&set->items, &set->cap, set->n + 1, sizeof *set->items))
        return SCOPE_ENOMEM;
    if ((set->n + 1) * 2 > set->tsize && rehash(set, set->tsize ? set->tsize * 2 : 16))
        return SCOPE_ENOMEM;
    set->items[set->n++] = s;
    size_t mask = set->tsize - 1, i = (size_t)s->hash & mask;
    while (set->table[i])
        i = (i + 1) & mask;
    set->table[i] = set->n;
    return 0;
}

SCOPE_API int scope_series_set_add(scope_series **out, scope_series_set *set, const char *name,
                                   const char *const *keys, const char *const *values,
                                   size_t nlabels, const char *unit, int kind, const char *help)
{
    size_t idx[MAX_LABELS];
    if (out)
        *out = NULL;
    if (!set)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_set_add: set is NULL");
    int rc = check_labels(name, keys, values, nlabels, idx);
    if (rc)
        return rc;
    if (kind != SCOPE_GAUGE && kind != SCOPE_COUNTER)
        return scope__error(SCOPE_EINVAL, 0,
                            "series %s: kind %d is neither SCOPE_GAUGE (1) nor SCOPE_COUNTER (2)",
                            name, kind);
    uint64_t h = ident_hash(name, keys, values, idx, nlabels);
    scope_series *s = lookup(set, h, name, keys, values, idx, nlabels);
    if (s) {
        if (s->kind != kind || strcmp(s->unit, unit ? unit : ""))
            return scope__error(SCOPE_EINVAL, 0,
                                "series %s exists already as a %s in \"%s\": it cannot be added "
                                "again as a %s in \"%s\"",
                                name, scope_metric_kind_name(s->kind), s->unit,
                                scope_metric_kind_name(kind), unit ? unit : "");
    } else {
        s = series_new(name, keys, values, idx, nlabels, unit, kind, help, h);
        if (!s)
            return scope__enomem("a series");
        if (insert(set, s)) {
            series_free(s);
            return scope__enomem("the series set's index");
        }
    }
    if (out)
        *out = s;
    return 0;
}

SCOPE_API int scope_series_set_find(scope_series **out, const scope_series_set *set,
                                    const char *name, const char *const *keys,
                                    const char *const *values, size_t nlabels)
{
    size_t idx[MAX_LABELS];
    if (!out || !set)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_set_find: out or set is NULL");
    *out = NULL;
    int rc = check_labels(name, keys, values, nlabels, idx);
    if (rc)
        return rc;
    *out = lookup(set, ident_hash(name, keys, values, idx, nlabels), name, keys, values, idx,
                  nlabels);
    if (!*out)
        return scope__error(SCOPE_ENOENT, 0,
                            "no series %s with those %zu labels in this set (it has %zu series)",
                            name, nlabels, set->n);
    return 0;
}

/* Adds a series with the identity of @src (labels already sorted). */
static int add_like(scope_series **out, scope_series_set *set, const scope_series *src,
                    const char *unit, int kind)
{
    return scope_series_set_add(out, set, src->name, (const char *const *)src->keys,
                                (const char *const *)src->values, src->nlabels,
                                unit ? unit : src->unit, kind ? kind : src->kind, src->help);
}

SCOPE_API int scope_series_reserve(scope_series *s, size_t n)
{
    if (!s)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_reserve: series is NULL");
    if (n <= s->cap)
        return 0;
    int64_t *ts = realloc(s->ts, n * sizeof *ts);
    if (!ts)
        return scope__enomem("series timestamps");
    s->ts = ts;
    double *v = realloc(s->v, n * sizeof *v);
    if (!v)
        return scope__enomem("series values");
    s->v = v;
    s->cap = n;
    return 0;
}

static int ensure(scope_series *s, size_t extra)
{
    if (s->n + extra <= s->cap)
        return 0;
    size_t nc = s->cap ? s->cap : 16;
    while (nc < s->n + extra)
        nc *= 2;
    return scope_series_reserve(s, nc);
}

SCOPE_API int scope_series_append(scope_series *s, int64_t ts_ns, double value)
{
    if (!s)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_append: series is NULL");
    if (s->end_ns)
        return scope__error(SCOPE_EINVAL, 0, "series %s ended at %lld ns: no more points",
                            s->name, (long long)s->end_ns);
    if (s->n && ts_ns < s->ts[s->n - 1])
        return scope__error(SCOPE_EINVAL, 0,
                            "series %s: timestamp %lld ns is before the last one (%lld ns); "
                            "points must come in time order (merge sets to interleave)",
                            s->name, (long long)ts_ns, (long long)s->ts[s->n - 1]);
    if (s->n == s->cap && ensure(s, 1))
        return SCOPE_ENOMEM;
    s->ts[s->n] = ts_ns;
    s->v[s->n] = value;
    s->n++;
    return 0;
}

SCOPE_API int scope_series_append_n(scope_series *s, const int64_t *ts, const double *v, size_t n)
{
    if (!s || (n && (!ts || !v)))
        return scope__error(SCOPE_EINVAL, 0, "scope_series_append_n: NULL argument");
    if (s->end_ns)
        return scope__error(SCOPE_EINVAL, 0, "series %s has ended: no more points", s->name);
    for (size_t i = 0; i < n; i++) {
        int64_t prev = i ? ts[i - 1] : (s->n ? s->ts[s->n - 1] : INT64_MIN);
        if (ts[i] < prev)
            return scope__error(SCOPE_EINVAL, 0,
                                "series %s: point %zu (%lld ns) is before the previous one",
                                s->name, i, (long long)ts[i]);
    }
    if (ensure(s, n))
        return SCOPE_ENOMEM;
    if (n) {
        memcpy(s->ts + s->n, ts, n * sizeof *ts);
        memcpy(s->v + s->n, v, n * sizeof *v);
    }
    s->n += n;
    return 0;
}

void scope__series_end(scope_series *s, int64_t end_ns)
{
    if (!s->end_ns)
        s->end_ns = end_ns ? end_ns : 1;
}

void scope__series_set_trim(scope_series_set *set, size_t keep)
{
    for (size_t k = 0; k < set->n; k++) {
        scope_series *s = set->items[k];
        if (s->n <= 2 * keep)
            continue;
        memmove(s->ts, s->ts + s->n - keep, keep * sizeof *s->ts);
        memmove(s->v, s->v + s->n - keep, keep * sizeof *s->v);
        s->n = keep;
    }
}

SCOPE_API int scope_series_end(scope_series *s, int64_t end_ns)
{
    if (!s)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_end: series is NULL");
    scope__series_end(s, end_ns);
    return 0;
}

SCOPE_API int64_t scope_series_end_time(const scope_series *s) { return s ? s->end_ns : 0; }
SCOPE_API const char *scope_series_name(const scope_series *s) { return s ? s->name : NULL; }
SCOPE_API const char *scope_series_unit(const scope_series *s) { return s ? s->unit : NULL; }
SCOPE_API const char *scope_series_help(const scope_series *s) { return s ? s->help : NULL; }
SCOPE_API int scope_series_kind(const scope_series *s) { return s ? s->kind : 0; }
SCOPE_API size_t scope_series_label_count(const scope_series *s) { return s ? s->nlabels : 0; }
SCOPE_API size_t scope_series_count(const scope_series *s) { return s ? s->n : 0; }

SCOPE_API const char *scope_series_label_key(const scope_series *s, size_t i)
{
    return s && i < s->nlabels ? s->keys[i] : NULL;
}

SCOPE_API const char *scope_series_label_value(const scope_series *s, size_t i)
{
    return s && i < s->nlabels ? s->values[i] : NULL;
}

SCOPE_API const char *scope_series_label(const scope_series *s, const char *key)
{
    if (!s || !key)
        return NULL;
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->keys[i], key) == 0)
            return s->values[i];
    return NULL;
}

SCOPE_API const int64_t *scope_series_timestamps(const scope_series *s)
{
    return s && s->n ? s->ts : NULL;
}

SCOPE_API const double *scope_series_values(const scope_series *s)
{
    return s && s->n ? s->v : NULL;
}

/* Merges the points of @b into @a in time order; on equal timestamps @b wins. */
static int merge_points(scope_series *a, const scope_series *b)
{
    if (!b->n)
        return 0;
    if (!a->n || b->ts[0] > a->ts[a->n - 1]) {
        if (ensure(a, b->n))
            return SCOPE_ENOMEM;
        memcpy(a->ts + a->n, b->ts, b->n * sizeof *b->ts);
        memcpy(a->v + a->n, b->v, b->n * sizeof *b->v);
        a->n += b->n;
        return 0;
    }
    size_t cap = a->n + b->n;
    int64_t *ts = malloc(cap * sizeof *ts);
    double *v = malloc(cap * sizeof *v);
    if (!ts || !v) {
        free(ts);
        free(v);
        return SCOPE_ENOMEM;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < a->n || j < b->n) {
        if (j >= b->n || (i < a->n && a->ts[i] < b->ts[j])) {
            ts[k] = a->ts[i];
            v[k++] = a->v[i++];
        } else {
            if (i < a->n && a->ts[i] == b->ts[j])
                i++; /* replaced by b's point */
            ts[k] = b->ts[j];
            v[k++] = b->v[j++];
        }
    }
    free(a->ts);
    free(a->v);
    a->ts = ts;
    a->v = v;
    a->n = k;
    a->cap = cap;
    return 0;
}

SCOPE_API int scope_series_set_merge(scope_series_set *dst, const scope_series_set *src)
{
    if (!dst || !src || dst == src)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_series_set_merge: dst and src must be two distinct sets");
    for (size_t k = 0; k < src->n; k++) {
        const scope_series *b = src->items[k];
        scope_series *a;
        int rc = add_like(&a, dst, b, NULL, 0);
        if (rc)
            return rc;
        if (merge_points(a, b))
            return scope__enomem("merged series points");
        if (b->end_ns && (!a->end_ns || b->end_ns > a->end_ns))
            a->end_ns = b->end_ns;
    }
    return 0;
}

static size_t lower_bound(const int64_t *ts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

SCOPE_API int scope_series_set_slice(scope_series_set **out, const scope_series_set *set,
                                     int64_t start_ns, int64_t end_ns)
{
    if (!out || !set)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_set_slice: NULL argument");
    *out = NULL;
    if (end_ns < start_ns)
        return scope__error(SCOPE_EINVAL, 0,
                            "slice window ends (%lld ns) before it starts (%lld ns)",
                            (long long)end_ns, (long long)start_ns);
    scope_series_set *r;
    int rc = scope_series_set_new(&r);
    if (rc)
        return rc;
    for (size_t k = 0; k < set->n; k++) {
        const scope_series *s = set->items[k];
        scope_series *d;
        rc = add_like(&d, r, s, NULL, 0);
        if (rc)
            goto fail;
        size_t a = lower_bound(s->ts, s->n, start_ns), b = lower_bound(s->ts, s->n, end_ns);
        if (b > a && (rc = scope_series_append_n(d, s->ts + a, s->v + a, b - a)))
            goto fail;
        if (s->end_ns && s->end_ns < end_ns)
            d->end_ns = s->end_ns;
    }
    *out = r;
    return 0;
fail:
    scope_series_set_free(r);
    return rc;
}

SCOPE_API int scope_series_set_rate(scope_series_set **out, const scope_series_set *set)
{
    if (!out || !set)
        return scope__error(SCOPE_EINVAL, 0, "scope_series_set_rate: NULL argument");
    *out = NULL;
    scope_series_set *r;
    int rc = scope_series_set_new(&r);
    if (rc)
        return rc;
    for (size_t k = 0; k < set->n; k++) {
        const scope_series *s = set->items[k];
        if (s->kind != SCOPE_COUNTER)
            continue;
        char unit[256];
        snprintf(unit, sizeof unit, "%s/s", s->unit[0] ? s->unit : "1");
        scope_series *d;
        if ((rc = add_like(&d, r, s, unit, SCOPE_GAUGE)))
            goto fail;
        if (s->n > 1 && (rc = scope_series_reserve(d, s->n - 1)))
            goto fail;
        for (size_t i = 1; i < s->n; i++) {
            int64_t dt = s->ts[i] - s->ts[i - 1];
            if (dt <= 0)
                continue;
            double dv = s->v[i] - s->v[i - 1];
            if (dv < 0)
                dv = s->v[i]; /* reset: the counter restarted from zero */
            d->ts[d->n] = s->ts[i];
            d->v[d->n++] = dv * 1e9 / (double)dt;
        }
        d->end_ns = s->end_ns;
    }
    *out = r;
    return 0;
fail:
    scope_series_set_free(r);
    return rc;
}
