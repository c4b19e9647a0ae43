/* `perf stat -x, [-I N]` CSV import for top-down replay. */
#include "../pmu/pmu_priv.h"
#include "topdown_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_number(const char *s, size_t n, int integer)
{
    if (!n)
        return 0;
    char buf[64];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    if (integer) {
        strtoull(buf, &e, 10);
        return isdigit((unsigned char)buf[0]) && !*e;
    }
    strtod(buf, &e);
    return (isdigit((unsigned char)buf[0]) || buf[0] == '-' || buf[0] == '.') && !*e;
}

/* A value field: a number or perf's <not counted> / <not supported>. */
static int is_value(const char *s, size_t n)
{
    return is_number(s, n, 0) || (n && s[0] == '<');
}

static int all_digits(const char *s, size_t n)
{
    if (!n || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* A row label: "CPU<n>" (-A) or "<comm>-<tid>" (--per-thread). */
static int row_label(const char *s, size_t n, int *kind, long long *id)
{
    if (!n || n >= sizeof((struct scope__csv_rec *)0)->row)
        return 0;
    char buf[16];
    if (n > 3 && !strncmp(s, "CPU", 3) && all_digits(s + 3, n - 3)) {
        memcpy(buf, s + 3, n - 3);
        buf[n - 3] = '\0';
        *kind = SCOPE_TOPDOWN_ROW_CPU;
        *id = strtoll(buf, NULL, 10);
        return 1;
    }
    size_t d = n;
    while (d && s[d - 1] != '-')
        d--;
    if (d < 2 || !all_digits(s + d, n - d))
        return 0;
    memcpy(buf, s + d, n - d);
    buf[n - d] = '\0';
    *kind = SCOPE_TOPDOWN_ROW_THREAD;
    *id = strtoll(buf, NULL, 10);
    return 1;
}

int scope__perf_csv_line(const char *line, struct scope__csv_rec *out)
{
    memset(out, 0, sizeof *out);
    out->time = -1;
    out->row_id = -1;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *p = line;
    while (len && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    if (!len || *p == '#')
        return 1;
    /* split on commas */
    const char *f[64];
    size_t fl[64], n = 0;
    const char *start = p;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == ',') {
            if (n == 64)
                return -1;
            f[n] = start;
            fl[n] = (size_t)(p + i - start);
            n++;
            start = p + i + 1;
        }
    }
    /* -I output starts with a timestamp, then (with --per-thread or -A) the
     * row, then the value: a unit is never a number nor a row label */
    size_t v = 0;
    int kind;
    long long id;
    if (n >= 4 && is_number(f[0], fl[0], 0) &&
        (is_value(f[1], fl[1]) ||
         (n >= 5 && row_label(f[1], fl[1], &kind, &id) && is_value(f[2], fl[2])))) {
        char buf[64];
        if (fl[0] >= sizeof buf)
            return -1;
        memcpy(buf, f[0], fl[0]);
        buf[fl[0]] = '\0';
        out->time = strtod(buf, NULL);
        v = 1;
    }
    if (n >= v + 4 && !is_value(f[v], fl[v])) {
        if (!row_label(f[v], fl[v], &kind, &id))
            return -1;
        memcpy(out->row, f[v], fl[v]);
        out->row[fl[v]] = '\0';
        out->row_kind = kind;
        out->row_id = id;
        v++;
    }
    if (n < v + 3)
        return -1;
    size_t ev0 = v + 2;
    /* the tail: run,pcnt[,metric,unit] */
    size_t tail = 0;
    if (n >= ev0 + 5 && is_number(f[n - 4], fl[n - 4], 1) && is_number(f[n - 3], fl[n - 3], 0))
        tail = 4;
    else if (n >= ev0 + 3 && is_number(f[n - 2], fl[n - 2], 1) &&
             is_number(f[n - 1], fl[n - 1], 0))
        tail = 2;
    else if (n >= ev0 + 5 && is_number(f[n - 4], fl[n - 4], 0) &&
             is_number(f[n - 3], fl[n - 3], 0))
        tail = 4;
    size_t ev_end = n - tail;
    if (ev_end <= ev0)
        return -1;
    size_t elen = (size_t)(f[ev_end - 1] + fl[ev_end - 1] - f[ev0]);
    if (elen == 0 || elen >= sizeof out->event)
        return -1;
    memcpy(out->event, f[ev0], elen);
    out->event[elen] = '\0';
    if (fl[v] && f[v][0] == '<') {
        out->not_counted = 1;
        return 0;
    }
    if (!is_number(f[v], fl[v], 0))
        return -1;
    char buf[64];
    memcpy(buf, f[v], fl[v]);
    buf[fl[v]] = '\0';
    out->value = strtod(buf, NULL);
    if (tail) {
        size_t pc = n - tail + 1;
        if (fl[pc] < sizeof buf) {
            memcpy(buf, f[pc], fl[pc]);
            buf[fl[pc]] = '\0';
            out->pcnt_running = strtod(buf, NULL);
        }
    }
    return 0;
}

/* --- replay ----------------------------------------------------------------------- */

/* Counts of one row (or of the total): this interval and the whole run. */
struct row {
    char *label, *comm;
    int kind;
    long long id;
    double *cnt, *tot;
    unsigned char *seen, *tseen;
    int any, tany; /* anything seen this interval / ever */
};

struct replay {
    scope_topdown *td;
    const char *path;
    size_t nev;
    struct row *rows;
    size_t nrows, cap, guess;
    struct row total;
    scope_topdown_row_cb cb;
    void *ud;
    int interval; /* index of the interval being flushed */
    int by_row; /* -1 unknown, 0 aggregated lines, 1 lines with rows */
};

#define MAX_ROWS 65536

static void row_free(struct row *r)
{
    free(r->label);
    free(r->comm);
    free(r->cnt);
    free(r->tot);
    free(r->seen);
    free(r->tseen);
}

static int row_init(struct row *r, size_t nev)
{
    memset(r, 0, sizeof *r);
    size_t k = nev ? nev : 1;
    r->cnt = calloc(k, sizeof *r->cnt);
    r->tot = calloc(k, sizeof *r->tot);
    r->seen = calloc(k, 1);
    r->tseen = calloc(k, 1);
    return r->cnt && r->tot && r->seen && r->tseen ? 0 : -1;
}

static struct row *row_find(struct replay *rp, const struct scope__csv_rec *rec)
{
    /* perf prints the rows in the same order for every event: try the next */
    for (size_t k = 0; k < 2 && rp->nrows; k++) {
        size_t i = (rp->guess + k) % rp->nrows;
        if (!strcmp(rp->rows[i].label, rec->row)) {
            rp->guess = i + 1;
            return &rp->rows[i];
        }
    }
    for (size_t i = 0; i < rp->nrows; i++)
        if (!strcmp(rp->rows[i].label, rec->row)) {
            rp->guess = i + 1;
            return &rp->rows[i];
        }
    if (rp->nrows >= MAX_ROWS) {
        scope__error(SCOPE_EPARSE, 0, "%s has more than %d threads / CPUs: not a perf stat file "
                     "libscope can replay", rp->path, MAX_ROWS);
        return NULL;
    }
    if (scope__grow((void **)&rp->rows, &rp->cap, rp->nrows + 1, sizeof *rp->rows)) {
        scope__enomem("a CSV replay row");
        return NULL;
    }
    struct row *r = &rp->rows[rp->nrows];
    if (row_init(r, rp->nev) || !(r->label = scope__strdup(rec->row))) {
        row_free(r);
        scope__enomem("a CSV replay row");
        return NULL;
    }
    r->kind = rec->row_kind;
    r->id = rec->row_id;
    if (r->kind == SCOPE_TOPDOWN_ROW_THREAD) {
        const char *dash = strrchr(rec->row, '-');
        r->comm = scope__strndup(rec->row, (size_t)(dash - rec->row));
        if (!r->comm) {
            row_free(r);
            scope__enomem("a CSV replay row");
            return NULL;
        }
    }
    rp->nrows++;
    return r;
}

static void add_count(struct row *r, size_t i, double v)
{
    r->cnt[i] += v;
    r->seen[i] = 1;
    r->tot[i] += v;
    r->tseen[i] = 1;
    r->any = r->tany = 1;
}

/* Computes @r from its interval (whole = 0) or whole-run counts and hands it
 * to the callback. A thread / CPU row that cannot compute is left out;
 * the total must. */
static int emit(struct replay *rp, struct row *r, double t, int whole)
{
    if (!(whole ? r->tany : r->any))
        return 0;
    scope__topdown_set_counts(rp->td, whole ? r->tot : r->cnt, whole ? r->tseen : r->seen);
    int rc = scope_topdown_compute(rp->td);
    if (rc && r != &rp->total && (rc == SCOPE_ENOENT || rc == SCOPE_EINVAL))
        return 0;
    if (rc)
        return rc;
    scope_topdown_row row = {sizeof row, r->kind, whole || t < 0 ? -1 : rp->interval,
                             r == &rp->total ? -1 : r->id,
                             r == &rp->total ? (rp->by_row == 1 ? "total" : NULL) : r->label,
                             r->comm};
    if (rp->cb && rp->cb(rp->td, t, &row, rp->ud))
        return scope__error(SCOPE_EUSER, 0, "the interval callback stopped the replay");
    return 0;
}

/* The interval ending at @t: every row, then the total; zeroes the interval
 * counts. */
static int flush(struct replay *rp, double t)
{
    int rc = 0;
    for (size_t i = 0; i < rp->nrows && !rc; i++)
        rc = emit(rp, &rp->rows[i], t, 0);
    if (!rc)
        rc = emit(rp, &rp->total, t, 0);
    for (size_t i = 0; i < rp->nrows; i++) {
        memset(rp->rows[i].cnt, 0, rp->nev * sizeof *rp->rows[i].cnt);
        memset(rp->rows[i].seen, 0, rp->nev);
        rp->rows[i].any = 0;
    }
    memset(rp->total.cnt, 0, rp->nev * sizeof *rp->total.cnt);
    memset(rp->total.seen, 0, rp->nev);
    rp->total.any = 0;
    rp->interval++;
    return rc;
}

static int replay(struct replay *rp, FILE *f)
{
    char line[4096];
    int rc = 0, intervals = 0, interval_mode = -1;
    double cur_t = -1;
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        struct scope__csv_rec r;
        int k = scope__perf_csv_line(line, &r);
        if (k == 1)
            continue;
        if (k < 0)
            return scope__error(SCOPE_EPARSE, 0, "%s:%ld: not a `perf stat -x,` line (plain, "
                                "--per-thread or -A, with or without -I): %.80s", rp->path,
                                lineno, line);
        int mode = r.time >= 0;
        if (interval_mode < 0)
            interval_mode = mode;
        else if (interval_mode != mode)
            return scope__error(SCOPE_EPARSE, 0, "%s:%ld: mixes interval (-I) and summary "
                                "lines", rp->path, lineno);
        int by_row = r.row_kind != 0;
        if (rp->by_row < 0)
            rp->by_row = by_row;
        else if (rp->by_row != by_row)
            return scope__error(SCOPE_EPARSE, 0, "%s:%ld: mixes per-thread / per-CPU lines "
                                "with aggregated ones", rp->path, lineno);
        if (rp->total.any && mode && r.time != cur_t) {
            if ((rc = flush(rp, cur_t)))
                return rc;
            intervals++;
        }
        cur_t = r.time;
        if (r.not_counted)
            continue;
        int i = scope__topdown_find(rp->td, r.event);
        if (i < 0)
            continue; /* an event of another analysis */
        if (!(r.value >= 0))
            continue; /* perf never prints negative counts; NaN-free */
        if (by_row) {
            struct row *row = row_find(rp, &r);
            if (!row)
                return scope_error_code();
            add_count(row, (size_t)i, r.value);
        }
        add_count(&rp->total, (size_t)i, r.value);
    }
    if (rp->total.any) {
        if ((rc = flush(rp, interval_mode ? cur_t : -1)))
            return rc;
        intervals++;
    }
    if (!intervals)
        return scope__error(SCOPE_EPARSE, 0, "%s holds no count of the %s recipe's events",
                            rp->path, scope_topdown_recipe(rp->td));
    if (interval_mode == 1) {
        /* the whole run: summed counts (slot-weighted), never averaged fractions */
        for (size_t i = 0; i < rp->nrows && !rc; i++)
            rc = emit(rp, &rp->rows[i], -1, 1);
        if (!rc)
            rc = emit(rp, &rp->total, -1, 1);
    }
    return rc ? rc : intervals;
}

SCOPE_API int scope_topdown_replay_csv_rows(scope_topdown *td, const char *path,
                                            scope_topdown_row_cb cb, void *user_data)
{
    if (!td || !path)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_replay_csv: NULL td or path");
    FILE *f = fopen(path, "r");
    if (!f)
        return scope__error_sys(errno == ENOENT ? SCOPE_ENOENT : scope__code_from_errno(errno),
                                errno, "open %s", path);
    struct replay rp;
    memset(&rp, 0, sizeof rp);
    rp.td = td;
    rp.path = path;
    rp.nev = scope_topdown_event_count(td);
    rp.cb = cb;
    rp.ud = user_data;
    rp.by_row = -1;
    int rc;
    if (row_init(&rp.total, rp.nev)) {
        rc = scope__enomem("a CSV replay");
    } else {
        rp.total.kind = SCOPE_TOPDOWN_ROW_TOTAL;
        rp.total.id = -1;
        scope_topdown_reset(td);
        rc = replay(&rp, f);
    }
    fclose(f);
    for (size_t i = 0; i < rp.nrows; i++)
        row_free(&rp.rows[i]);
    free(rp.rows);
    row_free(&rp.total);
    return rc;
}

/* scope_topdown_replay_csv: the total rows only. */
struct total_only {
    scope_topdown_interval_cb cb;
    void *ud;
};

static int total_only_cb(scope_topdown *td, double t_s, const scope_topdown_row *row, void *u)
{
    struct total_only *o = u;
    if (row->kind != SCOPE_TOPDOWN_ROW_TOTAL || !o->cb)
        return 0;
    return o->cb(td, t_s, o->ud);
}

SCOPE_API int scope_topdown_replay_csv(scope_topdown *td, const char *path,
                                       scope_topdown_interval_cb cb, void *user_data)
{
    struct total_only o = {cb, user_data};
    return scope_topdown_replay_csv_rows(td, path, total_only_cb, &o);
}
