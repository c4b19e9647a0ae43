/* Time and duration parsing for the Prometheus client and scope-prom. */
#include "prom_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Prometheus durations: a sequence of <int><unit> (y w d h m s ms), or a
 * plain (fractional) number of seconds. */
SCOPE_API int scope_prom_parse_duration(const char *s, int64_t *out_ns)
{
    if (!s || !*s || !out_ns)
        return scope__error(SCOPE_EINVAL, 0, "duration: empty or NULL");
    const char *p = s;
    char *end;
    errno = 0;
    double secs = strtod(p, &end);
    if (end != p && *end == '\0' && errno == 0) {
        if (!(secs >= 0 && secs < 9.2e9))
            return scope__error(SCOPE_EINVAL, 0, "duration \"%.60s\" is out of range", s);
        *out_ns = (int64_t)(secs * 1e9 + 0.5);
        return 0;
    }
    int64_t total = 0;
    int any = 0;
    while (*p) {
        if (*p < '0' || *p > '9')
            goto bad;
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > 1000000000LL)
                goto bad;
            v = v * 10 + (*p - '0');
            p++;
        }
        int64_t unit;
        if (p[0] == 'm' && p[1] == 's') {
            unit = 1000000LL;
            p += 2;
        } else {
            switch (*p) {
            case 'y': unit = 365LL * 86400 * 1000000000LL; break;
            case 'w': unit = 7LL * 86400 * 1000000000LL; break;
            case 'd': unit = 86400LL * 1000000000LL; break;
            case 'h': unit = 3600LL * 1000000000LL; break;
            case 'm': unit = 60LL * 1000000000LL; break;
            case 's': unit = 1000000000LL; break;
            default: goto bad;
            }
            p++;
        }
        if (v > INT64_MAX / unit || total > INT64_MAX - v * unit)
            goto bad;
        total += v * unit;
        any = 1;
    }
    if (!any)
        goto bad;
    *out_ns = total;
    return 0;
bad:
    return scope__error(SCOPE_EINVAL, 0,
                        "duration \"%.60s\" is invalid: use seconds (\"15\", \"0.5\") or "
                        "units ms s m h d w y (\"1m30s\", \"250ms\")",
                        s);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int parse_rfc3339(const char *s, int64_t *out)
{
    const char *p = s;
    int Y, M, D, h, m, sec;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
        digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' ||
        digits(&p, 2, &sec))
        return -1;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 9) {
                frac = frac * 10 + (*p - '0');
                n++;
            }
            p++;
        }
        if (!n)
            return -1;
        while (n++ < 9)
            frac *= 10;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *out = ((int64_t)t - off) * 1000000000LL + frac;
    return 0;
}

SCOPE_API int scope_prom_parse_time(const char *s, int64_t now_ns, int64_t *out_ns)
{
    if (!s || !*s || !out_ns)
        return scope__error(SCOPE_EINVAL, 0, "time: empty or NULL");
    if (!strcmp(s, "now")) {
        *out_ns = now_ns;
        return 0;
    }
    if (s[0] == '-' || s[0] == '+') {
        int64_t d;
        const char *q = s + 1;
        if (!strncmp(q, "now", 3))
            q += 3;
        if (*q && scope_prom_parse_duration(q, &d) == 0) {
            *out_ns = s[0] == '-' ? now_ns - d : now_ns + d;
            return 0;
        }
        goto bad;
    }
    if (strlen(s) >= 20 && s[4] == '-' && parse_rfc3339(s, out_ns) == 0)
        return 0;
    {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end != s && *end == '\0' && errno == 0 && v > -9.2e9 && v < 9.2e9 &&
            (s[0] >= '0' && s[0] <= '9')) {
            /* exact integer and fraction parts */
            const char *dot = strchr(s, '.');
            int64_t sec = strtoll(s, NULL, 10), frac = 0;
            if (dot) {
                int n = 0;
                for (const char *q = dot + 1; *q >= '0' && *q <= '9'; q++)
                    if (n < 9) {
                        frac = frac * 10 + (*q - '0');
                        n++;
                    }
                while (n++ < 9)
                    frac *= 10;
            }
            if (strpbrk(s, "eE"))
                *out_ns = (int64_t)(v * 1e9);
            else
                *out_ns = sec * 1000000000LL + frac;
            return 0;
        }
    }
bad:
    return scope__error(SCOPE_EINVAL, 0,
                        "time \"%.60s\" is invalid: use unix seconds (1700000000.5), RFC 3339 "
                        "(2023-11-15T07:00:00Z) or relative to now (now, -1h, -90s)",
                        s);
}
