/* Pure parsers of cgroup and /proc files: no allocation, no I/O. */
#include "cgroup_int.h"

#include <stdlib.h>
#include <string.h>

static const char *line_end(const char *p, const char *end)
{
    const char *e = memchr(p, '\n', (size_t)(end - p));
    return e ? e : end;
}

/* Parses "12.34" (PSI averages) at *p up to end. */
static int parse_dec(const char **p, const char *end, double *out)
{
    uint64_t ip = 0, fp = 0;
    double scale = 1.0;
    const char *q = *p;
    if (scope__parse_u64(&q, end, &ip))
        return -1;
    if (q < end && *q == '.') {
        q++;
        while (q < end && *q >= '0' && *q <= '9') {
            if (scale < 1e15) {
                fp = fp * 10 + (uint64_t)(*q - '0');
                scale *= 10.0;
            }
            q++;
        }
    }
    *out = (double)ip + (double)fp / scale;
    *p = q;
    return 0;
}

int scope__cg_parse_psi(const char *text, size_t len, struct scope__cg_psi *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = line_end(p, end);
        int full = 0;
        if (eol - p > 5 && memcmp(p, "some ", 5) == 0)
            full = 0;
        else if (eol - p > 5 && memcmp(p, "full ", 5) == 0)
            full = 1;
        else {
            p = eol + 1;
            continue;
        }
        double avg10 = 0;
        uint64_t total = 0;
        int have_avg = 0, have_total = 0;
        const char *q = p + 5;
        while (q < eol) {
            while (q < eol && *q == ' ')
                q++;
            if (eol - q > 6 && memcmp(q, "avg10=", 6) == 0) {
                q += 6;
                have_avg = parse_dec(&q, eol, &avg10) == 0;
            } else if (eol - q > 6 && memcmp(q, "total=", 6) == 0) {
                q += 6;
                have_total = scope__parse_u64(&q, eol, &total) == 0;
            }
            while (q < eol && *q != ' ')
                q++;
        }
        if (have_avg && have_total) {
            if (full) {
                out->full_avg10 = avg10;
                out->full_total = total;
                out->has_full = 1;
            } else {
                out->some_avg10 = avg10;
                out->some_total = total;
                out->has_some = 1;
            }
        }
        p = eol + 1;
    }
    return out->has_some || out->has_full ? 0 : -1;
}

/* "MAJ:MIN" at the start of a line. */
static int parse_dev(const char **p, const char *end, long *maj, long *min)
{
    uint64_t a, b;
    const char *q = *p;
    if (scope__parse_u64(&q, end, &a) || q >= end || *q != ':')
        return -1;
    q++;
    if (scope__parse_u64(&q, end, &b))
        return -1;
    *maj = (long)a;
    *min = (long)b;
    *p = q;
    return 0;
}

int scope__cg_parse_io_stat(const char *text, size_t len, long maj, long min, uint64_t out[4])
{
    static const char *const keys[4] = {"rbytes=", "wbytes=", "rios=", "wios="};
    memset(out, 0, 4 * sizeof *out);
    const char *p = text, *end = text + len;
    int used = 0;
    while (p < end) {
        const char *eol = line_end(p, end);
        long a, b;
        const char *q = p;
        if (parse_dev(&q, eol, &a, &b) == 0 && (maj < 0 || (a == maj && b == min))) {
            uint64_t v[4] = {0, 0, 0, 0};
            while (q < eol) {
                while (q < eol && *q == ' ')
                    q++;
                for (int k = 0; k < 4; k++) {
                    size_t kl = strlen(keys[k]);
                    if ((size_t)(eol - q) > kl && memcmp(q, keys[k], kl) == 0) {
                        const char *r = q + kl;
                        if (scope__parse_u64(&r, eol, &v[k]))
                            v[k] = 0;
                        break;
                    }
                }
                while (q < eol && *q != ' ')
                    q++;
            }
            for (int k = 0; k < 4; k++)
                out[k] += v[k];
            used++;
        }
        p = eol + 1;
    }
    return used;
}

int scope__cg_parse_blkio(const char *text, size_t len, long maj, long min, uint64_t out[2])
{
    out[0] = out[1] = 0;
    const char *p = text, *end = text + len;
    int used = 0;
    while (p < end) {
        const char *eol = line_end(p, end);
        long a, b;
        const char *q = p;
        if (parse_dev(&q, eol, &a, &b) == 0 && (maj < 0 || (a == maj && b == min))) {
            while (q < eol && *q == ' ')
                q++;
            int k = -1;
            if (eol - q > 5 && memcmp(q, "Read ", 5) == 0) {
                k = 0;
                q += 5;
            } else if (eol - q > 6 && memcmp(q, "Write ", 6) == 0) {
                k = 1;
                q += 6;
            }
            uint64_t v;
            if (k >= 0 && scope__parse_u64(&q, eol, &v) == 0) {
                out[k] += v;
                if (k == 0)
                    used++;
            }
        }
        p = eol + 1;
    }
    return used;
}

size_t scope__cg_list_devices(const char *text, size_t len, long *maj, long *min, size_t n)
{
    size_t k = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = line_end(p, end);
        long a, b;
        const char *q = p;
        if (parse_dev(&q, eol, &a, &b) == 0) {
            size_t j = 0;
            while (j < k && !(maj[j] == a && min[j] == b))
                j++;
            if (j == k && k < n) {
                maj[k] = a;
                min[k] = b;
                k++;
            }
        }
        p = eol + 1;
    }
    return k;
}

/* One /proc/net/dev line: "  eth0: rxb rxp errs drop fifo frame compressed
 * multicast txb txp ...". Returns the name span and fills v[0..9]. */
static int netdev_line(const char *p, const char *eol, const char **name, size_t *nl,
                       uint64_t v[10])
{
    while (p < eol && *p == ' ')
        p++;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon)
        return -1;
    *name = p;
    *nl = (size_t)(colon - p);
    const char *q = colon + 1;
    for (int i = 0; i < 10; i++)
        if (scope__parse_u64(&q, eol, &v[i]))
            return -1;
    return 0;
}

int scope__cg_parse_netdev(const char *text, size_t len, const char *ifname, uint64_t out[4])
{
    size_t il = strlen(ifname);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = line_end(p, end);
        const char *name;
        size_t nl;
        uint64_t v[10];
        if (netdev_line(p, eol, &name, &nl, v) == 0 && nl == il && memcmp(name, ifname, il) == 0) {
            out[0] = v[0];
            out[1] = v[1];
            out[2] = v[8];
            out[3] = v[9];
            return 0;
        }
        p = eol + 1;
    }
    return -1;
}

void scope__cg_netdev_each(const char *text, size_t len, void (*cb)(const char *name, void *ud),
                           void *ud)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = line_end(p, end);
        const char *name;
        size_t nl;
        uint64_t v[10];
        if (netdev_line(p, eol, &name, &nl, v) == 0 && nl > 0 && nl < 64 &&
            !(nl == 2 && memcmp(name, "lo", 2) == 0)) {
            char n[64];
            memcpy(n, name, nl);
            n[nl] = '\0';
            cb(n, ud);
        }
        p = eol + 1;
    }
}
