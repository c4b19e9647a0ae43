/* Uncore discovery and the bandwidth plan: which PMU, which event, which
 * CPU per socket, and what one count is in bytes. Reads only the sysfs root
 * it is given (fixture trees stand in for /sys); opens no perf event.
 *
 * Encodings are the kernel's (arch/x86/events/intel/uncore_snbep.c,
 * arch/x86/events/amd/uncore.c) and the perf JSON files for AMD DF/UMC,
 * as summarised in shared/reference/pmu.md section 4. */
#include "uncore_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CPUS 4096

SCOPE_API const char *scope_uncore_kind_name(int kind)
{
    switch (kind) {
    case SCOPE_UNCORE_NONE: return "none";
    case SCOPE_UNCORE_INTEL_IMC: return "intel_imc";
    case SCOPE_UNCORE_INTEL_IMC_FREERUN: return "intel_imc_free_running";
    case SCOPE_UNCORE_INTEL_IMC_CLIENT: return "intel_imc_client";
    case SCOPE_UNCORE_AMD_DF: return "amd_df";
    case SCOPE_UNCORE_AMD_UMC: return "amd_umc";
    default: return "unknown";
    }
}

SCOPE_API const char *scope_uncore_dir_name(int dir)
{
    switch (dir) {
    case SCOPE_UNCORE_READ: return "read";
    case SCOPE_UNCORE_WRITE: return "write";
    case SCOPE_UNCORE_READ_WRITE: return "read_write";
    default: return "unknown";
    }
}

SCOPE_API int scope_uncore_opts_init(scope_uncore_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_uncore_opts");
}

int scope__uncore_cpulist(const char *text, int *cpus, size_t cap)
{
    size_t n = 0;
    const char *p = text, *end = text + strlen(text);
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (p == end)
        return scope__error(SCOPE_EPARSE, 0, "empty CPU list");
    while (p < end) {
        uint64_t a, b;
        if (!isdigit((unsigned char)*p) || scope__parse_u64(&p, end, &a) || a >= MAX_CPUS)
            return scope__error(SCOPE_EPARSE, 0, "'%s' is not a CPU list (e.g. 0,28 or 0-3)",
                                text);
        b = a;
        if (p < end && *p == '-') {
            p++;
            if (p >= end || !isdigit((unsigned char)*p) || scope__parse_u64(&p, end, &b) ||
                b < a || b >= MAX_CPUS)
                return scope__error(SCOPE_EPARSE, 0, "'%s' is not a CPU list (e.g. 0,28 or 0-3)",
                                    text);
        }
        for (uint64_t c = a; c <= b; c++) {
            if (n >= cap)
                return scope__error(SCOPE_ENOSPC, 0, "CPU list '%s' has more than %zu CPUs",
                                    text, cap);
            cpus[n++] = (int)c;
        }
        if (p < end) {
            if (*p != ',')
                return scope__error(SCOPE_EPARSE, 0, "'%s' is not a CPU list (e.g. 0,28 or 0-3)",
                                    text);
            p++;
            if (p >= end)
                return scope__error(SCOPE_EPARSE, 0, "'%s' ends with a comma", text);
        }
    }
    return (int)n;
}

double scope__uncore_bytes_per_count(double scale, const char *unit)
{
    if (!unit || !*unit || !(scale > 0))
        return 64.0;
    if (!strcmp(unit, "MiB"))
        return scale * 1048576.0;
    if (!strcmp(unit, "MB"))
        return scale * 1e6;
    if (!strcmp(unit, "KiB"))
        return scale * 1024.0;
    if (!strcmp(unit, "kB") || !strcmp(unit, "KB"))
        return scale * 1e3;
    if (!strcmp(unit, "B") || !strcmp(unit, "bytes") || !strcmp(unit, "Bytes"))
        return scale;
    return 64.0;
}

void scope__uncore_format_spec(const struct scope__pmu_format *f, char *buf, size_t cap)
{
    static const char *const field[] = {"config", "config1", "config2", "config3"};
    size_t len = (size_t)snprintf(buf, cap, "%s:", field[f->field & 3]);
    for (int r = 0; r < f->nranges && len < cap; r++) {
        if (f->lo[r] == f->hi[r])
            len += (size_t)snprintf(buf + len, cap - len, "%s%u", r ? "," : "", f->lo[r]);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%s%u-%u", r ? "," : "", f->lo[r],
                                    f->hi[r]);
    }
}

SCOPE_API void scope_uncore_plan_free(scope_uncore_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->npmus; i++) {
        if (p->pmus[i].fspec)
            for (size_t j = 0; j < p->pmus[i].info->nformats; j++)
                free(p->pmus[i].fspec[j]);
        free(p->pmus[i].fspec);
        scope__pmu_info_free(p->pmus[i].info);
    }
    free(p->pmus);
    for (size_t i = 0; i < p->nctr; i++)
        free(p->ctr[i].event);
    free(p->ctr);
    free(p->socket_ids);
    free(p->sysroot);
    free(p->pmuroot);
    free(p);
}

static int is_core_pmu(const char *n)
{
    return !strcmp(n, "cpu") || !strcmp(n, "cpu_core") || !strcmp(n, "cpu_atom");
}

/* "uncore_imc_12" with prefix "uncore_imc_" -> 12; -1 when not prefix+digits. */
static long suffix_num(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || !name[n])
        return -1;
    char *end;
    long v = strtol(name + n, &end, 10);
    if (*end || !isdigit((unsigned char)name[n]))
        return -1;
    return v;
}

/* The PMUs a bandwidth plan may use: their files must parse. */
static int is_memory_pmu(const char *n)
{
    return !strncmp(n, "uncore_imc", 10) || !strncmp(n, "amd_umc_", 8) || !strcmp(n, "amd_df");
}

static int load_pmus(scope_uncore_plan *p, char **names, size_t n)
{
    if (!(p->pmus = calloc(n ? n : 1, sizeof *p->pmus)))
        return scope__enomem("uncore PMU list");
    for (size_t i = 0; i < n; i++) {
        if (is_core_pmu(names[i]))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s/cpumask", p->pmuroot, names[i]);
        if (access(path, R_OK))
            continue;
        scope__pmu_info *info;
        int rc = scope__pmu_load(&info, p->pmuroot, names[i]);
        if (rc == SCOPE_ENOMEM || (rc && is_memory_pmu(names[i])))
            return rc;
        if (rc)
            continue; /* an unparsable PMU that plays no part in bandwidth */
        struct scope__uncore_pmu *u = &p->pmus[p->npmus++];
        u->info = info;
        if (!(u->fspec = calloc(info->nformats ? info->nformats : 1, sizeof *u->fspec)))
            return scope__enomem("uncore PMU formats");
        for (size_t j = 0; j < info->nformats; j++) {
            char buf[128];
            scope__uncore_format_spec(&info->formats[j], buf, sizeof buf);
            if (!(u->fspec[j] = scope__strdup(buf)))
                return scope__enomem("uncore PMU formats");
        }
    }
    return 0;
}

/* A planned PMU and the events to put on each of its CPUs. */
struct pick {
    struct scope__uncore_pmu *u;
    long num;
};

static int cmp_pick(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    return strcmp(x->u->info->name, y->u->info->name);
}

static size_t pick_prefix(scope_uncore_plan *p, const char *prefix, const char *need_alias,
                          struct pick *out)
{
    size_t n = 0;
    for (size_t i = 0; i < p->npmus; i++) {
        long v = suffix_num(p->pmus[i].info->name, prefix);
        if (v < 0)
            continue;
        if (need_alias && !scope__pmu_find_alias(p->pmus[i].info, need_alias))
            continue;
        out[n].u = &p->pmus[i];
        out[n].num = v;
        n++;
    }
    qsort(out, n, sizeof *out, cmp_pick);
    return n;
}

static struct scope__uncore_pmu *find_pmu(scope_uncore_plan *p, const char *name)
{
    for (size_t i = 0; i < p->npmus; i++)
        if (!strcmp(p->pmus[i].info->name, name))
            return &p->pmus[i];
    return NULL;
}

static int read_int(const char *path, long *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ok = fscanf(f, "%ld", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* Adds one counter per CPU of @u's cpumask. @sub separates several channels
 * served by one PMU (amd_df): counters sharing (pmu, sub) on a socket are
 * one channel. */
static int add_counters(scope_uncore_plan *p, struct scope__uncore_pmu *u, const char *terms,
                        int dir, int width, int sub, size_t *cap)
{
    if (!u->info->cpumask)
        return scope__error(SCOPE_EPARSE, 0, "%s/%s/cpumask is unreadable", p->pmuroot,
                            u->info->name);
    int cpus[256];
    int n = scope__uncore_cpulist(u->info->cpumask, cpus, 256);
    if (n < 0)
        return scope__error(n, 0, "%s/%s/cpumask: %s", p->pmuroot, u->info->name,
                            scope_error_message());
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    double scale = 1.0;
    const char *unit = "";
    int rc = scope__pmu_encode_terms(u->info, terms, &attr, &scale, &unit);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        if (scope__grow((void **)&p->ctr, cap, p->nctr + 1, sizeof *p->ctr))
            return scope__enomem("uncore counters");
        struct scope__uncore_counter *c = &p->ctr[p->nctr];
        memset(c, 0, sizeof *c);
        if (!(c->event = scope__strdup(terms)))
            return scope__enomem("uncore counters");
        p->nctr++;
        c->pmu = u->info->name;
        c->cpu = cpus[i];
        c->dir = dir;
        c->width = width;
        c->type = attr.type;
        c->config = attr.config;
        c->config1 = attr.config1;
        c->scale = scale;
        c->unit = unit ? unit : "";
        c->bpc = scope__uncore_bytes_per_count(scale, unit);
        c->channel = sub; /* provisional: renumbered per socket below */
        char path[2048];
        long pkg;
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/topology/physical_package_id",
                 p->sysroot, cpus[i]);
        c->socket = read_int(path, &pkg) ? -1 : (int)pkg;
    }
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sockets: package ids, or the rank of the CPU among the planned CPUs when
 * topology is missing. */
static int number_sockets(scope_uncore_plan *p)
{
    int *ids = calloc(p->nctr + 1, sizeof *ids);
    if (!ids)
        return scope__enomem("uncore sockets");
    int missing = 0;
    for (size_t i = 0; i < p->nctr; i++)
        if (p->ctr[i].socket < 0)
            missing = 1;
    if (missing) { /* rank of each distinct CPU */
        size_t n = 0;
        for (size_t i = 0; i < p->nctr; i++)
            ids[n++] = p->ctr[i].cpu;
        qsort(ids, n, sizeof *ids, cmp_int);
        for (size_t i = 0; i < p->nctr; i++) {
            int rank = 0;
            for (size_t j = 0; j < n; j++) {
                if (ids[j] == p->ctr[i].cpu)
                    break;
                if (!j || ids[j] != ids[j - 1])
                    rank++;
            }
            p->ctr[i].socket = rank;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nctr; i++)
        ids[n++] = p->ctr[i].socket;
    qsort(ids, n, sizeof *ids, cmp_int);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || ids[u - 1] != ids[i])
            ids[u++] = ids[i];
    p->socket_ids = ids;
    p->nsockets = u;
    return 0;
}

/* Channel numbering, done separately for clarity: key (socket, pmu, cpu,
 * sub); the n-th distinct key of a socket in counter order is channel n. */
static int number_channels(scope_uncore_plan *p)
{
    size_t n = p->nctr;
    int *sub = malloc((n + 1) * sizeof *sub);
    if (!sub)
        return scope__enomem("uncore channels");
    for (size_t i = 0; i < n; i++)
        sub[i] = p->ctr[i].channel;
    size_t maxch = 0;
    for (size_t s = 0; s < p->nsockets; s++) {
        int next = 0;
        for (size_t i = 0; i < n; i++) {
            struct scope__uncore_counter *c = &p->ctr[i];
            if (c->socket != p->socket_ids[s])
                continue;
            c->sidx = (int)s;
            int ch = -1;
            for (size_t j = 0; j < i; j++) {
                const struct scope__uncore_counter *d = &p->ctr[j];
                if (d->socket == c->socket && d->pmu == c->pmu && d->cpu == c->cpu &&
                    sub[j] == sub[i]) {
                    ch = d->channel;
                    break;
                }
            }
            c->channel = ch >= 0 ? ch : next++;
        }
        if ((size_t)next > maxch)
            maxch = (size_t)next;
    }
    p->nchannels = maxch;
    free(sub);
    return 0;
}

static int plan_counters(scope_uncore_plan *p, int prefer_cas)
{
    size_t cap = 0;
    struct pick *pk = calloc(p->npmus + 1, sizeof *pk);
    if (!pk)
        return scope__enomem("uncore plan");
    int rc = 0;
    size_t n;
    if (!prefer_cas && (n = pick_prefix(p, "uncore_imc_free_running_", "read", pk)) > 0) {
        p->kind = SCOPE_UNCORE_INTEL_IMC_FREERUN;
        for (size_t i = 0; i < n && !rc; i++) {
            if (!scope__pmu_find_alias(pk[i].u->info, "write"))
                continue;
            if (!(rc = add_counters(p, pk[i].u, "read", SCOPE_UNCORE_READ, 48, 0, &cap)))
                rc = add_counters(p, pk[i].u, "write", SCOPE_UNCORE_WRITE, 48, 0, &cap);
        }
    } else if ((n = pick_prefix(p, "uncore_imc_", NULL, pk)) > 0) {
        p->kind = SCOPE_UNCORE_INTEL_IMC;
        for (size_t i = 0; i < n && !rc; i++) {
            const scope__pmu_info *in = pk[i].u->info;
            if (scope__pmu_find_alias(in, "cas_count_read") &&
                scope__pmu_find_alias(in, "cas_count_write")) {
                if (!(rc = add_counters(p, pk[i].u, "cas_count_read", SCOPE_UNCORE_READ, 48, 0,
                                        &cap)))
                    rc = add_counters(p, pk[i].u, "cas_count_write", SCOPE_UNCORE_WRITE, 48, 0,
                                      &cap);
            } else if (scope__pmu_find_alias(in, "cas_count_read_sch0")) {
                /* Granite Rapids: two sub-channels, summed into one channel */
                static const char *const ev[4] = {"cas_count_read_sch0", "cas_count_read_sch1",
                                                  "cas_count_write_sch0", "cas_count_write_sch1"};
                for (int k = 0; k < 4 && !rc; k++)
                    if (scope__pmu_find_alias(in, ev[k]))
                        rc = add_counters(p, pk[i].u, ev[k],
                                          k < 2 ? SCOPE_UNCORE_READ : SCOPE_UNCORE_WRITE, 48, 0,
                                          &cap);
            }
        }
    } else if (find_pmu(p, "uncore_imc") &&
               scope__pmu_find_alias(find_pmu(p, "uncore_imc")->info, "data_reads")) {
        p->kind = SCOPE_UNCORE_INTEL_IMC_CLIENT;
        struct scope__uncore_pmu *u = find_pmu(p, "uncore_imc");
        if (!(rc = add_counters(p, u, "data_reads", SCOPE_UNCORE_READ, 32, 0, &cap)) &&
            scope__pmu_find_alias(u->info, "data_writes"))
            rc = add_counters(p, u, "data_writes", SCOPE_UNCORE_WRITE, 32, 0, &cap);
    } else if ((n = pick_prefix(p, "amd_umc_", NULL, pk)) > 0) {
        /* umc_cas_cmd = event 0x0a; rdwrmask 1 = reads, 2 = writes. Encoded
         * from format/ because events/ may be empty. */
        p->kind = SCOPE_UNCORE_AMD_UMC;
        for (size_t i = 0; i < n && !rc; i++)
            if (!(rc = add_counters(p, pk[i].u, "event=0x0a,rdwrmask=0x1", SCOPE_UNCORE_READ, 48,
                                    0, &cap)))
                rc = add_counters(p, pk[i].u, "event=0x0a,rdwrmask=0x2", SCOPE_UNCORE_WRITE, 48, 0,
                                  &cap);
    } else if (find_pmu(p, "amd_df")) {
        p->kind = SCOPE_UNCORE_AMD_DF;
        struct scope__uncore_pmu *u = find_pmu(p, "amd_df");
        const struct scope__pmu_format *um = scope__pmu_find_format(u->info, "umask");
        char terms[64];
        if (um && um->nranges > 1) {
            /* PerfMonV2 DF (Zen 4+): local_processor_{read,write}_data_beats_cs<N>,
             * event 0x1f + 0x40*N, umask 0x7fe read / 0x7ff write, 12 CS */
            for (int cs = 0; cs < 12 && !rc; cs++) {
                snprintf(terms, sizeof terms, "event=0x%x,umask=0x7fe", 0x1f + 0x40 * cs);
                if (!(rc = add_counters(p, u, terms, SCOPE_UNCORE_READ, 48, cs, &cap))) {
                    snprintf(terms, sizeof terms, "event=0x%x,umask=0x7ff", 0x1f + 0x40 * cs);
                    rc = add_counters(p, u, terms, SCOPE_UNCORE_WRITE, 48, cs, &cap);
                }
            }
        } else {
            /* Zen 2/3: dram_channel_data_controller_<N>, event 0x07 + 0x40*N,
             * umask 0x38 (requests with 64 B of data, reads and writes) */
            for (int ch = 0; ch < 8 && !rc; ch++) {
                snprintf(terms, sizeof terms, "event=0x%x,umask=0x38", 0x07 + 0x40 * ch);
                rc = add_counters(p, u, terms, SCOPE_UNCORE_READ_WRITE, 48, ch, &cap);
            }
        }
    }
    free(pk);
    if (rc)
        return rc;
    if (!p->nctr)
        return SCOPE_ENODEV; /* message written by the caller */
    if ((rc = number_sockets(p)))
        return rc;
    return number_channels(p);
}

static int no_pmu_error(const scope_uncore_plan *p, char **names, int n)
{
    scope__buf b = {0};
    for (int i = 0; i < n; i++)
        scope__buf_printf(&b, "%s%s", i ? " " : "", names[i]);
    int rc = scope__error(SCOPE_ENODEV, 0,
                        "no memory-controller PMU under %s (probed uncore_imc_free_running_<N> "
                        "read/write, uncore_imc_<N> cas_count_read/write, uncore_imc data_reads, "
                        "amd_umc_<N>, amd_df; present: %s). Uncore PMUs need bare metal (or a VM "
                        "that passes them through) and the kernel's uncore drivers; for per-group "
                        "bandwidth use resctrl MBM where /sys/fs/resctrl is mounted",
                        p->pmuroot, n > 0 && b.data ? b.data : "none");
    scope__buf_free(&b);
    return rc;
}

SCOPE_API int scope_uncore_plan_new(scope_uncore_plan **out, const scope_uncore_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_uncore_plan_new: out is NULL");
    *out = NULL;
    scope_uncore_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_uncore_opts");
    if (!rc && o.reserved0)
        rc = scope__error(SCOPE_EINVAL, 0, "scope_uncore_opts.reserved0 must be 0");
    if (rc)
        return rc;
    scope_uncore_plan *p = calloc(1, sizeof *p);
    if (!p)
        return scope__enomem("an uncore plan");
    const char *root = o.sysfs_root && *o.sysfs_root ? o.sysfs_root : "/sys";
    if (!(p->sysroot = scope__strdup(root)) ||
        !(p->pmuroot = scope__asprintf("%s/bus/event_source/devices", root))) {
        scope_uncore_plan_free(p);
        return scope__enomem("an uncore plan");
    }
    char **names = NULL;
    int n = scope__pmu_list(p->pmuroot, &names);
    if (n < 0) {
        rc = scope__error(SCOPE_ENODEV, scope_error_errno(),
                          "no perf PMU directory at %s (%s): is this the sysfs root of a Linux "
                          "machine? pass --sysfs-root / opts.sysfs_root",
                          p->pmuroot, scope_error_message());
        scope_uncore_plan_free(p);
        return rc;
    }
    rc = load_pmus(p, names, (size_t)n);
    if (!rc) {
        rc = plan_counters(p, o.prefer_cas);
        if (rc == SCOPE_ENODEV && !p->nctr)
            rc = no_pmu_error(p, names, n);
    }
    scope__strv_free(names, (size_t)n);
    if (rc) {
        scope_uncore_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

SCOPE_API int scope_uncore_plan_kind(const scope_uncore_plan *p)
{
    return p ? p->kind : SCOPE_UNCORE_NONE;
}
SCOPE_API size_t scope_uncore_plan_sockets(const scope_uncore_plan *p)
{
    return p ? p->nsockets : 0;
}
SCOPE_API size_t scope_uncore_plan_channels(const scope_uncore_plan *p)
{
    return p ? p->nchannels : 0;
}
SCOPE_API size_t scope_uncore_plan_counter_count(const scope_uncore_plan *p)
{
    return p ? p->nctr : 0;
}

static int bad_index(const char *fn, size_t i)
{
    return scope__error(SCOPE_EINVAL, 0, "%s: index %zu is out of range (or the plan is NULL)", fn,
                        i);
}

SCOPE_API int scope_uncore_plan_counter(const scope_uncore_plan *p, size_t i, const char **pmu,
                                        const char **event, int *cpu, int *socket, int *channel,
                                        int *dir)
{
    if (!p || i >= p->nctr)
        return bad_index("scope_uncore_plan_counter", i);
    const struct scope__uncore_counter *c = &p->ctr[i];
    if (pmu)
        *pmu = c->pmu;
    if (event)
        *event = c->event;
    if (cpu)
        *cpu = c->cpu;
    if (socket)
        *socket = c->socket;
    if (channel)
        *channel = c->channel;
    if (dir)
        *dir = c->dir;
    return 0;
}

SCOPE_API int scope_uncore_plan_encoding(const scope_uncore_plan *p, size_t i, uint32_t *type,
                                         uint64_t *config, uint64_t *config1, double *scale,
                                         const char **unit, double *bytes_per_count, int *width)
{
    if (!p || i >= p->nctr)
        return bad_index("scope_uncore_plan_encoding", i);
    const struct scope__uncore_counter *c = &p->ctr[i];
    if (type)
        *type = c->type;
    if (config)
        *config = c->config;
    if (config1)
        *config1 = c->config1;
    if (scale)
        *scale = c->scale;
    if (unit)
        *unit = c->unit;
    if (bytes_per_count)
        *bytes_per_count = c->bpc;
    if (width)
        *width = c->width;
    return 0;
}

SCOPE_API uint64_t scope_uncore_delta(uint64_t before, uint64_t after, int width)
{
    if (width < 1 || width > 64)
        return 0;
    uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
    return (after - before) & mask;
}

SCOPE_API int scope_uncore_plan_rates(const scope_uncore_plan *p, const uint64_t *before,
                                      const uint64_t *after, int width, double seconds,
                                      double *chan_read, double *chan_write, double *chan_total,
                                      double *sock_read, double *sock_write, double *sock_total)
{
    if (!p || !before || !after)
        return scope__error(SCOPE_EINVAL, 0, "scope_uncore_plan_rates: NULL plan or readings");
    if (!(seconds > 0) || !isfinite(seconds))
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_uncore_plan_rates: the interval must be > 0 seconds, not %g",
                            seconds);
    if (width < 1 || width > 64)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_uncore_plan_rates: counter width %d is not in 1..64", width);
    size_t cells = p->nsockets * p->nchannels;
    for (size_t k = 0; k < cells; k++) {
        if (chan_read)
            chan_read[k] = 0;
        if (chan_write)
            chan_write[k] = 0;
        if (chan_total)
            chan_total[k] = 0;
    }
    for (size_t s = 0; s < p->nsockets; s++) {
        if (sock_read)
            sock_read[s] = 0;
        if (sock_write)
            sock_write[s] = 0;
        if (sock_total)
            sock_total[s] = 0;
    }
    for (size_t i = 0; i < p->nctr; i++) {
        const struct scope__uncore_counter *c = &p->ctr[i];
        double bps = (double)scope_uncore_delta(before[i], after[i], width) * c->bpc / seconds;
        size_t cell = (size_t)c->sidx * p->nchannels + (size_t)c->channel;
        if (c->dir == SCOPE_UNCORE_READ) {
            if (chan_read)
                chan_read[cell] += bps;
            if (sock_read)
                sock_read[c->sidx] += bps;
        } else if (c->dir == SCOPE_UNCORE_WRITE) {
            if (chan_write)
                chan_write[cell] += bps;
            if (sock_write)
                sock_write[c->sidx] += bps;
        }
        if (chan_total)
            chan_total[cell] += bps;
        if (sock_total)
            sock_total[c->sidx] += bps;
    }
    return 0;
}

SCOPE_API size_t scope_uncore_pmu_count(const scope_uncore_plan *p)
{
    return p ? p->npmus : 0;
}

SCOPE_API int scope_uncore_pmu_at(const scope_uncore_plan *p, size_t i, const char **name,
                                  uint32_t *type, const char **cpumask, size_t *nformats,
                                  size_t *nevents)
{
    if (!p || i >= p->npmus)
        return bad_index("scope_uncore_pmu_at", i);
    const scope__pmu_info *in = p->pmus[i].info;
    if (name)
        *name = in->name;
    if (type)
        *type = in->type;
    if (cpumask)
        *cpumask = in->cpumask ? in->cpumask : "";
    if (nformats)
        *nformats = in->nformats;
    if (nevents)
        *nevents = in->naliases;
    return 0;
}

SCOPE_API int scope_uncore_pmu_format(const scope_uncore_plan *p, size_t i, size_t j,
                                      const char **name, const char **spec)
{
    if (!p || i >= p->npmus || j >= p->pmus[i].info->nformats)
        return bad_index("scope_uncore_pmu_format", j);
    if (name)
        *name = p->pmus[i].info->formats[j].name;
    if (spec)
        *spec = p->pmus[i].fspec[j];
    return 0;
}

SCOPE_API int scope_uncore_pmu_event(const scope_uncore_plan *p, size_t i, size_t j,
                                     const char **name, const char **terms, double *scale,
                                     const char **unit)
{
    if (!p || i >= p->npmus || j >= p->pmus[i].info->naliases)
        return bad_index("scope_uncore_pmu_event", j);
    const struct scope__pmu_alias *a = &p->pmus[i].info->aliases[j];
    if (name)
        *name = a->name;
    if (terms)
        *terms = a->terms;
    if (scale)
        *scale = a->scale;
    if (unit)
        *unit = a->unit ? a->unit : "";
    return 0;
}
