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

int scope__perf_csv_line(const char *line, struct scope__csv_rec *out)
{
    memset(out, 0, sizeof *out);
    out->time = -1;
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
    /* -I output starts with a timestamp, and then the value: a unit is never
     * a number */
    size_t v = 0;
    if (n >= 4 && is_number(f[0], fl[0], 0) &&
        (is_number(f[1], fl[1], 0) || (fl[1] && f[1][0] == '<'))) {
        char buf[64];
        if (fl[0] >= sizeof buf)
            return -1;
        memcpy(buf, f[0], fl[0]);
        buf[fl[0]] = '\0';
        out->time = strtod(buf, NULL);
        v = 1;
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

SCOPE_API int scope_topdown_replay_csv(scope_topdown *td, const char *path,
                                       scope_topdown_interval_cb cb, void *user_data)
{
    if (!td || !path)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_replay_csv: NULL argument");
    FILE *f = fopen(path, "r");
    if (!f)
        return scope__error_sys(errno == ENOENT ? SCOPE_ENOENT : scope__code_from_errno(errno),
                                errno, "open %s", path);
    size_t nev = scope_topdown_event_count(td);
    double *total = calloc(nev ? nev : 1, sizeof *total);
    unsigned char *tseen = calloc(nev ? nev : 1, 1);
    if (!total || !tseen) {
        fclose(f);
        free(total);
        free(tseen);
        return scope__enomem("a CSV replay");
    }
    char line[4096];
    int rc = 0, intervals = 0, interval_mode = -1, pending = 0;
    double cur_t = -1;
    long lineno = 0;
    scope_topdown_reset(td);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        struct scope__csv_rec r;
        int k = scope__perf_csv_line(line, &r);
        if (k == 1)
            continue;
        if (k < 0) {
            rc = scope__error(SCOPE_EPARSE, 0, "%s:%ld: not a `perf stat -x,` line: %.80s", path,
                              lineno, line);
            break;
        }
        int mode = r.time >= 0;
        if (interval_mode < 0)
            interval_mode = mode;
        else if (interval_mode != mode) {
            rc = scope__error(SCOPE_EPARSE, 0, "%s:%ld: mixes interval (-I) and summary lines",
                              path, lineno);
            break;
        }
        if (pending && mode && r.time != cur_t) {
            if ((rc = scope_topdown_compute(td)))
                break;
            intervals++;
            if (cb && cb(td, cur_t, user_data)) {
                rc = scope__error(SCOPE_EUSER, 0, "the interval callback stopped the replay");
                break;
            }
            scope_topdown_reset(td);
            pending = 0;
        }
        cur_t = r.time;
        if (r.not_counted)
            continue;
        int i = scope__topdown_find(td, r.event);
        if (i < 0)
            continue; /* an event of another analysis */
        scope_topdown_add(td, r.event, r.value);
        total[i] += r.value;
        tseen[i] = 1;
        pending = 1;
    }
    fclose(f);
    if (!rc && pending) {
        if (!(rc = scope_topdown_compute(td))) {
            intervals++;
            if (cb && cb(td, interval_mode ? cur_t : -1, user_data))
                rc = scope__error(SCOPE_EUSER, 0, "the interval callback stopped the replay");
        }
    }
    if (!rc && !intervals)
        rc = scope__error(SCOPE_EPARSE, 0, "%s holds no count of the %s recipe's events", path,
                          scope_topdown_recipe(td));
    if (!rc && interval_mode == 1) {
        /* the whole run: summed counts (slot-weighted), never averaged fractions */
        scope__topdown_set_counts(td, total, tseen);
        if (!(rc = scope_topdown_compute(td)) && cb && cb(td, -1, user_data))
            rc = scope__error(SCOPE_EUSER, 0, "the interval callback stopped the replay");
    }
    free(total);
    free(tseen);
    return rc ? rc : intervals;
}
