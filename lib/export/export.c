/* Exporters: CSV, JSON lines, Prometheus text and OpenMetrics. */
#include "../internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sink {
    FILE *f; /* NULL: keep everything in b */
    scope__buf b;
    int werr;
};

static void flush(struct sink *k, int force)
{
    if (!k->f || k->b.failed || (!force && k->b.len < 65536) || !k->b.len)
        return;
    if (fwrite(k->b.data, 1, k->b.len, k->f) != k->b.len && !k->werr)
        k->werr = errno ? errno : EIO;
    k->b.len = 0;
}

static void put(struct sink *k, const char *s, size_t n) { scope__buf_append(&k->b, s, n); }
static void puts_(struct sink *k, const char *s) { scope__buf_puts(&k->b, s); }

static void num(struct sink *k, double v, int json)
{
    char tmp[40];
    const char *s = tmp;
    if (isnan(v))
        s = json ? "\"NaN\"" : "NaN";
    else if (isinf(v))
        s = v > 0 ? (json ? "\"+Inf\"" : "+Inf") : (json ? "\"-Inf\"" : "-Inf");
    else if (v == (double)(int64_t)v && fabs(v) < 9.007199254740992e15)
        snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    else {
        /* The shortest of 15, 16 or 17 significant digits that reads back
         * as the same double: exact, and 0.1 stays "0.1". */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (strtod(tmp, NULL) == v)
                break;
        }
    }
    puts_(k, s);
}

static void i64(struct sink *k, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    put(k, tmp, (size_t)n);
}

/* Prometheus label-value / HELP escaping: \ " and newline (quote only in
 * label values). */
static void prom_escape(struct sink *k, const char *s, int quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (quote && *s == '"')
            rep = "\\\"";
        if (rep) {
            put(k, run, (size_t)(s - run));
            puts_(k, rep);
            run = s + 1;
        }
    }
    put(k, run, (size_t)(s - run));
}

static void json_escape(struct sink *k, const char *s)
{
    put(k, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\' || c < 0x20) {
            put(k, run, (size_t)(s - run));
            char tmp[8];
            if (c == '"')
                puts_(k, "\\\"");
            else if (c == '\\')
                puts_(k, "\\\\");
            else if (c == '\n')
                puts_(k, "\\n");
            else if (c == '\t')
                puts_(k, "\\t");
            else if (c == '\r')
                puts_(k, "\\r");
            else {
                snprintf(tmp, sizeof tmp, "\\u%04x", c);
                puts_(k, tmp);
            }
            run = s + 1;
        }
    }
    put(k, run, (size_t)(s - run));
    put(k, "\"", 1);
}

/* {k="v",...} into @k (empty string when there are no labels and !braces). */
static void prom_labels(struct sink *k, const scope_series *s, int always)
{
    size_t n = scope_series_label_count(s);
    if (!n && !always)
        return;
    put(k, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(k, ",", 1);
        puts_(k, scope_series_label_key(s, i));
        put(k, "=\"", 2);
        prom_escape(k, scope_series_label_value(s, i), 1);
        put(k, "\"", 1);
    }
    put(k, "}", 1);
}

static void csv_field(struct sink *k, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        puts_(k, s);
        return;
    }
    put(k, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            put(k, "\"", 1);
        put(k, s, 1);
    }
    put(k, "\"", 1);
}

static void write_csv(struct sink *k, const scope_series_set *set, const scope_export_opts *o)
{
    if (!o->no_header)
        puts_(k, "timestamp_ns,metric,labels,value\n");
    struct sink lab = {0};
    for (size_t j = 0; j < scope_series_set_count(set); j++) {
        const scope_series *s = scope_series_set_at(set, j);
        lab.b.len = 0;
        prom_labels(&lab, s, 1);
        if (lab.b.failed) {
            k->b.failed = 1;
            break;
        }
        const int64_t *ts = scope_series_timestamps(s);
        const double *v = scope_series_values(s);
        for (size_t i = 0; i < scope_series_count(s); i++) {
            i64(k, ts[i]);
            put(k, ",", 1);
            puts_(k, scope_series_name(s));
            put(k, ",", 1);
            csv_field(k, lab.b.data);
            put(k, ",", 1);
            num(k, v[i], 0);
            put(k, "\n", 1);
            flush(k, 0);
        }
    }
    scope__buf_free(&lab.b);
}

static void write_jsonl(struct sink *k, const scope_series_set *set)
{
    struct sink head = {0};
    for (size_t j = 0; j < scope_series_set_count(set); j++) {
        const scope_series *s = scope_series_set_at(set, j);
        head.b.len = 0;
        puts_(&head, ",\"metric\":");
        json_escape(&head, scope_series_name(s));
        puts_(&head, ",\"labels\":{");
        for (size_t i = 0; i < scope_series_label_count(s); i++) {
            if (i)
                put(&head, ",", 1);
            json_escape(&head, scope_series_label_key(s, i));
            put(&head, ":", 1);
            json_escape(&head, scope_series_label_value(s, i));
        }
        puts_(&head, "},\"value\":");
        if (head.b.failed) {
            k->b.failed = 1;
            break;
        }
        const int64_t *ts = scope_series_timestamps(s);
        const double *v = scope_series_values(s);
        for (size_t i = 0; i < scope_series_count(s); i++) {
            puts_(k, "{\"timestamp_ns\":");
            i64(k, ts[i]);
            put(k, head.b.data, head.b.len);
            num(k, v[i], 1);
            puts_(k, "}\n");
            flush(k, 0);
        }
    }
    scope__buf_free(&head.b);
}

static int by_name(const void *a, const void *b)
{
    const scope_series *x = *(scope_series *const *)a, *y = *(scope_series *const *)b;
    int c = strcmp(scope_series_name(x), scope_series_name(y));
    if (c)
        return c;
    return x < y ? -1 : x > y; /* stable enough: keep a fixed order */
}

static void write_prom(struct sink *k, const scope_series_set *set, const scope_export_opts *o,
                       int om)
{
    size_t n = scope_series_set_count(set);
    scope_series **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        k->b.failed = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = scope_series_set_at(set, i);
    qsort(v, n, sizeof *v, by_name);
    for (size_t i = 0; i < n;) {
        const char *name = scope_series_name(v[i]);
        size_t j = i;
        size_t with_points = 0;
        while (j < n && strcmp(scope_series_name(v[j]), name) == 0)
            with_points += scope_series_count(v[j++]) > 0;
        if (!with_points) {
            i = j;
            continue;
        }
        int counter = scope_series_kind(v[i]) == SCOPE_COUNTER;
        size_t nl = strlen(name);
        int total = nl > 6 && strcmp(name + nl - 6, "_total") == 0;
        const char *type = counter ? "counter" : "gauge";
        size_t family_len = nl;
        if (om && counter) {
            if (total)
                family_len = nl - 6;
            else
                type = "unknown";
        }
        const char *help = scope_series_help(v[i]);
        puts_(k, "# HELP ");
        put(k, name, family_len);
        put(k, " ", 1);
        prom_escape(k, *help ? help : name, 0);
        puts_(k, "\n# TYPE ");
        put(k, name, family_len);
        put(k, " ", 1);
        puts_(k, type);
        put(k, "\n", 1);
        for (; i < j; i++) {
            const scope_series *s = v[i];
            size_t cnt = scope_series_count(s);
            if (!cnt)
                continue;
            const int64_t *ts = scope_series_timestamps(s);
            const double *val = scope_series_values(s);
            for (size_t p = om ? 0 : cnt - 1; p < cnt; p++) {
                puts_(k, name);
                prom_labels(k, s, 0);
                put(k, " ", 1);
                num(k, val[p], 0);
                if (om) {
                    char tmp[48];
                    int64_t sec = ts[p] / 1000000000LL, ns = ts[p] % 1000000000LL;
                    if (ns < 0) {
                        sec--;
                        ns += 1000000000LL;
                    }
                    snprintf(tmp, sizeof tmp, " %lld.%09lld", (long long)sec, (long long)ns);
                    puts_(k, tmp);
                } else if (o->timestamps) {
                    put(k, " ", 1);
                    i64(k, ts[p] / 1000000);
                }
                put(k, "\n", 1);
                flush(k, 0);
            }
        }
    }
    if (om)
        puts_(k, "# EOF\n");
    free(v);
}

SCOPE_API int scope_export_opts_init(scope_export_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_export_opts");
}

SCOPE_API const char *scope_export_format_name(int format)
{
    switch (format) {
    case SCOPE_EXPORT_CSV: return "csv";
    case SCOPE_EXPORT_JSONL: return "jsonl";
    case SCOPE_EXPORT_PROMETHEUS: return "prometheus";
    case SCOPE_EXPORT_OPENMETRICS: return "openmetrics";
    default: return "unknown";
    }
}

static int emit(struct sink *k, const scope_series_set *set, int format,
                const scope_export_opts *opts)
{
    scope_export_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_export_opts");
    if (rc)
        return rc;
    if (!set)
        return scope__error(SCOPE_EINVAL, 0, "export: the series set is NULL");
    switch (format) {
    case SCOPE_EXPORT_CSV: write_csv(k, set, &o); break;
    case SCOPE_EXPORT_JSONL: write_jsonl(k, set); break;
    case SCOPE_EXPORT_PROMETHEUS: write_prom(k, set, &o, 0); break;
    case SCOPE_EXPORT_OPENMETRICS: write_prom(k, set, &o, 1); break;
    default:
        return scope__error(SCOPE_EINVAL, 0,
                            "export format %d is unknown: use SCOPE_EXPORT_CSV (1), _JSONL (2), "
                            "_PROMETHEUS (3) or _OPENMETRICS (4)",
                            format);
    }
    flush(k, 1);
    if (k->b.failed)
        return scope__enomem("the export buffer");
    return 0;
}

SCOPE_API int scope_export_write(const scope_series_set *set, int format, FILE *f,
                                 const scope_export_opts *opts)
{
    if (!f)
        return scope__error(SCOPE_EINVAL, 0, "scope_export_write: stream is NULL");
    struct sink k = {.f = f};
    errno = 0;
    int rc = emit(&k, set, format, opts);
    scope__buf_free(&k.b);
    if (rc)
        return rc;
    if (fflush(f) && !k.werr)
        k.werr = errno ? errno : EIO;
    if (k.werr || ferror(f))
        return scope__error_sys(SCOPE_EIO, k.werr ? k.werr : EIO,
                                "export (%s): writing to the stream failed; check free space "
                                "and that the stream is open for writing",
                                scope_export_format_name(format));
    return 0;
}

SCOPE_API int scope_export_path(const scope_series_set *set, int format, const char *path,
                                const scope_export_opts *opts)
{
    if (!path || !*path)
        return scope__error(SCOPE_EINVAL, 0, "scope_export_path: path is NULL or empty");
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device, FIFO or socket (/dev/null, /dev/stdout, a named pipe):
         * write to it directly; renaming a temporary file over it would
         * replace the special file. */
        if (S_ISDIR(st.st_mode))
            return scope__error(SCOPE_EINVAL, EISDIR, "export: %s is a directory: give a file name",
                                path);
        FILE *f = fopen(path, "w");
        if (!f)
            return scope__error_sys(scope__code_from_errno(errno), errno, "export: cannot open %s",
                                    path);
        int rc = scope_export_write(set, format, f, opts);
        if (fclose(f) && !rc)
            rc = scope__error_sys(SCOPE_EIO, errno, "export: closing %s failed", path);
        return rc;
    }
    char *tmp = scope__asprintf("%s.tmp", path);
    if (!tmp)
        return scope__enomem("a path");
    /* A fresh file: a stale or planted <path>.tmp (a link, or a file with a
     * wider mode or another owner) is removed, never reused. */
    if (unlink(tmp) && errno != ENOENT) {
        int e = errno;
        free(tmp);
        return scope__error_sys(scope__code_from_errno(e), e,
                                "export: cannot remove the stale temporary file %s.tmp", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return scope__error_sys(scope__code_from_errno(e), e,
                                "export: cannot create %s (does the directory exist and is it "
                                "writable?)",
                                path);
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return scope__error_sys(scope__code_from_errno(e), e, "export: fdopen %s", path);
    }
    int rc = scope_export_write(set, format, f, opts);
    if (fclose(f) && !rc)
        rc = scope__error_sys(SCOPE_EIO, errno, "export: closing %s failed", path);
    if (!rc && rename(tmp, path))
        rc = scope__error_sys(scope__code_from_errno(errno), errno, "export: rename to %s",
                              path);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

SCOPE_API int scope_export_buffer(char **out, size_t *len, const scope_series_set *set,
                                  int format, const scope_export_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_export_buffer: out is NULL");
    *out = NULL;
    if (len)
        *len = 0;
    struct sink k = {0};
    int rc = emit(&k, set, format, opts);
    if (rc) {
        scope__buf_free(&k.b);
        return rc;
    }
    if (!k.b.data) { /* nothing written: return an empty string */
        k.b.data = calloc(1, 1);
        if (!k.b.data)
            return scope__enomem("the export buffer");
    }
    *out = k.b.data;
    if (len)
        *len = k.b.len;
    return 0;
}

SCOPE_API void scope_buffer_free(void *buf) { free(buf); }
