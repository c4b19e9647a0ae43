/* Top-down (TMA) recipes: events, encodings, formulas, detection, and the
 * accumulate-then-compute path shared by live and recorded counts.
 * Formulas and encodings: shared/reference/pmu.md section 3. */
#include "../pmu/pmu_priv.h"
#include "topdown_priv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

enum { V_INTEL = 1, V_AMD = 2 };
enum { K_SKL = 1, K_ICL, K_SPR, K_HYBRID, K_AMD };
enum { PMU_CORE = 0, PMU_ATOM = 1 };
/* When an event is needed. */
enum { L1 = 1, L2 = 2, SMT_ON = 4, SMT_OFF = 8 };

struct td_event {
    const char *key;   /* libscope's name, usually the perf JSON name */
    const char *terms; /* on the core PMU's format */
    const char *names; /* other names, '|'-separated */
    int pmu;           /* PMU_CORE / PMU_ATOM */
    int need;          /* L1|L2, SMT_ON / SMT_OFF restrict it */
    int group;         /* group number within the recipe */
};

struct td_recipe {
    const char *name;
    int vendor, kind, width;
    int has_l2;
    const struct td_event *ev;
    size_t nev;
};

/* Intel up to Cascade Lake (3.1). */
static const struct td_event skl_ev[] = {
    {"cpu_clk_unhalted.thread", "event=0x3c,umask=0x0", "cpu_clk_unhalted.thread_p|cycles",
     PMU_CORE, L1 | SMT_OFF, 0},
    {"cpu_clk_unhalted.thread_any", "event=0x3c,umask=0x0,any=1", "topdown-total-slots",
     PMU_CORE, L1 | SMT_ON, 0},
    {"uops_issued.any", "event=0xe,umask=0x1", "topdown-slots-issued", PMU_CORE, L1, 0},
    {"uops_retired.retire_slots", "event=0xc2,umask=0x2", "topdown-slots-retired", PMU_CORE, L1,
     0},
    {"idq_uops_not_delivered.core", "event=0x9c,umask=0x1", "topdown-fetch-bubbles", PMU_CORE, L1,
     0},
    {"int_misc.recovery_cycles", "event=0xd,umask=0x1", "", PMU_CORE, L1 | SMT_OFF, 0},
    {"int_misc.recovery_cycles_any", "event=0xd,umask=0x1,any=1", "", PMU_CORE, L1 | SMT_ON, 0},
    {"idq_uops_not_delivered.cycles_0_uops_deliv.core", "event=0x9c,umask=0x1,cmask=4", "",
     PMU_CORE, L2, 1},
    {"br_misp_retired.all_branches", "event=0xc5,umask=0x0", "branch-misses", PMU_CORE, L2, 1},
    {"machine_clears.count", "event=0xc3,umask=0x1,edge=1,cmask=1", "", PMU_CORE, L2, 1},
    {"cycle_activity.stalls_mem_any", "event=0xa3,umask=0x14,cmask=20", "", PMU_CORE, L2, 1},
    {"exe_activity.bound_on_stores", "event=0xa6,umask=0x40", "", PMU_CORE, L2, 2},
    {"cycle_activity.stalls_total", "event=0xa3,umask=0x4,cmask=4", "", PMU_CORE, L2, 2},
    {"exe_activity.1_ports_util", "event=0xa6,umask=0x2", "", PMU_CORE, L2, 2},
    {"exe_activity.2_ports_util", "event=0xa6,umask=0x4", "", PMU_CORE, L2, 2},
    /* Heavy_Operations (kernel skylake pipeline.json): UOPS_RETIRED.MACRO_FUSED
     * C2H/04H; INST_RETIRED.ANY counts on fixed counter 0, its generic form
     * (INST_RETIRED.ANY_P, the kernel's `instructions`) is C0H/00H */
    {"uops_retired.macro_fused", "event=0xc2,umask=0x4", "", PMU_CORE, L2, 3},
    {"inst_retired.any", "event=0xc0,umask=0x0", "instructions|inst_retired.any_p", PMU_CORE, L2,
     3},
};

/* Intel Icelake+ perf metrics (3.2): slots leads, metrics follow. */
#define PM_EVENTS(pmu)                                                                          \
    {"slots", "event=0x0,umask=0x4", "topdown.slots", pmu, L1, 0},                              \
    {"topdown-retiring", "event=0x0,umask=0x80", "", pmu, L1, 0},                               \
    {"topdown-bad-spec", "event=0x0,umask=0x81", "", pmu, L1, 0},                               \
    {"topdown-fe-bound", "event=0x0,umask=0x82", "", pmu, L1, 0},                               \
    {"topdown-be-bound", "event=0x0,umask=0x83", "", pmu, L1, 0}
#define PM_L2_EVENTS(pmu)                                                                       \
    {"topdown-heavy-ops", "event=0x0,umask=0x84", "", pmu, L2, 0},                              \
    {"topdown-br-mispredict", "event=0x0,umask=0x85", "", pmu, L2, 0},                          \
    {"topdown-fetch-lat", "event=0x0,umask=0x86", "", pmu, L2, 0},                              \
    {"topdown-mem-bound", "event=0x0,umask=0x87", "", pmu, L2, 0}

/* Icelake level 2 has no perf-metrics fields: the kernel's icelake and
 * icelakex metrics (tma_fetch_latency, tma_branch_mispredicts,
 * tma_memory_bound, tma_heavy_operations, tma_microcode_sequencer) use
 * generic events, encoded as in the kernel's icelake pipeline.json and
 * frontend.json (BOUND_ON_STORES has cmask 2 here, unlike Skylake; the
 * zero-uops cycles event has cmask 5, the width). Groups hold at most four
 * generic events, the ratios' terms together. */
static const struct td_event icl_ev[] = {
    PM_EVENTS(PMU_CORE),
    {"int_misc.uop_dropping", "event=0xd,umask=0x10", "", PMU_CORE, L1, 1},
    {"int_misc.clears_count", "event=0xd,umask=0x1,edge=1,cmask=1", "", PMU_CORE, L1, 1},
    {"idq_uops_not_delivered.cycles_0_uops_deliv.core", "event=0x9c,umask=0x1,cmask=5", "",
     PMU_CORE, L2, 1},
    {"br_misp_retired.all_branches", "event=0xc5,umask=0x0", "branch-misses", PMU_CORE, L2, 2},
    {"machine_clears.count", "event=0xc3,umask=0x1,edge=1,cmask=1", "", PMU_CORE, L2, 2},
    {"cycle_activity.stalls_mem_any", "event=0xa3,umask=0x14,cmask=20", "", PMU_CORE, L2, 2},
    {"exe_activity.bound_on_stores", "event=0xa6,umask=0x40,cmask=2", "", PMU_CORE, L2, 2},
    {"cycle_activity.stalls_total", "event=0xa3,umask=0x4,cmask=4", "", PMU_CORE, L2, 3},
    {"exe_activity.1_ports_util", "event=0xa6,umask=0x2", "", PMU_CORE, L2, 3},
    {"exe_activity.2_ports_util", "event=0xa6,umask=0x4", "", PMU_CORE, L2, 3},
    {"uops_issued.any", "event=0xe,umask=0x1", "", PMU_CORE, L2, 4},
    {"uops_retired.slots", "event=0xc2,umask=0x2", "", PMU_CORE, L2, 4},
    {"idq.ms_uops", "event=0x79,umask=0x30", "", PMU_CORE, L2, 4},
    {"uops_decoded.dec0", "event=0x56,umask=0x1", "", PMU_CORE, L2, 5},
    {"uops_decoded.dec0.cmask", "event=0x56,umask=0x1,cmask=1", "", PMU_CORE, L2, 5},
    {"idq.mite_uops", "event=0x79,umask=0x4", "", PMU_CORE, L2, 5},
};

static const struct td_event spr_ev[] = {
    PM_EVENTS(PMU_CORE),
    PM_L2_EVENTS(PMU_CORE),
    {"int_misc.uop_dropping", "event=0xd,umask=0x10", "", PMU_CORE, L1, 1},
};

/* Alder Lake: cpu_core as SPR, cpu_atom with ordinary events (3.3). */
static const struct td_event adl_ev[] = {
    PM_EVENTS(PMU_CORE),
    PM_L2_EVENTS(PMU_CORE),
    {"int_misc.uop_dropping", "event=0xd,umask=0x10", "", PMU_CORE, L1, 1},
    {"atom:cpu_clk_unhalted.core", "event=0x3c,umask=0x0", "cycles", PMU_ATOM, L1, 2},
    {"atom:topdown_retiring.all", "event=0xc2,umask=0x0", "topdown-retiring", PMU_ATOM, L1, 2},
    {"atom:topdown_fe_bound.all", "event=0x71,umask=0x0", "topdown-fe-bound", PMU_ATOM, L1, 2},
    {"atom:topdown_be_bound.all", "event=0x74,umask=0x0", "topdown-be-bound", PMU_ATOM, L1, 2},
};

/* AMD pipeline utilisation (3.4). cmask of the latency event = width. */
#define AMD_EVENTS(cm)                                                                          \
    {"ls_not_halted_cyc", "event=0x76", "cycles", PMU_CORE, L1, 0},                             \
    {"de_no_dispatch_per_slot.no_ops_from_frontend", "event=0x1a0,umask=0x1", "", PMU_CORE, L1, \
     0},                                                                                        \
    {"de_no_dispatch_per_slot.backend_stalls", "event=0x1a0,umask=0x1e", "", PMU_CORE, L1, 0},  \
    {"de_no_dispatch_per_slot.smt_contention", "event=0x1a0,umask=0x60", "", PMU_CORE, L1, 0},  \
    {"de_src_op_disp.all", "event=0xaa,umask=0x7", "", PMU_CORE, L1, 0},                        \
    {"ex_ret_ops", "event=0xc1", "", PMU_CORE, L1, 0},                                          \
    {"de_no_dispatch_per_slot.no_ops_from_frontend.cmask", "event=0x1a0,umask=0x1,cmask=" cm,  \
     "", PMU_CORE, L2, 1},                                                                      \
    {"ex_no_retire.not_complete", "event=0xd6,umask=0x2", "", PMU_CORE, L2, 1},                 \
    {"ex_no_retire.load_not_complete", "event=0xd6,umask=0xa2", "", PMU_CORE, L2, 1},           \
    {"ex_ret_ucode_ops", "event=0x1c2", "", PMU_CORE, L2, 1}

static const struct td_event zen4_ev[] = {
    AMD_EVENTS("6"),
    {"ex_ret_brn_misp", "event=0xc3", "", PMU_CORE, L2, 1},
    {"resyncs_or_nc_redirects", "event=0x96", "", PMU_CORE, L2, 1},
};
/* Zen 5 splits Bad_Speculation with bp_redirects.resync (event 0x9f, umask
 * 0x01: kernel pmu-events amdzen5 branch-prediction.json and pipeline.json's
 * bad_speculation_from_mispredicts) where Zen 4 uses resyncs_or_nc_redirects. */
static const struct td_event zen5_ev[] = {
    AMD_EVENTS("8"),
    {"ex_ret_brn_misp", "event=0xc3", "", PMU_CORE, L2, 1},
    {"bp_redirects.resync", "event=0x9f,umask=0x1", "", PMU_CORE, L2, 1},
};

#define N(a) (sizeof a / sizeof *a)
static const struct td_recipe recipes[] = {
    {"skylake", V_INTEL, K_SKL, 4, 1, skl_ev, N(skl_ev)},
    {"skylakex", V_INTEL, K_SKL, 4, 1, skl_ev, N(skl_ev)},
    {"icelake", V_INTEL, K_ICL, 5, 1, icl_ev, N(icl_ev)},
    {"icelakex", V_INTEL, K_ICL, 5, 1, icl_ev, N(icl_ev)},
    {"sapphirerapids", V_INTEL, K_SPR, 6, 1, spr_ev, N(spr_ev)},
    {"alderlake", V_INTEL, K_HYBRID, 6, 1, adl_ev, N(adl_ev)},
    {"amdzen4", V_AMD, K_AMD, 6, 1, zen4_ev, N(zen4_ev)},
    {"amdzen5", V_AMD, K_AMD, 8, 1, zen5_ev, N(zen5_ev)},
};

#define MAX_NODES 48

struct td_node {
    const char *name, *parent, *core;
    int level;
    double v;
};

struct scope_topdown {
    const struct td_recipe *r;
    int level, smt;
    char *root;
    const char *pmu_name[2];
    /* active events */
    const struct td_event **ev;
    char **spec;
    uint64_t *config;
    double *count;
    unsigned char *seen;
    double *prev; /* read_pmu_delta */
    int have_prev;
    size_t nev;
    char *events; /* the perf list */
    struct td_node node[MAX_NODES];
    size_t nnode;
};

SCOPE_API int scope_topdown_opts_init(scope_topdown_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_topdown_opts");
}

/* --- encodings without sysfs ---------------------------------------------------- */

/* Encodes "event=..,umask=..,edge=..,any=..,inv=..,cmask=.." with the
 * architectural layout of @vendor (the kernel's cpu/format files). Returns
 * 0, or -1 for a term outside that layout. */
static int encode_default(int vendor, const char *terms, uint64_t *config)
{
    uint64_t c = 0;
    const char *p = terms;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        uint64_t v = 1;
        size_t klen = (size_t)(comma - p);
        if (eq && eq < comma) {
            klen = (size_t)(eq - p);
            char *e;
            v = strtoull(eq + 1, &e, 0);
            if (e != comma)
                return -1;
        }
        if (klen == 5 && !strncmp(p, "event", 5))
            c |= (v & 0xff) | (vendor == V_AMD ? ((v >> 8) & 0xf) << 32 : 0);
        else if (klen == 5 && !strncmp(p, "umask", 5))
            c |= (v & 0xff) << 8;
        else if (klen == 4 && !strncmp(p, "edge", 4))
            c |= (v & 1) << 18;
        else if (klen == 3 && !strncmp(p, "any", 3) && vendor == V_INTEL)
            c |= (v & 1) << 21;
        else if (klen == 3 && !strncmp(p, "inv", 3))
            c |= (v & 1) << 23;
        else if (klen == 5 && !strncmp(p, "cmask", 5))
            c |= (v & 0xff) << 24;
        else
            return -1;
        p = *comma ? comma + 1 : comma;
    }
    *config = c;
    return 0;
}

/* --- detection ---------------------------------------------------------------------- */

static int parse_cpuid(const char *s, char *vendor, size_t vcap, unsigned *family, unsigned *model)
{
    const char *d1 = strchr(s, '-');
    if (!d1 || (size_t)(d1 - s) >= vcap)
        return -1;
    memcpy(vendor, s, (size_t)(d1 - s));
    vendor[d1 - s] = '\0';
    char *e;
    unsigned long f = strtoul(d1 + 1, &e, 0);
    if (e == d1 + 1 || *e != '-')
        return -1;
    const char *m = e + 1;
    unsigned long mo = strtoul(m, &e, 16); /* perf prints the model in hex */
    if (e == m || (*e && *e != '-'))
        return -1;
    *family = (unsigned)f;
    *model = (unsigned)mo;
    return 0;
}

static void own_cpuid(char *vendor, size_t vcap, unsigned *family, unsigned *model)
{
    snprintf(vendor, vcap, "unknown");
    *family = *model = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    char v[13];
    memcpy(v, &b, 4);
    memcpy(v + 4, &d, 4);
    memcpy(v + 8, &c, 4);
    v[12] = '\0';
    snprintf(vendor, vcap, "%s", v);
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
    if (fam == 0xf)
        fam += (a >> 20) & 0xff;
    if (fam == 0x6 || fam >= 0xf)
        mod |= ((a >> 16) & 0xf) << 4;
    *family = fam;
    *model = mod;
#endif
}

static int has_event(const char *root, const char *pmu, const char *ev)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/events/%s", root, pmu, ev);
    return !access(path, F_OK);
}

static int in_list(unsigned m, const unsigned *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == m)
            return 1;
    return 0;
}

SCOPE_API int scope_topdown_detect(const char **recipe, const char **nearest, const char *cpuid,
                                   const char *sysfs_root)
{
    if (recipe)
        *recipe = NULL;
    if (nearest)
        *nearest = NULL;
    const char *root = scope__pmu_sysfs_root(sysfs_root);
    char vendor[32];
    unsigned fam, mod;
    if (cpuid) {
        if (parse_cpuid(cpuid, vendor, sizeof vendor, &fam, &mod))
            return scope__error(SCOPE_EINVAL, 0,
                                "cpuid '%s' is not VENDOR-FAMILY-MODEL as perf prints it (family "
                                "decimal, model hex), e.g. GenuineIntel-6-55 or "
                                "AuthenticAMD-25-11",
                                cpuid);
    } else {
        own_cpuid(vendor, sizeof vendor, &fam, &mod);
    }
    const char *hit = NULL, *near = NULL;
    const char *core = scope__pmu_core_name(root);
    if (!strcmp(vendor, "GenuineIntel") && fam == 6) {
        static const unsigned skl[] = {0x4e, 0x5e, 0x8e, 0x9e, 0xa5, 0xa6};
        static const unsigned skx[] = {0x55};
        static const unsigned icl[] = {0x7d, 0x7e, 0x8c, 0x8d, 0xa7};
        static const unsigned icx[] = {0x6a, 0x6c};
        static const unsigned spr[] = {0x8f, 0xcf};
        static const unsigned adl[] = {0x97, 0x9a, 0xb7, 0xba, 0xbf};
        if (in_list(mod, skl, N(skl)))
            hit = "skylake";
        else if (in_list(mod, skx, N(skx)))
            hit = "skylakex";
        else if (in_list(mod, icl, N(icl)))
            hit = "icelake";
        else if (in_list(mod, icx, N(icx)))
            hit = "icelakex";
        else if (in_list(mod, spr, N(spr)))
            hit = "sapphirerapids";
        else if (in_list(mod, adl, N(adl)))
            hit = "alderlake";
        /* unknown models: what the kernel exposes says which shape is closest */
        else if (core && !strcmp(core, "cpu_core"))
            near = "alderlake";
        else if (core && has_event(root, core, "topdown-heavy-ops"))
            near = "sapphirerapids";
        else if (core && has_event(root, core, "slots"))
            near = "icelake";
        else
            near = mod > 0xa7 ? "sapphirerapids" : "skylake";
    } else if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine")) {
        if (fam == 0x19 && ((mod >= 0x10 && mod <= 0x1f) || (mod >= 0x60 && mod <= 0x7f) ||
                            (mod >= 0xa0 && mod <= 0xaf)))
            hit = "amdzen4";
        else if (fam == 0x1a)
            hit = "amdzen5";
        else
            near = fam > 0x1a ? "amdzen5" : "amdzen4";
    } else {
        near = "skylake";
    }
    if (hit) {
        if (recipe)
            *recipe = hit;
        if (nearest)
            *nearest = hit;
        return 0;
    }
    if (nearest)
        *nearest = near;
    return scope__error(SCOPE_ENOTSUP, 0,
                        "no top-down recipe for this CPU (%s family %u model 0x%x)%s; the "
                        "nearest is '%s': name it explicitly (opts.cpu = \"%s\", scope-toplev "
                        "--cpu %s) if its events exist here",
                        vendor, fam, mod,
                        !strcmp(vendor, "AuthenticAMD") && fam < 0x19
                            ? " (AMD before Zen 4 has no official level-1 events)"
                        : !strcmp(vendor, "AuthenticAMD") && fam == 0x19
                            ? " (Zen 3 has no official level-1 events)"
                            : "",
                        near, near, near);
}

static int smt_active(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/smt/active", "r");
    int v = 0;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v == 1;
}

/* --- life cycle ---------------------------------------------------------------------- */

SCOPE_API void scope_topdown_free(scope_topdown *td)
{
    if (!td)
        return;
    for (size_t i = 0; i < td->nev; i++)
        free(td->spec[i]);
    free(td->spec);
    free(td->ev);
    free(td->config);
    free(td->count);
    free(td->seen);
    free(td->prev);
    free(td->events);
    free(td->root);
    free(td);
}

static int active(const scope_topdown *td, const struct td_event *e)
{
    if ((e->need & L2) && td->level < 2)
        return 0;
    if ((e->need & SMT_ON) && !td->smt)
        return 0;
    if ((e->need & SMT_OFF) && td->smt)
        return 0;
    return 1;
}

SCOPE_API int scope_topdown_new(scope_topdown **out, const scope_topdown_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_new: out is NULL");
    *out = NULL;
    scope_topdown_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_topdown_opts");
    if (rc)
        return rc;
    if (o.level == 0)
        o.level = 1;
    if (o.level != 1 && o.level != 2)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_opts.level is %d: use 1 or 2",
                            (int)o.level);
    const struct td_recipe *r = NULL;
    if (o.cpu && *o.cpu) {
        for (size_t i = 0; i < N(recipes); i++)
            if (!strcasecmp(o.cpu, recipes[i].name))
                r = &recipes[i];
        if (!r) {
            scope__buf b = {0};
            for (size_t i = 0; i < N(recipes); i++)
                scope__buf_printf(&b, "%s%s", i ? ", " : "", recipes[i].name);
            rc = scope__error(SCOPE_EINVAL, 0, "no top-down recipe named '%s'; known: %s", o.cpu,
                              b.data ? b.data : "");
            scope__buf_free(&b);
            return rc;
        }
    } else {
        const char *name;
        if ((rc = scope_topdown_detect(&name, NULL, o.cpuid, o.sysfs_root)))
            return rc;
        for (size_t i = 0; i < N(recipes); i++)
            if (!strcmp(name, recipes[i].name))
                r = &recipes[i];
    }
    if (o.level == 2 && !r->has_l2)
        return scope__error(SCOPE_ENOTSUP, 0,
                            "level 2 is not available for '%s': its level-2 nodes need "
                            "generic-event formulas libscope does not implement; use level 1",
                            r->name);
    scope_topdown *td = calloc(1, sizeof *td);
    if (!td)
        return scope__enomem("a top-down computation");
    td->r = r;
    td->level = (int)o.level;
    td->smt = o.smt == 2 ? 1 : o.smt == 1 ? 0 : smt_active();
    td->root = scope__strdup(scope__pmu_sysfs_root(o.sysfs_root));
    const char *core = td->root ? scope__pmu_core_name(td->root) : NULL;
    td->pmu_name[PMU_CORE] = r->kind == K_HYBRID ? "cpu_core"
                             : core && strcmp(core, "cpu_atom") ? core
                                                                : "cpu";
    td->pmu_name[PMU_ATOM] = "cpu_atom";
    td->ev = calloc(r->nev, sizeof *td->ev);
    td->spec = calloc(r->nev, sizeof *td->spec);
    td->config = calloc(r->nev, sizeof *td->config);
    td->count = calloc(r->nev, sizeof *td->count);
    td->seen = calloc(r->nev, 1);
    td->prev = calloc(r->nev, sizeof *td->prev);
    if (!td->root || !td->ev || !td->spec || !td->config || !td->count || !td->seen ||
        !td->prev) {
        scope_topdown_free(td);
        return scope__enomem("a top-down computation");
    }
    scope__buf list = {0};
    int last_group = -1;
    for (size_t i = 0; i < r->nev; i++) {
        const struct td_event *e = &r->ev[i];
        if (!active(td, e))
            continue;
        size_t k = td->nev++;
        td->ev[k] = e;
        td->spec[k] = scope__asprintf("%s/%s/", td->pmu_name[e->pmu], e->terms);
        if (!td->spec[k] || encode_default(r->vendor, e->terms, &td->config[k])) {
            scope__buf_free(&list);
            scope_topdown_free(td);
            return td->spec[k] ? scope__error(SCOPE_EINTERNAL, 0, "recipe %s: bad terms %s",
                                              r->name, e->terms)
                               : scope__enomem("a top-down computation");
        }
        if (e->group != last_group) {
            scope__buf_printf(&list, "%s{", last_group < 0 ? "" : "},");
            last_group = e->group;
        } else {
            scope__buf_puts(&list, ",");
        }
        scope__buf_puts(&list, td->spec[k]);
    }
    scope__buf_puts(&list, "}");
    if (list.failed) {
        scope__buf_free(&list);
        scope_topdown_free(td);
        return scope__enomem("a top-down computation");
    }
    td->events = list.data;
    *out = td;
    return 0;
}

SCOPE_API const char *scope_topdown_recipe(const scope_topdown *td)
{
    return td ? td->r->name : NULL;
}

SCOPE_API int scope_topdown_level(const scope_topdown *td)
{
    return td ? td->level : 0;
}

SCOPE_API const char *scope_topdown_events(const scope_topdown *td)
{
    return td ? td->events : NULL;
}

SCOPE_API size_t scope_topdown_event_count(const scope_topdown *td)
{
    return td ? td->nev : 0;
}

SCOPE_API int scope_topdown_event_at(const scope_topdown *td, size_t i, const char **key,
                                     const char **spec)
{
    if (!td || i >= td->nev)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_event_at: no event %zu", i);
    if (key)
        *key = td->ev[i]->key;
    if (spec)
        *spec = td->spec[i];
    return 0;
}

SCOPE_API int scope_topdown_reset(scope_topdown *td)
{
    if (!td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_reset: NULL");
    memset(td->count, 0, td->nev * sizeof *td->count);
    memset(td->seen, 0, td->nev);
    td->nnode = 0;
    return 0;
}

/* --- matching names ------------------------------------------------------------------ */

static int name_in(const char *names, const char *s, size_t n)
{
    const char *p = names;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == n && !strncasecmp(p, s, n))
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* Index of the active event @name denotes, or -1. */
static int find_event(const scope_topdown *td, const char *name)
{
    char buf[512];
    size_t n = strlen(name);
    if (n >= sizeof buf)
        return -1;
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    while (n && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    char *s = buf;
    while (isspace((unsigned char)*s))
        s++;
    /* pmu/inner/[:mods] or name[:mods] */
    const char *pmu = NULL;
    char *inner = s;
    char *slash = strchr(s, '/');
    if (slash) {
        char *last = strrchr(s, '/');
        if (last == slash)
            return -1;
        *slash = '\0';
        *last = '\0';
        pmu = s;
        inner = slash + 1;
    } else {
        char *colon = strchr(s, ':');
        if (colon)
            *colon = '\0';
    }
    int want_pmu = -1;
    if (pmu) {
        if (!strcmp(pmu, "cpu_atom"))
            want_pmu = PMU_ATOM;
        else if (!strcmp(pmu, "cpu_core") || !strcmp(pmu, "cpu"))
            want_pmu = PMU_CORE;
        else
            return -1;
    }
    uint64_t cfg = 0;
    int by_cfg = 0;
    if (inner[0] == 'r' && inner[1] && strspn(inner + 1, "0123456789abcdef") == strlen(inner + 1)) {
        cfg = strtoull(inner + 1, NULL, 16);
        by_cfg = 1;
    } else if (strchr(inner, '=') && !encode_default(td->r->vendor, inner, &cfg)) {
        by_cfg = 1;
    }
    size_t il = strlen(inner);
    /* two passes: the core PMU first for bare names on hybrids */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < td->nev; i++) {
            const struct td_event *e = td->ev[i];
            if (want_pmu >= 0 ? e->pmu != want_pmu : e->pmu != (pass ? PMU_ATOM : PMU_CORE))
                continue;
            if (by_cfg ? td->config[i] == cfg
                       : (!strcasecmp(inner, e->key) || name_in(e->names, inner, il) ||
                          (e->pmu == PMU_ATOM && !strncmp(e->key, "atom:", 5) &&
                           !strcasecmp(inner, e->key + 5))))
                return (int)i;
        }
    return -1;
}

int scope__topdown_find(const scope_topdown *td, const char *name)
{
    return find_event(td, name);
}

void scope__topdown_add_index(scope_topdown *td, size_t i, double count)
{
    if (i < td->nev) {
        td->count[i] += count;
        td->seen[i] = 1;
    }
}

void scope__topdown_set_counts(scope_topdown *td, const double *counts,
                               const unsigned char *seen)
{
    memcpy(td->count, counts, td->nev * sizeof *td->count);
    memcpy(td->seen, seen, td->nev);
}

static int unknown_event(const scope_topdown *td, const char *name)
{
    scope__buf b = {0};
    for (size_t i = 0; i < td->nev; i++)
        scope__buf_printf(&b, "%s%s (%s)", i ? ", " : "", td->ev[i]->key, td->spec[i]);
    int rc = scope__error(SCOPE_ENOENT, 0,
                          "event '%s' is not one the %s level-%d recipe uses; it uses: %s", name,
                          td->r->name, td->level, b.data ? b.data : "");
    scope__buf_free(&b);
    return rc;
}

SCOPE_API int scope_topdown_add(scope_topdown *td, const char *event, double count)
{
    if (!td || !event)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_add: NULL argument");
    if (!(count >= 0))
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_add(%s): count %g is not a "
                            "non-negative number", event, count);
    int i = find_event(td, event);
    if (i < 0)
        return unknown_event(td, event);
    td->count[i] += count;
    td->seen[i] = 1;
    return 0;
}

SCOPE_API int scope_topdown_add_raw(scope_topdown *td, const char *event, uint64_t raw,
                                    uint64_t enabled_ns, uint64_t running_ns)
{
    double v = running_ns ? (double)raw * ((double)enabled_ns / (double)running_ns) : 0.0;
    return scope_topdown_add(td, event, v);
}

SCOPE_API int scope_topdown_add_perf_metrics(scope_topdown *td, const char *core,
                                             uint64_t slots, uint64_t metrics)
{
    if (!td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_add_perf_metrics: NULL");
    if (td->r->kind != K_ICL && td->r->kind != K_SPR && td->r->kind != K_HYBRID)
        return scope__error(SCOPE_ENOTSUP, 0, "recipe %s has no perf-metrics fields",
                            td->r->name);
    (void)core; /* the metrics belong to the core PMU in every recipe */
    static const char *const field[8] = {"topdown-retiring",  "topdown-bad-spec",
                                         "topdown-fe-bound",  "topdown-be-bound",
                                         "topdown-heavy-ops", "topdown-br-mispredict",
                                         "topdown-fetch-lat", "topdown-mem-bound"};
    double b[8], l1 = 0;
    for (int i = 0; i < 8; i++) {
        b[i] = (double)((metrics >> (8 * i)) & 0xff);
        if (i < 4)
            l1 += b[i];
    }
    int rc = scope_topdown_add(td, "slots", (double)slots);
    if (rc)
        return rc;
    for (int i = 0; i < 8; i++) {
        if (find_event(td, field[i]) < 0)
            continue;
        /* the kernel's icl_get_topdown_value: slots x field / sum of L1 fields */
        double v = l1 > 0 ? (double)slots * b[i] / l1 : 0;
        if ((rc = scope_topdown_add(td, field[i], v)))
            return rc;
    }
    return 0;
}

/* --- formulas ----------------------------------------------------------------------------- */

static void put(scope_topdown *td, const char *name, int level, const char *parent,
                const char *core, double v)
{
    if (td->nnode >= MAX_NODES)
        return;
    struct td_node *n = &td->node[td->nnode++];
    n->name = name;
    n->level = level;
    n->parent = parent;
    n->core = core;
    n->v = v;
}

/* Count of event @key (which must be active and seen); sets *missing. */
static double C(const scope_topdown *td, const char *key, const char **missing)
{
    for (size_t i = 0; i < td->nev; i++)
        if (!strcmp(td->ev[i]->key, key)) {
            if (!td->seen[i] && !*missing)
                *missing = key;
            return td->count[i];
        }
    if (!*missing)
        *missing = key;
    return 0;
}

/* Level 2 shared by Skylake and Icelake (generic events, the same formulas
 * in skl/icl metrics):
 *   Branch_Mispredicts = BR_MISP / (BR_MISP + MACHINE_CLEARS.COUNT) x Bad_Speculation
 *   Memory_Bound       = (STALLS_MEM_ANY + BOUND_ON_STORES) / (STALLS_TOTAL +
 *                         1_PORTS_UTIL + Retiring x 2_PORTS_UTIL + BOUND_ON_STORES)
 *                         x Backend_Bound
 * with Machine_Clears and Core_Bound their parents' remainders. Returns 1
 * when a count is missing (*miss names it), else 0. */
static int put_spec_mem_l2(scope_topdown *td, const char **miss, double bad, double be, double ret)
{
    double br = C(td, "br_misp_retired.all_branches", miss), mc = C(td, "machine_clears.count", miss);
    double mem = C(td, "cycle_activity.stalls_mem_any", miss);
    double bos = C(td, "exe_activity.bound_on_stores", miss);
    double st = C(td, "cycle_activity.stalls_total", miss);
    double p1 = C(td, "exe_activity.1_ports_util", miss), p2 = C(td, "exe_activity.2_ports_util", miss);
    if (*miss)
        return 1;
    double bm = br + mc > 0 ? br / (br + mc) * bad : 0;
    put(td, "Branch_Mispredicts", 2, "Bad_Speculation", NULL, bm);
    put(td, "Machine_Clears", 2, "Bad_Speculation", NULL, bad - bm);
    double bbc = st + p1 + ret * p2 + bos;
    double mb = bbc > 0 ? (mem + bos) / bbc * be : 0;
    put(td, "Memory_Bound", 2, "Backend_Bound", NULL, mb);
    put(td, "Core_Bound", 2, "Backend_Bound", NULL, be - mb);
    return 0;
}

static int no_slots(const scope_topdown *td, const char *what)
{
    return scope__error(SCOPE_EINVAL, 0, "top-down %s: the %s count is 0: nothing ran on the "
                        "counted target in this interval", td->r->name, what);
}

static int compute_skl(scope_topdown *td, const char **miss)
{
    int smt = td->smt;
    double clks = smt ? C(td, "cpu_clk_unhalted.thread_any", miss) / 2
                      : C(td, "cpu_clk_unhalted.thread", miss);
    double rec = smt ? C(td, "int_misc.recovery_cycles_any", miss) / 2
                     : C(td, "int_misc.recovery_cycles", miss);
    double issued = C(td, "uops_issued.any", miss), retired = C(td, "uops_retired.retire_slots", miss);
    double idq = C(td, "idq_uops_not_delivered.core", miss);
    if (*miss)
        return 0;
    double slots = 4 * clks;
    if (slots <= 0)
        return no_slots(td, "cycles");
    double fe = idq / slots, bad = (issued - retired + 4 * rec) / slots, ret = retired / slots;
    double be = 1 - fe - (issued + 4 * rec) / slots;
    put(td, "Frontend_Bound", 1, NULL, NULL, fe);
    put(td, "Bad_Speculation", 1, NULL, NULL, bad);
    put(td, "Backend_Bound", 1, NULL, NULL, be);
    put(td, "Retiring", 1, NULL, NULL, ret);
    if (td->level < 2)
        return 0;
    double idq0 = C(td, "idq_uops_not_delivered.cycles_0_uops_deliv.core", miss);
    if (*miss)
        return 0;
    double fl = 4 * idq0 / slots;
    put(td, "Fetch_Latency", 2, "Frontend_Bound", NULL, fl);
    put(td, "Fetch_Bandwidth", 2, "Frontend_Bound", NULL, fe - fl);
    if (put_spec_mem_l2(td, miss, bad, be, ret))
        return 0;
    /* Heavy_Operations = (RETIRE_SLOTS + MACRO_FUSED - INST_RETIRED.ANY) / SLOTS */
    double mf = C(td, "uops_retired.macro_fused", miss), inst = C(td, "inst_retired.any", miss);
    if (*miss)
        return 0;
    double heavy = (retired + mf - inst) / slots;
    put(td, "Heavy_Operations", 2, "Retiring", NULL, heavy);
    put(td, "Light_Operations", 2, "Retiring", NULL, ret - heavy);
    return 0;
}

/* Icelake level 2 from generic events (the kernel's icl/icx metrics):
 *   Fetch_Latency      = (5 x IDQ_UOPS_NOT_DELIVERED.CYCLES_0_UOPS_DELIV.CORE
 *                         - INT_MISC.UOP_DROPPING) / SLOTS
 *   Branch_Mispredicts = BR_MISP / (BR_MISP + MACHINE_CLEARS.COUNT) x Bad_Speculation
 *   Memory_Bound       = (STALLS_MEM_ANY + BOUND_ON_STORES) / (STALLS_TOTAL +
 *                         1_PORTS_UTIL + Retiring x 2_PORTS_UTIL + BOUND_ON_STORES)
 *                         x Backend_Bound
 *   Heavy_Operations   = Microcode_Sequencer + Retiring x (UOPS_DECODED.DEC0 -
 *                         UOPS_DECODED.DEC0:c1) / IDQ.MITE_UOPS, with
 *   Microcode_Sequencer = UOPS_RETIRED.SLOTS / UOPS_ISSUED.ANY x IDQ.MS_UOPS / SLOTS
 * and each sibling is its parent minus the node, so the two sum to it. */
static int compute_icl_l2(scope_topdown *td, const char **miss, double slots, double drop,
                          double fe, double bad, double be, double ret)
{
    double idq0 = C(td, "idq_uops_not_delivered.cycles_0_uops_deliv.core", miss);
    double iss = C(td, "uops_issued.any", miss), urs = C(td, "uops_retired.slots", miss);
    double ms = C(td, "idq.ms_uops", miss);
    double d0 = C(td, "uops_decoded.dec0", miss), d0c = C(td, "uops_decoded.dec0.cmask", miss);
    double mite = C(td, "idq.mite_uops", miss);
    if (*miss)
        return 0;
    double fl = (td->r->width * idq0 - drop) / slots;
    put(td, "Fetch_Latency", 2, "Frontend_Bound", NULL, fl);
    put(td, "Fetch_Bandwidth", 2, "Frontend_Bound", NULL, fe - fl);
    if (put_spec_mem_l2(td, miss, bad, be, ret))
        return 0;
    double msq = iss > 0 ? urs / iss * ms / slots : 0;
    double heavy = msq + (mite > 0 ? ret * (d0 - d0c) / mite : 0);
    put(td, "Heavy_Operations", 2, "Retiring", NULL, heavy);
    put(td, "Light_Operations", 2, "Retiring", NULL, ret - heavy);
    return 0;
}

/* Icelake / SPR / the hybrid's cpu_core: perf metrics. */
static int compute_pm(scope_topdown *td, const char **miss, const char *core, int clears)
{
    double slots = C(td, "slots", miss);
    double r = C(td, "topdown-retiring", miss), b = C(td, "topdown-bad-spec", miss);
    double f = C(td, "topdown-fe-bound", miss), k = C(td, "topdown-be-bound", miss);
    double drop = C(td, "int_misc.uop_dropping", miss);
    double cl = clears ? C(td, "int_misc.clears_count", miss) : 0;
    if (*miss)
        return 0;
    double sum = r + b + f + k;
    if (slots <= 0 || sum <= 0)
        return no_slots(td, "slots");
    double fe = f / sum - drop / slots;
    double be = k / sum + (clears ? 5 * cl / slots : 0);
    double ret = r / sum;
    double bad = fmax(0, 1 - fe - be - ret);
    put(td, "Frontend_Bound", 1, NULL, core, fe);
    put(td, "Bad_Speculation", 1, NULL, core, bad);
    put(td, "Backend_Bound", 1, NULL, core, be);
    put(td, "Retiring", 1, NULL, core, ret);
    if (td->level < 2)
        return 0;
    if (clears)
        return compute_icl_l2(td, miss, slots, drop, fe, bad, be, ret);
    double heavy = C(td, "topdown-heavy-ops", miss), br = C(td, "topdown-br-mispredict", miss);
    double fl = C(td, "topdown-fetch-lat", miss), mem = C(td, "topdown-mem-bound", miss);
    if (*miss)
        return 0;
    double flat = fl / sum - drop / slots;
    put(td, "Fetch_Latency", 2, "Frontend_Bound", core, flat);
    put(td, "Fetch_Bandwidth", 2, "Frontend_Bound", core, fe - flat);
    put(td, "Branch_Mispredicts", 2, "Bad_Speculation", core, br / sum);
    put(td, "Machine_Clears", 2, "Bad_Speculation", core, bad - br / sum);
    put(td, "Memory_Bound", 2, "Backend_Bound", core, mem / sum);
    put(td, "Core_Bound", 2, "Backend_Bound", core, be - mem / sum);
    put(td, "Heavy_Operations", 2, "Retiring", core, heavy / sum);
    put(td, "Light_Operations", 2, "Retiring", core, ret - heavy / sum);
    return 0;
}

static int compute_atom(scope_topdown *td, const char **miss)
{
    double clk = C(td, "atom:cpu_clk_unhalted.core", miss);
    double r = C(td, "atom:topdown_retiring.all", miss), f = C(td, "atom:topdown_fe_bound.all", miss);
    double k = C(td, "atom:topdown_be_bound.all", miss);
    if (*miss)
        return 0;
    double slots = 5 * clk;
    if (slots <= 0)
        return 0; /* no time on E-cores: their nodes are left out */
    put(td, "Frontend_Bound", 1, NULL, "cpu_atom", f / slots);
    put(td, "Bad_Speculation", 1, NULL, "cpu_atom", (slots - f - k - r) / slots);
    put(td, "Backend_Bound", 1, NULL, "cpu_atom", k / slots);
    put(td, "Retiring", 1, NULL, "cpu_atom", r / slots);
    return 0;
}

static int compute_amd(scope_topdown *td, const char **miss)
{
    double w = td->r->width;
    double cyc = C(td, "ls_not_halted_cyc", miss);
    double fe = C(td, "de_no_dispatch_per_slot.no_ops_from_frontend", miss);
    double be = C(td, "de_no_dispatch_per_slot.backend_stalls", miss);
    double smt = C(td, "de_no_dispatch_per_slot.smt_contention", miss);
    double disp = C(td, "de_src_op_disp.all", miss), ops = C(td, "ex_ret_ops", miss);
    if (*miss)
        return 0;
    double slots = w * cyc;
    if (slots <= 0)
        return no_slots(td, "ls_not_halted_cyc");
    double FE = fe / slots, BE = be / slots, SMT = smt / slots, RET = ops / slots;
    double BAD = (disp - ops) / slots;
    put(td, "Frontend_Bound", 1, NULL, NULL, FE);
    put(td, "Bad_Speculation", 1, NULL, NULL, BAD);
    put(td, "Backend_Bound", 1, NULL, NULL, BE);
    put(td, "Retiring", 1, NULL, NULL, RET);
    put(td, "SMT_Contention", 1, NULL, NULL, SMT);
    if (td->level < 2)
        return 0;
    double lat = C(td, "de_no_dispatch_per_slot.no_ops_from_frontend.cmask", miss);
    double nc = C(td, "ex_no_retire.not_complete", miss);
    double lnc = C(td, "ex_no_retire.load_not_complete", miss);
    double uc = C(td, "ex_ret_ucode_ops", miss);
    if (*miss)
        return 0;
    double fl = w * lat / slots;
    put(td, "Fetch_Latency", 2, "Frontend_Bound", NULL, fl);
    put(td, "Fetch_Bandwidth", 2, "Frontend_Bound", NULL, FE - fl);
    {
        double br = C(td, "ex_ret_brn_misp", miss);
        double rs = C(td, td->r->ev == zen4_ev ? "resyncs_or_nc_redirects" : "bp_redirects.resync",
                      miss);
        if (*miss)
            return 0;
        double bm = br + rs > 0 ? BAD * br / (br + rs) : 0;
        put(td, "Branch_Mispredicts", 2, "Bad_Speculation", NULL, bm);
        put(td, "Pipeline_Restarts", 2, "Bad_Speculation", NULL, BAD - bm);
    }
    double mem = nc > 0 ? BE * lnc / nc : 0;
    put(td, "Memory_Bound", 2, "Backend_Bound", NULL, mem);
    put(td, "CPU_Bound", 2, "Backend_Bound", NULL, BE - mem);
    double mc = ops > 0 ? RET * uc / ops : 0;
    put(td, "Fastpath", 2, "Retiring", NULL, RET - mc);
    put(td, "Microcode", 2, "Retiring", NULL, mc);
    return 0;
}

SCOPE_API int scope_topdown_compute(scope_topdown *td)
{
    if (!td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_compute: NULL");
    td->nnode = 0;
    const char *miss = NULL;
    int rc;
    switch (td->r->kind) {
    case K_SKL: rc = compute_skl(td, &miss); break;
    case K_ICL: rc = compute_pm(td, &miss, NULL, 1); break;
    case K_SPR: rc = compute_pm(td, &miss, NULL, 0); break;
    case K_HYBRID:
        rc = compute_pm(td, &miss, "cpu_core", 0);
        if (!rc && !miss)
            rc = compute_atom(td, &miss);
        break;
    default: rc = compute_amd(td, &miss); break;
    }
    if (!rc && miss) {
        td->nnode = 0;
        const char *spec = "";
        for (size_t i = 0; i < td->nev; i++)
            if (!strcmp(td->ev[i]->key, miss))
                spec = td->spec[i];
        return scope__error(SCOPE_ENOENT, 0,
                            "top-down %s level %d: no count for event %s (%s): count it (see "
                            "scope_topdown_events) or add it",
                            td->r->name, td->level, miss, spec);
    }
    if (rc)
        td->nnode = 0;
    return rc;
}

SCOPE_API size_t scope_topdown_node_count(const scope_topdown *td)
{
    return td ? td->nnode : 0;
}

SCOPE_API int scope_topdown_node_at(const scope_topdown *td, size_t i, const char **name,
                                    int *level, const char **parent, const char **core,
                                    double *value)
{
    if (!td || i >= td->nnode)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_node_at: no node %zu", i);
    const struct td_node *n = &td->node[i];
    if (name)
        *name = n->name;
    if (level)
        *level = n->level;
    if (parent)
        *parent = n->parent;
    if (core)
        *core = n->core;
    if (value)
        *value = n->v;
    return 0;
}

SCOPE_API int scope_topdown_value(const scope_topdown *td, const char *name, const char *core,
                                  double *value)
{
    if (td && name)
        for (size_t i = 0; i < td->nnode; i++)
            if (!strcmp(td->node[i].name, name) &&
                (!core || (td->node[i].core && !strcmp(core, td->node[i].core)))) {
                if (value)
                    *value = td->node[i].v;
                return 0;
            }
    return scope__error(SCOPE_ENOENT, 0, "no top-down node '%s'%s%s in the last compute",
                        name ? name : "(null)", core ? " on " : "", core ? core : "");
}

/* --- live ------------------------------------------------------------------------------------ */

SCOPE_API int scope_topdown_pmu_new(scope_pmu **out, const scope_topdown *td,
                                    const scope_pmu_opts *opts)
{
    if (!out || !td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_pmu_new: NULL argument");
    *out = NULL;
    const char *root = scope__pmu_sysfs_root(opts && opts->size > offsetof(scope_pmu_opts,
                                                                             sysfs_root)
                                                 ? opts->sysfs_root
                                                 : NULL);
    if (!scope__pmu_core_name(root)) {
        scope__buf b = {0};
        scope__pmu_describe_machine(&b, root);
        int rc = scope__error(SCOPE_ENODEV, 0,
                              "top-down (%s) needs the CPU's core PMU, and this machine has "
                              "none: %s",
                              td->r->name, b.data ? b.data : "");
        scope__buf_free(&b);
        return rc;
    }
    return scope_pmu_new(out, td->events, opts);
}

static int feed(scope_topdown *td, const scope_pmu *p, size_t row, int delta)
{
    if (!p || row >= p->nrows || p->ev.n != td->nev)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_read_pmu: the counter set is not "
                            "this recipe's (make it with scope_topdown_pmu_new) or row %zu does "
                            "not exist", row);
    scope_topdown_reset(td);
    for (size_t i = 0; i < td->nev; i++) {
        double v = p->rows[row].scaled[i];
        double d = delta && td->have_prev ? v - td->prev[i] : v;
        td->prev[i] = v;
        td->count[i] = d > 0 ? d : 0;
        td->seen[i] = 1;
    }
    if (delta)
        td->have_prev = 1;
    return scope_topdown_compute(td);
}

SCOPE_API int scope_topdown_read_pmu(scope_topdown *td, const scope_pmu *p, size_t row)
{
    if (!td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_read_pmu: NULL");
    return feed(td, p, row, 0);
}

SCOPE_API int scope_topdown_read_pmu_delta(scope_topdown *td, const scope_pmu *p, size_t row)
{
    if (!td)
        return scope__error(SCOPE_EINVAL, 0, "scope_topdown_read_pmu_delta: NULL");
    return feed(td, p, row, 1);
}
