/* Event specs in perf's forms: generic names, software events, hardware
 * cache events, raw rNNNN, pmu/terms/, bare sysfs aliases, libpfm4 names,
 * modifiers and {groups}. Pure except for reading the sysfs root. */
#include "pmu_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct named {
    const char *name;
    uint32_t type;
    uint64_t config;
};

static const struct named generic[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
    {"stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"idle-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"stalled-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    {"idle-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS},
    {"dummy", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY},
};

static const char *const cache_names[] = {"L1-dcache", "L1-icache", "LLC", "dTLB",
                                          "iTLB", "branch", "node"};
static const char *const cache_ops[] = {"load", "store", "prefetch"};

/* "L1-dcache-load-misses", "LLC-loads", "dTLB-store-misses", "branch-loads" */
static int parse_cache(const char *s, uint64_t *config)
{
    for (unsigned c = 0; c < sizeof cache_names / sizeof *cache_names; c++) {
        size_t cl = strlen(cache_names[c]);
        if (strncasecmp(s, cache_names[c], cl) || s[cl] != '-')
            continue;
        const char *rest = s + cl + 1;
        for (unsigned o = 0; o < 3; o++) {
            size_t ol = strlen(cache_ops[o]);
            if (strncmp(rest, cache_ops[o], ol))
                continue;
            const char *tail = rest + ol;
            /* "loads" / "prefetches" = accesses; "-load-misses" = misses */
            if (!strcmp(tail, "s") || !strcmp(tail, "es")) {
                *config = c | (o << 8) | ((uint64_t)PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16);
                return 0;
            }
            if (!strcmp(tail, "-misses")) {
                *config = c | (o << 8) | ((uint64_t)PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
                return 0;
            }
        }
    }
    return -1;
}

static int is_hardware_type(uint32_t type)
{
    return !(type == PERF_TYPE_SOFTWARE || type == PERF_TYPE_TRACEPOINT ||
             type == PERF_TYPE_BREAKPOINT);
}

/* Applies modifiers "u", "k", "h", "uk", "G", "H", "D", "p". Returns 0 or -1
 * for an unknown letter. */
static int apply_mods(struct perf_event_attr *a, const char *m, int check_only)
{
    int u = 0, k = 0, h = 0, any = 0;
    for (const char *p = m; *p; p++) {
        switch (*p) {
        case 'u': u = any = 1; break;
        case 'k': k = any = 1; break;
        case 'h': h = any = 1; break;
        case 'G': if (!check_only) a->exclude_host = 1; break;
        case 'H': if (!check_only) a->exclude_guest = 1; break;
        case 'D': if (!check_only) a->pinned = 1; break;
        case 'p': if (!check_only && a->precise_ip < 3) a->precise_ip++; break;
        default: return -1;
        }
    }
    if (!*m)
        return -1;
    if (any && !check_only) {
        a->exclude_user = !u;
        a->exclude_kernel = !k;
        a->exclude_hv = !h;
    }
    return 0;
}

static int is_raw(const char *s, uint64_t *config)
{
    if (s[0] != 'r' || !s[1])
        return 0;
    for (const char *p = s + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return 0;
    if (strlen(s + 1) > 16)
        return 0;
    *config = strtoull(s + 1, NULL, 16);
    return 1;
}

static void list_software(scope__buf *b)
{
    scope__buf_puts(b, "software events (always available):");
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        if (generic[i].type == PERF_TYPE_SOFTWARE)
            scope__buf_printf(b, " %s", generic[i].name);
}

/* The message for an event no form could resolve. */
static int unknown_event(const char *text, const char *root, const char *pfm_why)
{
    scope__buf b = {0};
    scope__buf_printf(&b,
                      "event '%s' is unknown: tried raw rNNNN, the generic hardware, cache "
                      "and software names, pmu/terms/, aliases in %s/*/events/, and libpfm4 ",
                      text, root);
    if (scope__pfm_available())
        scope__buf_printf(&b, "(%s)", pfm_why && *pfm_why ? pfm_why : "not found");
    else
        scope__buf_puts(&b, "(not built in)");
    scope__buf_puts(&b, ". This machine offers ");
    list_software(&b);
    scope__buf_puts(&b, "; ");
    scope__pmu_describe_machine(&b, root);
    int rc = scope__error(SCOPE_ENOENT, 0, "%s", b.data ? b.data : text);
    scope__buf_free(&b);
    return rc;
}

void scope__evspec_free(struct scope__evspec *e)
{
    free(e->name);
    free(e->pmu);
    free(e->unit);
    memset(e, 0, sizeof *e);
}

static int fill_sysfs(struct scope__evspec *out, const char *root, const char *pmu,
                      const char *terms)
{
    scope__pmu_info *p;
    int rc = scope__pmu_load(&p, root, pmu);
    if (rc)
        return rc;
    const char *unit = "";
    rc = scope__pmu_encode_terms(p, terms, &out->attr, &out->scale, &unit);
    if (!rc && (!(out->unit = scope__strdup(unit)) || !(out->pmu = scope__strdup(pmu))))
        rc = scope__enomem("an event");
    scope__pmu_info_free(p);
    return rc;
}

/* A bare alias ("slots", "cas_count_read"): the core PMU first, then the
 * only other PMU that has it. Returns 1 when found (out filled), 0 when not,
 * negative on error. */
static int find_bare_alias(struct scope__evspec *out, const char *root, const char *name)
{
    const char *core = scope__pmu_core_name(root);
    char **names = NULL;
    int n = scope__pmu_list(root, &names);
    if (n < 0)
        return 0;
    const char *hit = NULL;
    int rc = 0;
    for (int pass = 0; pass < 2 && !hit; pass++) {
        for (int i = 0; i < n; i++) {
            if (pass == 0 ? (!core || strcmp(names[i], core)) : (core && !strcmp(names[i], core)))
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s/events/%s", root, names[i], name);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            fclose(f);
            hit = names[i];
            break;
        }
    }
    if (hit)
        rc = fill_sysfs(out, root, hit, name) ? -1 : 1;
    scope__strv_free(names, (size_t)n);
    return rc;
}

int scope__event_parse(struct scope__evspec *out, const char *text, const char *root, int flags)
{
    memset(out, 0, sizeof *out);
    out->attr.size = sizeof out->attr;
    out->scale = 1.0;
    root = scope__pmu_sysfs_root(root);
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    while (len && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    if (!len)
        return scope__error(SCOPE_EINVAL, 0, "empty event name in the event list (two commas, "
                            "or a trailing comma?)");
    char *s = scope__strndup(text, len);
    if (!s)
        return scope__enomem("an event name");
    int rc = 0;
    const char *slash = strchr(s, '/');
    if (slash) {
        /* pmu/terms/[:]mods */
        const char *last = strrchr(s, '/');
        if (last == slash) {
            rc = scope__error(SCOPE_EPARSE, 0, "event '%s': a PMU event is written "
                              "pmu/terms/ (the closing '/' is missing)", s);
            goto out;
        }
        char *pmu = scope__strndup(s, (size_t)(slash - s));
        char *terms = scope__strndup(slash + 1, (size_t)(last - slash - 1));
        const char *mods = last + 1;
        if (*mods == ':')
            mods++;
        if (!pmu || !terms) {
            free(pmu);
            free(terms);
            rc = scope__enomem("an event");
            goto out;
        }
        rc = fill_sysfs(out, root, pmu, terms);
        if (rc) {
            rc = scope__error(rc, scope_error_errno(), "event '%s': %s", s,
                              scope_error_message());
        } else if (*mods && apply_mods(&out->attr, mods, 0)) {
            rc = scope__error(SCOPE_EINVAL, 0, "event '%s': unknown modifier '%s' (known: u "
                              "user, k kernel, h hypervisor, G guest, H host, D pinned, p precise)",
                              s, mods);
        }
        free(pmu);
        free(terms);
        goto out;
    }

    /* name[:mods] */
    char *base = scope__strdup(s);
    if (!base) {
        rc = scope__enomem("an event name");
        goto out;
    }
    const char *mods = NULL;
    char *colon = strrchr(base, ':');
    if (colon && colon > base && colon[-1] != ':' && !apply_mods(&out->attr, colon + 1, 1)) {
        *colon = '\0';
        mods = colon + 1;
    }
    int found = 0;
    uint64_t cfg;
    if (is_raw(base, &cfg)) {
        out->attr.type = PERF_TYPE_RAW;
        out->attr.config = cfg;
        found = 1;
    }
    for (size_t i = 0; !found && i < sizeof generic / sizeof *generic; i++)
        if (!strcasecmp(base, generic[i].name)) {
            out->attr.type = generic[i].type;
            out->attr.config = generic[i].config;
            found = 1;
        }
    if (!found && !parse_cache(base, &cfg)) {
        out->attr.type = PERF_TYPE_HW_CACHE;
        out->attr.config = cfg;
        found = 1;
    }
    if (!found && !strchr(base, ':')) {
        int r = find_bare_alias(out, root, base);
        if (r < 0) {
            rc = scope__error(scope_error_code(), 0, "event '%s': %s", s, scope_error_message());
            free(base);
            goto out;
        }
        found = r;
    }
    if (found) {
        if (mods)
            apply_mods(&out->attr, mods, 0);
        free(base);
    } else {
        free(base);
        char why[256] = "";
        struct scope__pfm_enc enc;
        if ((flags & SCOPE__EV_NO_LIBPFM) || scope__pfm_encode(s, &enc, why, sizeof why)) {
            if (flags & SCOPE__EV_NO_LIBPFM)
                snprintf(why, sizeof why, "disabled by the caller");
            rc = unknown_event(s, root, why);
            goto out;
        }
        out->attr.type = enc.type;
        out->attr.config = enc.config;
        out->attr.config1 = enc.config1;
        out->attr.config2 = enc.config2;
        out->attr.exclude_user = enc.exclude_user ? 1 : 0;
        out->attr.exclude_kernel = enc.exclude_kernel ? 1 : 0;
        out->attr.exclude_hv = enc.exclude_hv ? 1 : 0;
        if (!(out->pmu = scope__strdup("libpfm4"))) {
            rc = scope__enomem("an event");
            goto out;
        }
    }
out:
    if (!rc) {
        out->name = s;
        out->hardware = is_hardware_type(out->attr.type);
        if (!out->unit && !(out->unit = scope__strdup("")))
            rc = scope__enomem("an event");
    }
    if (rc) {
        free(s);
        out->name = NULL;
        scope__evspec_free(out);
    }
    return rc;
}

void scope__evlist_free(struct scope__evlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        scope__evspec_free(&l->ev[i]);
    free(l->ev);
    memset(l, 0, sizeof *l);
}

/* Length of one item starting at p: up to a top-level ',' or '}' (commas
 * inside pmu/.../ belong to the item). */
static size_t item_len(const char *p)
{
    int in_slash = 0;
    size_t i = 0;
    for (; p[i]; i++) {
        if (p[i] == '/')
            in_slash = !in_slash;
        else if (!in_slash && (p[i] == ',' || p[i] == '}' || p[i] == '{'))
            break;
    }
    return i;
}

static int add_event(struct scope__evlist *out, const char *p, size_t n, const char *root,
                     int flags, int group, int explicit_group)
{
    if (scope__grow((void **)&out->ev, &out->cap, out->n + 1, sizeof *out->ev))
        return scope__enomem("an event list");
    char *t = scope__strndup(p, n);
    if (!t)
        return scope__enomem("an event list");
    int rc = scope__event_parse(&out->ev[out->n], t, root, flags);
    free(t);
    if (rc)
        return rc;
    out->ev[out->n].group = group;
    out->ev[out->n].explicit_group = explicit_group;
    out->n++;
    return 0;
}

static int read_type(const char *root, const char *pmu, uint32_t *type)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/type", root, pmu);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    unsigned t;
    int ok = fscanf(f, "%u", &t) == 1;
    fclose(f);
    *type = t;
    return ok ? 0 : -1;
}

static int expandable(const struct scope__evspec *e)
{
    return (e->attr.type == PERF_TYPE_HARDWARE || e->attr.type == PERF_TYPE_HW_CACHE) &&
           !(e->attr.config >> 32);
}

/* A copy of @src for hybrid PMU @pmu (type @type): perf's extended type in
 * config bits 63:32, named "pmu/name/mods". */
static int hybrid_copy(struct scope__evspec *dst, const struct scope__evspec *src,
                       const char *pmu, uint32_t type)
{
    *dst = *src;
    dst->attr.config |= (uint64_t)type << 32;
    const char *colon = strrchr(src->name, ':');
    int has_mods = colon && !strchr(src->name, '/');
    dst->name = has_mods ? scope__asprintf("%s/%.*s/%s", pmu, (int)(colon - src->name), src->name,
                                           colon + 1)
                         : scope__asprintf("%s/%s/", pmu, src->name);
    dst->pmu = scope__strdup(pmu);
    dst->unit = scope__strdup(src->unit);
    if (!dst->name || !dst->pmu || !dst->unit) {
        free(dst->name);
        free(dst->pmu);
        free(dst->unit);
        memset(dst, 0, sizeof *dst);
        return scope__enomem("an event list");
    }
    return 0;
}

/* On hybrid machines (cpu_core and cpu_atom) a generic hardware or cache
 * event is counted on both core types, as perf does: each becomes a
 * cpu_core and a cpu_atom event. A group becomes two groups (a group
 * cannot span PMUs); a run of ungrouped events lists its cpu_core events
 * first, then its cpu_atom ones. */
static int expand_hybrid(struct scope__evlist *l, const char *root)
{
    uint32_t tcore, tatom;
    if (read_type(root, "cpu_core", &tcore) || read_type(root, "cpu_atom", &tatom))
        return 0;
    size_t extra = 0;
    for (size_t i = 0; i < l->n; i++)
        extra += expandable(&l->ev[i]) ? 1 : 0;
    if (!extra)
        return 0;
    struct scope__evspec *nv = calloc(l->n + extra, sizeof *nv);
    if (!nv)
        return scope__enomem("an event list");
    unsigned char *exp = calloc(l->n, 1);
    if (!exp) {
        free(nv);
        return scope__enomem("an event list");
    }
    for (size_t k = 0; k < l->n; k++)
        exp[k] = (unsigned char)expandable(&l->ev[k]);
    size_t n = 0;
    int group = 0, rc = 0;
    size_t i = 0;
    while (i < l->n && !rc) {
        size_t j = i + 1;
        int expl = l->ev[i].explicit_group;
        while (j < l->n && (expl ? l->ev[j].group == l->ev[i].group : !l->ev[j].explicit_group))
            j++;
        int has_atom = 0;
        /* the cpu_core part, with the events that are not generic */
        for (size_t k = i; k < j && !rc; k++) {
            if (exp[k]) {
                has_atom = 1;
                if ((rc = hybrid_copy(&nv[n], &l->ev[k], "cpu_core", tcore)))
                    break;
            } else {
                nv[n] = l->ev[k];
                memset(&l->ev[k], 0, sizeof l->ev[k]);
            }
            nv[n].group = expl ? group : group++;
            n++;
        }
        if (expl)
            group++;
        /* then the cpu_atom copies */
        for (size_t k = i; k < j && has_atom && !rc; k++) {
            if (!exp[k])
                continue;
            if ((rc = hybrid_copy(&nv[n], &l->ev[k], "cpu_atom", tatom)))
                break;
            nv[n].group = expl ? group : group++;
            n++;
        }
        if (expl && has_atom)
            group++;
        i = j;
    }
    free(exp);
    if (rc) {
        for (size_t k = 0; k < n; k++)
            scope__evspec_free(&nv[k]);
        free(nv);
        return rc;
    }
    for (size_t k = 0; k < l->n; k++)
        scope__evspec_free(&l->ev[k]); /* copied originals; moved ones are zero */
    free(l->ev);
    l->ev = nv;
    l->n = n;
    l->cap = l->n;
    l->ngroups = group;
    return 0;
}

int scope__evlist_parse(struct scope__evlist *out, const char *spec, const char *root,
                        int flags)
{
    memset(out, 0, sizeof *out);
    if (!spec)
        return scope__error(SCOPE_EINVAL, 0, "the event list is NULL");
    const char *p = spec;
    int rc = 0;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (*p == '{') {
            p++;
            int g = out->ngroups++;
            size_t first = out->n;
            for (;;) {
                while (*p == ' ')
                    p++;
                size_t n = item_len(p);
                if (n && (rc = add_event(out, p, n, root, flags, g, 1)))
                    goto fail;
                p += n;
                if (*p == ',') {
                    p++;
                    continue;
                }
                if (*p == '}')
                    break;
                rc = scope__error(SCOPE_EPARSE, 0, "event list '%s': a '{' group is not "
                                  "closed by '}' (or holds a '{')", spec);
                goto fail;
            }
            p++; /* '}' */
            if (out->n == first) {
                rc = scope__error(SCOPE_EPARSE, 0, "event list '%s': empty group {}", spec);
                goto fail;
            }
            if (*p == ':') {
                p++;
                size_t n = strcspn(p, ",");
                char mods[16];
                if (n == 0 || n >= sizeof mods) {
                    rc = scope__error(SCOPE_EPARSE, 0, "event list '%s': bad group modifier",
                                      spec);
                    goto fail;
                }
                memcpy(mods, p, n);
                mods[n] = '\0';
                for (size_t i = first; i < out->n; i++)
                    if (apply_mods(&out->ev[i].attr, mods, 0)) {
                        rc = scope__error(SCOPE_EINVAL, 0, "event list '%s': unknown group "
                                          "modifier '%s' (known: u k h G H D p)", spec, mods);
                        goto fail;
                    }
                p += n;
            }
            continue;
        }
        size_t n = item_len(p);
        if (p[n] == '}') {
            rc = scope__error(SCOPE_EPARSE, 0, "event list '%s': '}' without '{'", spec);
            goto fail;
        }
        if ((rc = add_event(out, p, n, root, flags, out->ngroups++, 0)))
            goto fail;
        p += n;
    }
    if (!out->n) {
        rc = scope__error(SCOPE_EINVAL, 0, "the event list '%s' names no event", spec);
        goto fail;
    }
    if ((rc = expand_hybrid(out, scope__pmu_sysfs_root(root))))
        goto fail;
    return 0;
fail:
    scope__evlist_free(out);
    return rc;
}
