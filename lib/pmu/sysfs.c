/* sysfs PMU descriptions: <root>/<pmu>/type, format/, events/, cpumask.
 * Pure parsing helpers plus a loader that reads only the given root. */
#include "pmu_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *scope__pmu_sysfs_root(const char *override)
{
    if (override && *override)
        return override;
    const char *env = getenv("SCOPE_SYSFS_ROOT");
    if (env && *env)
        return env;
    return SCOPE__PMU_SYSFS_ROOT;
}

/* Reads a small file into a heap string with trailing blanks trimmed. */
static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char buf[4096];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return NULL;
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        n--;
    size_t start = 0;
    while (start < (size_t)n && isspace((unsigned char)buf[start]))
        start++;
    char *r = scope__strndup(buf + start, (size_t)n - start);
    if (!r)
        errno = ENOMEM; /* callers tell "absent" from "out of memory" by it */
    return r;
}

int scope__pmu_format_parse(const char *text, struct scope__pmu_format *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!strncmp(p, "config", 6)) {
        p += 6;
        if (*p >= '1' && *p <= '3')
            out->field = *p++ - '0';
    } else {
        goto bad;
    }
    if (*p++ != ':')
        goto bad;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            goto bad;
        char *e;
        unsigned long lo = strtoul(p, &e, 10), hi = lo;
        p = e;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            hi = strtoul(p, &e, 10);
            p = e;
        }
        if (lo > 63 || hi > 63 || hi < lo || out->nranges == SCOPE__PMU_FORMAT_RANGES)
            goto bad;
        out->lo[out->nranges] = (uint8_t)lo;
        out->hi[out->nranges] = (uint8_t)hi;
        out->nranges++;
        if (*p == ',') {
            p++;
            continue;
        }
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p)
            goto bad;
        return 0;
    }
bad:
    return scope__error(SCOPE_EPARSE, 0,
                        "format '%s' is not of the form config[123]:LO[-HI][,LO[-HI]...]", text);
}

unsigned scope__pmu_format_bits(const struct scope__pmu_format *f)
{
    unsigned n = 0;
    for (int i = 0; i < f->nranges; i++)
        n += (unsigned)(f->hi[i] - f->lo[i] + 1);
    return n;
}

static uint64_t *attr_field(struct perf_event_attr *attr, int field)
{
    switch (field) {
    case 0:
        return (uint64_t *)&attr->config;
    case 1:
        return (uint64_t *)&attr->config1;
    case 2:
        return (uint64_t *)&attr->config2;
    default:
#ifdef PERF_ATTR_SIZE_VER8
        return (uint64_t *)&attr->config3;
#else
        return NULL;
#endif
    }
}

int scope__pmu_format_put(const struct scope__pmu_format *f, uint64_t value,
                          struct perf_event_attr *attr)
{
    unsigned bits = scope__pmu_format_bits(f);
    if (bits < 64 && (value >> bits))
        return scope__error(SCOPE_EINVAL, 0,
                            "value 0x%" PRIx64 " does not fit term '%s' (%u bits)", value,
                            f->name ? f->name : "?", bits);
    uint64_t *dst = attr_field(attr, f->field);
    if (!dst)
        return scope__error(SCOPE_ENOTSUP, 0, "term '%s' uses config%d, which this build's "
                            "perf_event.h lacks", f->name ? f->name : "?", f->field);
    for (int i = 0; i < f->nranges; i++) {
        unsigned w = (unsigned)(f->hi[i] - f->lo[i] + 1);
        uint64_t mask = w == 64 ? ~0ULL : ((1ULL << w) - 1);
        *dst &= ~(mask << f->lo[i]);
        *dst |= (value & mask) << f->lo[i];
        value = w == 64 ? 0 : value >> w;
    }
    return 0;
}

void scope__pmu_info_free(scope__pmu_info *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nformats; i++)
        free(p->formats[i].name);
    for (size_t i = 0; i < p->naliases; i++) {
        free(p->aliases[i].name);
        free(p->aliases[i].terms);
        free(p->aliases[i].unit);
    }
    free(p->formats);
    free(p->aliases);
    free(p->name);
    free(p->cpumask);
    free(p);
}

void scope__strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory's entries (no dot files). Returns the count,
 * LIST_NODIR (errno set) when the directory cannot be opened, or
 * SCOPE_ENOMEM. */
#define LIST_NODIR (-1000)
static int list_dir(const char *path, char ***out)
{
    *out = NULL;
    DIR *d = opendir(path);
    if (!d)
        return LIST_NODIR;
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (scope__grow((void **)&v, &cap, n + 1, sizeof *v) ||
            !(v[n] = scope__strdup(e->d_name))) {
            closedir(d);
            scope__strv_free(v, n);
            return scope__enomem("a directory listing");
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return (int)n;
}

int scope__pmu_list(const char *root, char ***names)
{
    int n = list_dir(root, names);
    if (n == LIST_NODIR) {
        *names = NULL;
        return scope__error(SCOPE_ENOTSUP, errno,
                            "%s cannot be read: this kernel has no perf_event sysfs (is "
                            "CONFIG_PERF_EVENTS set? is /sys mounted?)",
                            root);
    }
    return n;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a > b && !strcmp(s + a - b, suf);
}

int scope__pmu_load(scope__pmu_info **out, const char *root, const char *pmu)
{
    *out = NULL;
    char path[1024];
    if (!pmu || !*pmu || strchr(pmu, '/') || !strcmp(pmu, ".") || !strcmp(pmu, ".."))
        return scope__error(SCOPE_EINVAL, 0, "'%s' is not a PMU name", pmu ? pmu : "(null)");
    snprintf(path, sizeof path, "%s/%s/type", root, pmu);
    char *type = slurp(path);
    if (!type && errno == ENOMEM)
        return scope__enomem("a PMU description");
    if (!type) {
        scope__buf b = {0};
        scope__pmu_describe_machine(&b, root);
        int rc = scope__error(SCOPE_ENOENT, errno, "PMU '%s' does not exist (%s is missing); %s",
                              pmu, path, b.data ? b.data : "");
        scope__buf_free(&b);
        return rc;
    }
    scope__pmu_info *p = calloc(1, sizeof *p);
    if (!p) {
        free(type);
        return scope__enomem("a PMU description");
    }
    char *end;
    unsigned long t = strtoul(type, &end, 10);
    if (end == type || *end) {
        int rc = scope__error(SCOPE_EPARSE, 0, "%s holds '%s', not a PMU type number", path, type);
        free(type);
        free(p);
        return rc;
    }
    free(type);
    p->type = (uint32_t)t;
    int rc = SCOPE_ENOMEM;
    if (!(p->name = scope__strdup(pmu)))
        goto fail;
    snprintf(path, sizeof path, "%s/%s/cpumask", root, pmu);
    p->cpumask = slurp(path);
    if (!p->cpumask && errno == ENOMEM)
        goto fail;

    char **names;
    snprintf(path, sizeof path, "%s/%s/format", root, pmu);
    int n = list_dir(path, &names);
    if (n == SCOPE_ENOMEM)
        goto fail;
    if (n > 0) {
        if (!(p->formats = calloc((size_t)n, sizeof *p->formats))) {
            scope__strv_free(names, (size_t)n);
            goto fail;
        }
        for (int i = 0; i < n; i++) {
            char fp[1200];
            snprintf(fp, sizeof fp, "%s/%s", path, names[i]);
            char *text = slurp(fp);
            if (!text && errno == ENOMEM) {
                scope__strv_free(names, (size_t)n);
                goto fail;
            }
            if (!text)
                continue;
            struct scope__pmu_format f;
            int prc = scope__pmu_format_parse(text, &f);
            free(text);
            if (prc) {
                rc = scope__error(SCOPE_EPARSE, 0, "%s: %s", fp, scope_error_message());
                scope__strv_free(names, (size_t)n);
                goto fail;
            }
            f.name = names[i];
            names[i] = NULL;
            p->formats[p->nformats++] = f;
        }
        scope__strv_free(names, (size_t)n);
    }

    snprintf(path, sizeof path, "%s/%s/events", root, pmu);
    n = list_dir(path, &names);
    if (n == SCOPE_ENOMEM)
        goto fail;
    if (n > 0) {
        if (!(p->aliases = calloc((size_t)n, sizeof *p->aliases))) {
            scope__strv_free(names, (size_t)n);
            goto fail;
        }
        for (int i = 0; i < n; i++) {
            if (has_suffix(names[i], ".scale") || has_suffix(names[i], ".unit") ||
                has_suffix(names[i], ".per-pkg") || has_suffix(names[i], ".snapshot"))
                continue;
            char fp[1200];
            snprintf(fp, sizeof fp, "%s/%s", path, names[i]);
            char *text = slurp(fp);
            if (!text && errno == ENOMEM) {
                scope__strv_free(names, (size_t)n);
                goto fail;
            }
            if (!text)
                continue;
            struct scope__pmu_alias *a = &p->aliases[p->naliases++];
            a->name = names[i];
            names[i] = NULL;
            a->terms = text;
            a->scale = 1.0;
            snprintf(fp, sizeof fp, "%s/%s.scale", path, a->name);
            char *sc = slurp(fp);
            if (!sc && errno == ENOMEM) {
                scope__strv_free(names, (size_t)n);
                goto fail;
            }
            if (sc) {
                char *e2;
                double v = strtod(sc, &e2);
                if (e2 == sc || *e2 || !(v > 0)) {
                    rc = scope__error(SCOPE_EPARSE, 0, "%s holds '%s', not a positive number",
                                      fp, sc);
                    free(sc);
                    scope__strv_free(names, (size_t)n);
                    goto fail;
                }
                a->scale = v;
                free(sc);
            }
            snprintf(fp, sizeof fp, "%s/%s.unit", path, a->name);
            a->unit = slurp(fp);
            if ((!a->unit && errno == ENOMEM) || (!a->unit && !(a->unit = scope__strdup("")))) {
                scope__strv_free(names, (size_t)n);
                goto fail;
            }
        }
        scope__strv_free(names, (size_t)n);
    }
    *out = p;
    return 0;
fail:
    if (rc == SCOPE_ENOMEM)
        rc = scope__enomem("a PMU description");
    scope__pmu_info_free(p);
    return rc;
}

const struct scope__pmu_format *scope__pmu_find_format(const scope__pmu_info *p,
                                                       const char *name)
{
    for (size_t i = 0; i < p->nformats; i++)
        if (!strcmp(p->formats[i].name, name))
            return &p->formats[i];
    return NULL;
}

const struct scope__pmu_alias *scope__pmu_find_alias(const scope__pmu_info *p,
                                                     const char *name)
{
    for (size_t i = 0; i < p->naliases; i++)
        if (!strcasecmp(p->aliases[i].name, name))
            return &p->aliases[i];
    return NULL;
}

static int parse_value(const char *s, uint64_t *out)
{
    if (!*s)
        return -1;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 0);
    if (errno || *e)
        return -1;
    *out = v;
    return 0;
}

static void list_formats(scope__buf *b, const scope__pmu_info *p)
{
    scope__buf_printf(b, "PMU '%s' knows the terms config, config1, config2", p->name);
    for (size_t i = 0; i < p->nformats; i++)
        scope__buf_printf(b, ", %s", p->formats[i].name);
    if (p->naliases) {
        scope__buf_puts(b, " and the events");
        for (size_t i = 0; i < p->naliases && i < 12; i++)
            scope__buf_printf(b, "%s %s", i ? "," : "", p->aliases[i].name);
        if (p->naliases > 12)
            scope__buf_printf(b, " (and %zu more in events/)", p->naliases - 12);
    } else {
        scope__buf_puts(b, " and no named events");
    }
}

static int encode_terms(const scope__pmu_info *p, const char *terms,
                        struct perf_event_attr *attr, double *scale, const char **unit,
                        int depth)
{
    char *copy = scope__strdup(terms);
    if (!copy)
        return scope__enomem("event terms");
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        char *eq = strchr(tok, '=');
        const char *val = NULL;
        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        uint64_t v = 1;
        if (val && parse_value(val, &v)) {
            if (!strcmp(val, "?"))
                rc = scope__error(SCOPE_EINVAL, 0,
                                  "term '%s' of PMU '%s' needs a value: write %s=N in the event",
                                  tok, p->name, tok);
            else
                rc = scope__error(SCOPE_EINVAL, 0,
                                  "term '%s=%s' of PMU '%s': the value is not a number (write "
                                  "decimal or 0x-prefixed hex)",
                                  tok, val, p->name);
            break;
        }
        const struct scope__pmu_format *f = scope__pmu_find_format(p, tok);
        if (f) {
            if ((rc = scope__pmu_format_put(f, v, attr))) {
                rc = scope__error(rc, 0, "PMU '%s': %s", p->name, scope_error_message());
                break;
            }
            continue;
        }
        if (!strcmp(tok, "config") || !strcmp(tok, "config1") || !strcmp(tok, "config2")) {
            if (!val) {
                rc = scope__error(SCOPE_EINVAL, 0, "term '%s' needs a value (%s=0x...)", tok, tok);
                break;
            }
            *attr_field(attr, tok[6] ? tok[6] - '0' : 0) = v;
            continue;
        }
        if (!strcmp(tok, "name") || !strcmp(tok, "percore") || !strcmp(tok, "metric-id"))
            continue; /* perf-tool-only terms that do not change the encoding */
        if (!strcmp(tok, "period")) {
            attr->sample_period = v;
            continue;
        }
        const struct scope__pmu_alias *a = val ? NULL : scope__pmu_find_alias(p, tok);
        if (a && depth == 0) {
            if ((rc = encode_terms(p, a->terms, attr, scale, unit, depth + 1)))
                break;
            if (scale)
                *scale = a->scale;
            if (unit)
                *unit = a->unit;
            continue;
        }
        scope__buf b = {0};
        list_formats(&b, p);
        rc = scope__error(SCOPE_ENOENT, 0, "term '%s' is unknown to PMU '%s': %s", tok, p->name,
                          b.data ? b.data : "");
        scope__buf_free(&b);
        break;
    }
    free(copy);
    return rc;
}

int scope__pmu_encode_terms(const scope__pmu_info *p, const char *terms,
                            struct perf_event_attr *attr, double *scale, const char **unit)
{
    attr->type = p->type;
    if (scale)
        *scale = 1.0;
    if (unit)
        *unit = "";
    return encode_terms(p, terms, attr, scale, unit, 0);
}

static int pmu_exists(const char *root, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/type", root, name);
    return access(path, R_OK) == 0;
}

const char *scope__pmu_core_name(const char *root)
{
    if (pmu_exists(root, "cpu"))
        return "cpu";
    if (pmu_exists(root, "cpu_core"))
        return "cpu_core";
    if (pmu_exists(root, "cpu_atom"))
        return "cpu_atom";
    return NULL;
}

void scope__pmu_describe_machine(scope__buf *b, const char *root)
{
    char **names = NULL;
    int n = list_dir(root, &names);
    if (n < 0) {
        scope__buf_printf(b, "%s cannot be read, so this machine offers no PMUs", root);
        return;
    }
    scope__buf_printf(b, "the PMUs in %s are:", root);
    for (int i = 0; i < n; i++)
        scope__buf_printf(b, " %s", names[i]);
    if (!n)
        scope__buf_puts(b, " (none)");
    const char *core = scope__pmu_core_name(root);
    if (!core)
        scope__buf_puts(b, "; there is no core PMU (cpu, cpu_core or cpu_atom), so hardware "
                           "events (cycles, instructions, cache and raw events) cannot be "
                           "counted: this looks like a virtual machine without a virtual PMU; "
                           "enable one in the hypervisor (KVM: -cpu host,pmu=on; cloud: a "
                           "bare-metal or PMU-enabled instance type) or use software events");
    scope__strv_free(names, n > 0 ? (size_t)n : 0);
}
