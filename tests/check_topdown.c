/* Top-down recipes: encodings (through sysfs fixture trees) against
 * shared/reference/pmu.md, fractions against hand-derived values, reset-on-
 * read accumulation, multiplexed inputs, perf CSV replay, detection. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scope/scope.h"
#include "topdown/topdown_priv.h"

static char root_buf[1024];

static const char *fx(const char *sub)
{
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_msg(base != NULL, "SCOPE_FIXTURES is not set (run through ctest)");
    snprintf(root_buf, sizeof root_buf, "%s/%s", base, sub);
    return root_buf;
}

static scope_topdown *make(const char *cpu, int level, int smt, const char *root)
{
    scope_topdown_opts o = SCOPE_TOPDOWN_OPTS_INIT;
    o.cpu = cpu;
    o.level = level;
    o.smt = smt;
    o.sysfs_root = root;
    scope_topdown *td;
    int rc = scope_topdown_new(&td, &o);
    ck_assert_msg(rc == 0, "%s: %s", cpu, scope_error_message());
    return td;
}

static void add(scope_topdown *td, const char *ev, double v)
{
    int rc = scope_topdown_add(td, ev, v);
    ck_assert_msg(rc == 0, "add %s: %s", ev, scope_error_message());
}

static void expect(scope_topdown *td, const char *node, const char *core, double want)
{
    double v = NAN;
    int rc = scope_topdown_value(td, node, core, &v);
    ck_assert_msg(rc == 0, "%s %s: %s", scope_topdown_recipe(td), node, scope_error_message());
    ck_assert_msg(fabs(v - want) < 1e-9, "%s %s%s%s: %.12f, want %.12f", scope_topdown_recipe(td),
                  node, core ? "@" : "", core ? core : "", v, want);
}

static void check_sums(scope_topdown *td);

/* --- encodings --------------------------------------------------------------------- */

struct enc {
    const char *key;
    uint32_t type;
    uint64_t config;
};

/* Every event of the recipe, encoded through the fixture's format files,
 * must have the pmu.md value, and every listed key must be present. */
static void check_enc(const char *cpu, int level, int smt, const char *machine,
                      const struct enc *want, size_t nwant)
{
    char root[1024];
    snprintf(root, sizeof root, "%s", fx(machine));
    scope_topdown *td = make(cpu, level, smt, root);
    scope_pmu_opts po = SCOPE_PMU_OPTS_INIT;
    po.sysfs_root = root;
    po.no_libpfm = 1;
    scope_pmu *p;
    int rc = scope_topdown_pmu_new(&p, td, &po);
    ck_assert_msg(rc == 0, "%s: %s", cpu, scope_error_message());
    ck_assert_uint_eq(scope_pmu_event_count(p), scope_topdown_event_count(td));
    ck_assert_uint_eq(scope_topdown_event_count(td), nwant);
    for (size_t i = 0; i < nwant; i++) {
        size_t k;
        const char *key = NULL;
        for (k = 0; k < scope_topdown_event_count(td); k++) {
            scope_topdown_event_at(td, k, &key, NULL);
            if (!strcmp(key, want[i].key))
                break;
        }
        ck_assert_msg(k < scope_topdown_event_count(td), "%s: no event %s", cpu, want[i].key);
        uint32_t type;
        uint64_t config, c1;
        ck_assert_int_eq(scope_pmu_event_attr(p, k, &type, &config, &c1, NULL), 0);
        ck_assert_msg(type == want[i].type && config == want[i].config && c1 == 0,
                      "%s %s: type %u config 0x%llx, want %u 0x%llx", cpu, want[i].key, type,
                      (unsigned long long)config, want[i].type,
                      (unsigned long long)want[i].config);
    }
    scope_pmu_free(p);
    scope_topdown_free(td);
}

START_TEST(encodings)
{
    /* pmu.md 3.1 (SKL, HT on uses the AnyThread forms) */
    static const struct enc skl_smt[] = {
        {"cpu_clk_unhalted.thread_any", 4, 0x20003c}, {"uops_issued.any", 4, 0x10e},
        {"uops_retired.retire_slots", 4, 0x2c2},      {"idq_uops_not_delivered.core", 4, 0x19c},
        {"int_misc.recovery_cycles_any", 4, 0x20010d},
    };
    check_enc("skylake", 1, 2, "sysfs/skylake", skl_smt, 5);
    static const struct enc skl_l2[] = {
        {"cpu_clk_unhalted.thread", 4, 0x3c},
        {"uops_issued.any", 4, 0x10e},
        {"uops_retired.retire_slots", 4, 0x2c2},
        {"idq_uops_not_delivered.core", 4, 0x19c},
        {"int_misc.recovery_cycles", 4, 0x10d},
        {"idq_uops_not_delivered.cycles_0_uops_deliv.core", 4, 0x400019c},
        {"br_misp_retired.all_branches", 4, 0xc5},
        {"machine_clears.count", 4, 0x10401c3},
        {"cycle_activity.stalls_mem_any", 4, 0x140014a3},
        {"exe_activity.bound_on_stores", 4, 0x40a6},
        /* Intel SDM tables (not in pmu.md): A3H/04H cmask 4, A6H/02H, A6H/04H */
        {"cycle_activity.stalls_total", 4, 0x40004a3},
        {"exe_activity.1_ports_util", 4, 0x2a6},
        {"exe_activity.2_ports_util", 4, 0x4a6},
        /* kernel skylake pipeline.json: UOPS_RETIRED.MACRO_FUSED C2H/04H,
         * INST_RETIRED.ANY_P (generic INST_RETIRED.ANY) C0H/00H */
        {"uops_retired.macro_fused", 4, 0x4c2},
        {"inst_retired.any", 4, 0xc0},
    };
    check_enc("skylakex", 2, 1, "sysfs/skylakex", skl_l2, 15);
    /* pmu.md 3.2 */
    static const struct enc icl[] = {
        {"slots", 4, 0x400},
        {"topdown-retiring", 4, 0x8000},
        {"topdown-bad-spec", 4, 0x8100},
        {"topdown-fe-bound", 4, 0x8200},
        {"topdown-be-bound", 4, 0x8300},
        {"int_misc.uop_dropping", 4, 0x100d},
        {"int_misc.clears_count", 4, 0x104010d},
    };
    check_enc("icelake", 1, 0, "sysfs/icelake", icl, 7);
    check_enc("icelakex", 1, 0, "sysfs/icelakex", icl, 7);
    /* Icelake level 2: the kernel's icelake pipeline.json / frontend.json
     * encodings (config = cmask<<24 | edge<<18 | umask<<8 | event) */
    static const struct enc icl_l2[] = {
        {"slots", 4, 0x400},
        {"topdown-retiring", 4, 0x8000},
        {"topdown-bad-spec", 4, 0x8100},
        {"topdown-fe-bound", 4, 0x8200},
        {"topdown-be-bound", 4, 0x8300},
        {"int_misc.uop_dropping", 4, 0x100d},
        {"int_misc.clears_count", 4, 0x104010d},
        /* 9CH/01H CounterMask 5 */
        {"idq_uops_not_delivered.cycles_0_uops_deliv.core", 4, 0x500019c},
        {"br_misp_retired.all_branches", 4, 0xc5},      /* C5H/00H */
        {"machine_clears.count", 4, 0x10401c3},         /* C3H/01H cmask 1 edge */
        {"cycle_activity.stalls_mem_any", 4, 0x140014a3}, /* A3H/14H cmask 20 */
        {"exe_activity.bound_on_stores", 4, 0x20040a6}, /* A6H/40H cmask 2 */
        {"cycle_activity.stalls_total", 4, 0x40004a3},  /* A3H/04H cmask 4 */
        {"exe_activity.1_ports_util", 4, 0x2a6},        /* A6H/02H */
        {"exe_activity.2_ports_util", 4, 0x4a6},        /* A6H/04H */
        {"uops_issued.any", 4, 0x10e},                  /* 0EH/01H */
        {"uops_retired.slots", 4, 0x2c2},               /* C2H/02H, pmu.md */
        {"idq.ms_uops", 4, 0x3079},                     /* 79H/30H */
        {"uops_decoded.dec0", 4, 0x156},                /* 56H/01H */
        {"uops_decoded.dec0.cmask", 4, 0x1000156},      /* 56H/01H cmask 1 */
        {"idq.mite_uops", 4, 0x479},                    /* 79H/04H */
    };
    check_enc("icelake", 2, 0, "sysfs/icelake", icl_l2, 21);
    check_enc("icelakex", 2, 2, "sysfs/icelakex", icl_l2, 21);
    static const struct enc spr[] = {
        {"slots", 4, 0x400},
        {"topdown-retiring", 4, 0x8000},
        {"topdown-bad-spec", 4, 0x8100},
        {"topdown-fe-bound", 4, 0x8200},
        {"topdown-be-bound", 4, 0x8300},
        {"topdown-heavy-ops", 4, 0x8400},
        {"topdown-br-mispredict", 4, 0x8500},
        {"topdown-fetch-lat", 4, 0x8600},
        {"topdown-mem-bound", 4, 0x8700},
        {"int_misc.uop_dropping", 4, 0x100d},
    };
    check_enc("sapphirerapids", 2, 0, "sysfs/sapphirerapids", spr, 10);
    /* pmu.md 3.3: cpu_core as SPR, cpu_atom (type 10 in the fixture) plain */
    static const struct enc adl[] = {
        {"slots", 4, 0x400},
        {"topdown-retiring", 4, 0x8000},
        {"topdown-bad-spec", 4, 0x8100},
        {"topdown-fe-bound", 4, 0x8200},
        {"topdown-be-bound", 4, 0x8300},
        {"int_misc.uop_dropping", 4, 0x100d},
        {"atom:cpu_clk_unhalted.core", 10, 0x3c},
        {"atom:topdown_retiring.all", 10, 0xc2},
        {"atom:topdown_fe_bound.all", 10, 0x71},
        {"atom:topdown_be_bound.all", 10, 0x74},
    };
    check_enc("alderlake", 1, 0, "sysfs/alderlake", adl, 10);
    /* pmu.md 3.4 */
    static const struct enc zen4[] = {
        {"ls_not_halted_cyc", 4, 0x76},
        {"de_no_dispatch_per_slot.no_ops_from_frontend", 4, 0x1000001a0ULL},
        {"de_no_dispatch_per_slot.backend_stalls", 4, 0x100001ea0ULL},
        {"de_no_dispatch_per_slot.smt_contention", 4, 0x1000060a0ULL},
        {"de_src_op_disp.all", 4, 0x7aa},
        {"ex_ret_ops", 4, 0xc1},
        {"de_no_dispatch_per_slot.no_ops_from_frontend.cmask", 4, 0x1060001a0ULL},
        {"ex_no_retire.not_complete", 4, 0x2d6},
        {"ex_no_retire.load_not_complete", 4, 0xa2d6},
        {"ex_ret_ucode_ops", 4, 0x1000000c2ULL},
        {"ex_ret_brn_misp", 4, 0xc3},
        {"resyncs_or_nc_redirects", 4, 0x96},
    };
    check_enc("amdzen4", 2, 0, "sysfs/amdzen4", zen4, 12);
    static const struct enc zen5[] = {
        {"ls_not_halted_cyc", 4, 0x76},
        {"de_no_dispatch_per_slot.no_ops_from_frontend", 4, 0x1000001a0ULL},
        {"de_no_dispatch_per_slot.backend_stalls", 4, 0x100001ea0ULL},
        {"de_no_dispatch_per_slot.smt_contention", 4, 0x1000060a0ULL},
        {"de_src_op_disp.all", 4, 0x7aa},
        {"ex_ret_ops", 4, 0xc1},
        {"de_no_dispatch_per_slot.no_ops_from_frontend.cmask", 4, 0x1080001a0ULL}, /* cmask 8 */
        {"ex_no_retire.not_complete", 4, 0x2d6},
        {"ex_no_retire.load_not_complete", 4, 0xa2d6},
        {"ex_ret_ucode_ops", 4, 0x1000000c2ULL},
        {"ex_ret_brn_misp", 4, 0xc3},
        /* kernel pmu-events amdzen5: bp_redirects.resync event 0x9f umask 0x01 */
        {"bp_redirects.resync", 4, 0x19f},
    };
    check_enc("amdzen5", 2, 0, "sysfs/amdzen5", zen5, 12);
}
END_TEST

START_TEST(groups_and_events_string)
{
    scope_topdown *td = make("icelake", 1, 0, fx("sysfs/icelake"));
    /* slots leads the metrics group; the generic events get their own */
    ck_assert_str_eq(scope_topdown_events(td),
                     "{cpu/event=0x0,umask=0x4/,cpu/event=0x0,umask=0x80/,cpu/event=0x0,umask=0x81/,"
                     "cpu/event=0x0,umask=0x82/,cpu/event=0x0,umask=0x83/},"
                     "{cpu/event=0xd,umask=0x10/,cpu/event=0xd,umask=0x1,edge=1,cmask=1/}");
    scope_topdown_free(td);
    /* no core PMU: the live path says so */
    td = make("amdzen5", 1, 0, NULL);
    scope_pmu_opts po = SCOPE_PMU_OPTS_INIT;
    char root[1024];
    snprintf(root, sizeof root, "%s", fx("sysfs/vm"));
    po.sysfs_root = root;
    scope_pmu *p;
    ck_assert_int_eq(scope_topdown_pmu_new(&p, td, &po), SCOPE_ENODEV);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "no core PMU"));
    scope_topdown_free(td);
}
END_TEST

/* --- fractions -------------------------------------------------------------------------- */

START_TEST(skylake_l1_smt_and_multiplexed)
{
    /* SMT on: CLKS = THREAD_ANY/2 = 2,000,000/2 = 1,000,000; SLOTS = 4 x CLKS
     * = 4,000,000; Recovery = RECOVERY_CYCLES_ANY/2 = 50,000 (4 x = 200,000).
     * FE  = IDQ 800,000 / 4M                               = 0.20
     * Bad = (ISSUED 2.6M - RETIRED 2.0M + 0.2M) / 4M       = 0.20
     * Ret = 2.0M / 4M                                      = 0.50
     * BE  = 1 - 0.20 - (2.6M + 0.2M)/4M = 1 - 0.2 - 0.7    = 0.10 */
    scope_topdown *td = make("skylake", 1, 2, NULL);
    add(td, "cpu_clk_unhalted.thread_any", 2000000);
    add(td, "uops_issued.any", 2600000);
    add(td, "uops_retired.retire_slots", 2000000);
    add(td, "idq_uops_not_delivered.core", 800000);
    add(td, "int_misc.recovery_cycles_any", 100000);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 4);
    expect(td, "Frontend_Bound", NULL, 0.20);
    expect(td, "Bad_Speculation", NULL, 0.20);
    expect(td, "Retiring", NULL, 0.50);
    expect(td, "Backend_Bound", NULL, 0.10);
    /* The same counts read multiplexed: each group ran half the time, so
     * raw counts are half and enabled/running = 2 restores them. Names
     * as perf prints them (raw, sysfs terms, kernel aliases). */
    scope_topdown_reset(td);
    ck_assert_int_eq(scope_topdown_add_raw(td, "r20003c", 1000000, 2000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "cpu/event=0xe,umask=0x1/:u", 1300000, 2000, 1000),
                     0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "topdown-slots-retired", 1000000, 2000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "IDQ_UOPS_NOT_DELIVERED.CORE", 400000, 2000, 1000),
                     0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "cpu/event=0xd,umask=0x1,any=1/", 50000, 2000,
                                           1000), 0);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    expect(td, "Frontend_Bound", NULL, 0.20);
    expect(td, "Bad_Speculation", NULL, 0.20);
    expect(td, "Retiring", NULL, 0.50);
    expect(td, "Backend_Bound", NULL, 0.10);
    /* an event of another recipe is refused, a missing one named */
    ck_assert_int_eq(scope_topdown_add(td, "ls_not_halted_cyc", 1), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "uops_issued.any"));
    scope_topdown_reset(td);
    add(td, "uops_issued.any", 1);
    ck_assert_int_eq(scope_topdown_compute(td), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "cpu_clk_unhalted.thread_any"));
    scope_topdown_free(td);
}
END_TEST

START_TEST(skylake_l2_no_smt)
{
    /* SMT off: CLKS = 1,000,000, SLOTS = 4,000,000, Recovery = 50,000; the
     * level-1 inputs as above give FE 0.2, Bad 0.2, Ret 0.5, BE 0.1.
     * Fetch_Latency = 4 x 100,000 / 4M = 0.10; Fetch_Bandwidth = 0.2 - 0.1 = 0.10
     * Branch_Mispredicts = 30k/(30k+10k) x 0.2 = 0.15; Machine_Clears = 0.05
     * Backend_Bound_Cycles = 200k + 100k + 0.5 x 100k + 50k = 400k
     * Memory_Bound = (150k + 50k)/400k x 0.1 = 0.05; Core_Bound = 0.05
     * Heavy_Operations = (RETIRE_SLOTS 2.0M + MACRO_FUSED 300k - INST_RETIRED
     *                     2.1M) / 4M = 200k/4M = 0.05; Light_Operations = 0.5 -
     *                     0.05 = 0.45 */
    scope_topdown *td = make("skylake", 2, 1, NULL);
    add(td, "cpu_clk_unhalted.thread", 1000000);
    add(td, "uops_issued.any", 2600000);
    add(td, "uops_retired.retire_slots", 2000000);
    add(td, "idq_uops_not_delivered.core", 800000);
    add(td, "int_misc.recovery_cycles", 50000);
    add(td, "idq_uops_not_delivered.cycles_0_uops_deliv.core", 100000);
    add(td, "br_misp_retired.all_branches", 30000);
    add(td, "machine_clears.count", 10000);
    add(td, "cycle_activity.stalls_mem_any", 150000);
    add(td, "exe_activity.bound_on_stores", 50000);
    add(td, "cycle_activity.stalls_total", 200000);
    add(td, "exe_activity.1_ports_util", 100000);
    add(td, "exe_activity.2_ports_util", 100000);
    add(td, "cpu/event=0xc2,umask=0x4/", 300000);
    /* level 2 is incomplete without INST_RETIRED.ANY: the compute names it */
    ck_assert_int_eq(scope_topdown_compute(td), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "inst_retired.any"));
    add(td, "instructions", 2100000);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 12);
    expect(td, "Heavy_Operations", NULL, 0.05);
    expect(td, "Light_Operations", NULL, 0.45);
    expect(td, "Backend_Bound", NULL, 0.10);
    expect(td, "Fetch_Latency", NULL, 0.10);
    expect(td, "Fetch_Bandwidth", NULL, 0.10);
    expect(td, "Branch_Mispredicts", NULL, 0.15);
    expect(td, "Machine_Clears", NULL, 0.05);
    expect(td, "Memory_Bound", NULL, 0.05);
    expect(td, "Core_Bound", NULL, 0.05);
    check_sums(td);
    const char *name, *parent;
    int level;
    ck_assert_int_eq(scope_topdown_node_at(td, 6, &name, &level, &parent, NULL, NULL), 0);
    ck_assert_str_eq(name, "Branch_Mispredicts");
    ck_assert_int_eq(level, 2);
    ck_assert_str_eq(parent, "Bad_Speculation");
    scope_topdown_free(td);
}
END_TEST

START_TEST(icelake_l1_and_reset_on_read)
{
    /* PM_SUM = 4M + 1M + 3M + 2M = 10M = SLOTS.
     * FE  = 3M/10M - UOP_DROPPING 100k/10M          = 0.30 - 0.01 = 0.29
     * BE  = 2M/10M + 5 x CLEARS_COUNT 20k/10M      = 0.20 + 0.01 = 0.21
     * Ret = 4M/10M                                  = 0.40
     * Bad = 1 - 0.29 - 0.21 - 0.40                  = 0.10 */
    scope_topdown *td = make("icelake", 1, 0, NULL);
    add(td, "slots", 10e6);
    add(td, "topdown-retiring", 4e6);
    add(td, "cpu/topdown-bad-spec/", 1e6);
    add(td, "topdown-fe-bound", 3e6);
    add(td, "r8300", 2e6);
    add(td, "INT_MISC.UOP_DROPPING", 1e5);
    add(td, "int_misc.clears_count", 2e4);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    expect(td, "Frontend_Bound", NULL, 0.29);
    expect(td, "Backend_Bound", NULL, 0.21);
    expect(td, "Retiring", NULL, 0.40);
    expect(td, "Bad_Speculation", NULL, 0.10);

    /* Reset-on-read: two raw readings (slots + PERF_METRICS bytes: 0
     * retiring, 1 bad spec, 2 FE, 3 BE), each from a zeroed counter.
     * A: slots 1M, bytes 204/0/51/0   -> ret 0.8M, fe 0.2M
     * B: slots 3M, bytes 51/51/51/102 -> ret 0.6M, bad 0.6M, fe 0.6M, be 1.2M
     * Summed: slots 4M, ret 1.4M, bad 0.6M, fe 0.8M, be 1.2M ->
     * FE 0.2, BE 0.3, Ret 0.35, Bad 0.15 (slot-weighted). Averaging the two
     * readings' fractions would give Ret (0.8 + 0.2)/2 = 0.5: wrong. */
    scope_topdown_reset(td);
    ck_assert_int_eq(scope_topdown_add_perf_metrics(td, NULL, 1000000, 0x003300ccULL), 0);
    ck_assert_int_eq(scope_topdown_add_perf_metrics(td, NULL, 3000000, 0x66333333ULL), 0);
    add(td, "int_misc.uop_dropping", 0);
    add(td, "int_misc.clears_count", 0);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    expect(td, "Frontend_Bound", NULL, 0.20);
    expect(td, "Backend_Bound", NULL, 0.30);
    expect(td, "Retiring", NULL, 0.35);
    expect(td, "Bad_Speculation", NULL, 0.15);
    scope_topdown_free(td);

    td = make("amdzen4", 1, 0, NULL);
    ck_assert_int_eq(scope_topdown_add_perf_metrics(td, NULL, 1, 1), SCOPE_ENOTSUP);
    scope_topdown_free(td);
}
END_TEST

/* Every level-2 node's siblings sum to their level-1 parent. */
static void check_sums(scope_topdown *td)
{
    size_t n = scope_topdown_node_count(td);
    int parents = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name, *core;
        int level;
        double v;
        ck_assert_int_eq(scope_topdown_node_at(td, i, &name, &level, NULL, &core, &v), 0);
        if (level != 1)
            continue;
        double sum = 0;
        int kids = 0;
        for (size_t k = 0; k < n; k++) {
            const char *par, *kcore;
            int kl;
            double kv;
            scope_topdown_node_at(td, k, NULL, &kl, &par, &kcore, &kv);
            if (kl == 2 && par && !strcmp(par, name) &&
                (core == kcore || (core && kcore && !strcmp(core, kcore)))) {
                sum += kv;
                kids++;
            }
        }
        if (!kids)
            continue;
        ck_assert_msg(kids == 2, "%s %s has %d children", scope_topdown_recipe(td), name, kids);
        ck_assert_msg(fabs(sum - v) < 1e-12, "%s %s = %.12f, children sum to %.12f",
                      scope_topdown_recipe(td), name, v, sum);
        parents++;
    }
    ck_assert_int_gt(parents, 0);
}

START_TEST(icelake_l2)
{
    /* Level 1 as in icelake_l1_and_reset_on_read: SLOTS = PM_SUM = 10M,
     * FE 0.29, BE 0.21, Ret 0.40, Bad 0.10 (UOP_DROPPING 100k, CLEARS 20k).
     * Fetch_Latency  = (5 x CYCLES_0_UOPS 500k - UOP_DROPPING 100k) / 10M
     *                = (2.5M - 0.1M) / 10M                       = 0.24
     * Fetch_Bandwidth = 0.29 - 0.24                               = 0.05
     * Branch_Mispredicts = 60k / (60k + MACHINE_CLEARS 20k) x 0.10 = 0.075
     * Machine_Clears = 0.10 - 0.075                               = 0.025
     * Backend_Bound_Cycles = STALLS_TOTAL 600k + 1_PORTS 200k
     *                  + Ret 0.4 x 2_PORTS 250k + BOUND_ON_STORES 100k = 1.0M
     * Memory_Bound   = (STALLS_MEM_ANY 300k + 100k) / 1.0M x 0.21 = 0.084
     * Core_Bound     = 0.21 - 0.084                               = 0.126
     * Microcode_Sequencer = UOPS_RETIRED.SLOTS 4M / UOPS_ISSUED 5M
     *                  x IDQ.MS_UOPS 500k / 10M = 0.8 x 0.05     = 0.04
     * Heavy_Operations = 0.04 + 0.4 x (DEC0 300k - DEC0:c1 200k) / MITE 1M
     *                  = 0.04 + 0.04                              = 0.08
     * Light_Operations = 0.40 - 0.08                              = 0.32 */
    static const struct {
        const char *ev;
        double v;
    } in[] = {
        {"idq_uops_not_delivered.cycles_0_uops_deliv.core", 5e5},
        {"BR_MISP_RETIRED.ALL_BRANCHES", 6e4},
        {"machine_clears.count", 2e4},
        {"cycle_activity.stalls_mem_any", 3e5},
        {"cpu/event=0xa6,umask=0x40,cmask=2/", 1e5},
        {"cycle_activity.stalls_total", 6e5},
        {"exe_activity.1_ports_util", 2e5},
        {"r4a6", 2.5e5},
        {"uops_issued.any", 5e6},
        {"uops_retired.slots", 4e6},
        {"idq.ms_uops", 5e5},
        {"uops_decoded.dec0", 3e5},
        {"cpu/event=0x56,umask=0x1,cmask=1/", 2e5},
        {"idq.mite_uops", 1e6},
    };
    for (int mux = 0; mux < 2; mux++) {
        scope_topdown *td = make(mux ? "icelakex" : "icelake", 2, 0, NULL);
        /* the slots group is pinned in the second pass too; the generic
         * events there ran a quarter of the time (enabled 4000 ns, running
         * 1000 ns), so their raw counts are a quarter and scale back by 4 */
        ck_assert_int_eq(scope_topdown_add_raw(td, "slots", 10000000, 4000, 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "topdown-retiring", 4000000, 4000, 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "topdown-bad-spec", 1000000, 4000, 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "topdown-fe-bound", 3000000, 4000, 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "topdown-be-bound", 2000000, 4000, 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "int_misc.uop_dropping", mux ? 25000 : 100000,
                                               4000, mux ? 1000 : 4000), 0);
        ck_assert_int_eq(scope_topdown_add_raw(td, "int_misc.clears_count", mux ? 5000 : 20000,
                                               4000, mux ? 1000 : 4000), 0);
        for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
            uint64_t raw = (uint64_t)(mux ? in[i].v / 4 : in[i].v);
            int rc = scope_topdown_add_raw(td, in[i].ev, raw, 4000, mux ? 1000 : 4000);
            ck_assert_msg(rc == 0, "%s: %s", in[i].ev, scope_error_message());
        }
        ck_assert_int_eq(scope_topdown_compute(td), 0);
        ck_assert_uint_eq(scope_topdown_node_count(td), 12);
        expect(td, "Frontend_Bound", NULL, 0.29);
        expect(td, "Backend_Bound", NULL, 0.21);
        expect(td, "Retiring", NULL, 0.40);
        expect(td, "Bad_Speculation", NULL, 0.10);
        expect(td, "Fetch_Latency", NULL, 0.24);
        expect(td, "Fetch_Bandwidth", NULL, 0.05);
        expect(td, "Branch_Mispredicts", NULL, 0.075);
        expect(td, "Machine_Clears", NULL, 0.025);
        expect(td, "Memory_Bound", NULL, 0.084);
        expect(td, "Core_Bound", NULL, 0.126);
        expect(td, "Heavy_Operations", NULL, 0.08);
        expect(td, "Light_Operations", NULL, 0.32);
        check_sums(td);
        /* a level-2 event missing: the compute names it */
        scope_topdown_reset(td);
        const char *l1[] = {"slots", "topdown-retiring", "topdown-bad-spec", "topdown-fe-bound",
                            "topdown-be-bound", "int_misc.uop_dropping",
                            "int_misc.clears_count"};
        for (int i = 0; i < 7; i++)
            add(td, l1[i], 1e6);
        ck_assert_int_eq(scope_topdown_compute(td), SCOPE_ENOENT);
        ck_assert_ptr_nonnull(strstr(scope_error_message(), "cycles_0_uops_deliv"));
        scope_topdown_free(td);
    }
    /* the level-2 event list: the level-1 groups, then four more */
    scope_topdown *td = make("icelake", 2, 0, fx("sysfs/icelake"));
    ck_assert_uint_eq(scope_topdown_event_count(td), 21);
    const char *ev = scope_topdown_events(td);
    int groups = 0;
    for (const char *c = ev; *c; c++)
        groups += *c == '{';
    ck_assert_int_eq(groups, 6);
    ck_assert_ptr_nonnull(strstr(ev, "{cpu/event=0x0,umask=0x4/,"));
    scope_topdown_free(td);
}
END_TEST

START_TEST(sapphirerapids_l2)
{
    /* SLOTS = PM_SUM = 12M: ret 6M, bad 1.2M, fe 2.4M, be 2.4M; UOP_DROPPING
     * 120k (0.01 of slots).
     * FE = 0.2 - 0.01 = 0.19; BE = 0.2 (no CLEARS term on SPR); Ret = 0.5;
     * Bad = 1 - 0.19 - 0.2 - 0.5 = 0.11.
     * Fetch_Latency = 1.2M/12M - 0.01 = 0.09; Fetch_Bandwidth = 0.19-0.09 = 0.10
     * Branch_Mispredicts = 0.6M/12M = 0.05; Machine_Clears = 0.11 - 0.05 = 0.06
     * Memory_Bound = 1.8M/12M = 0.15; Core_Bound = 0.2 - 0.15 = 0.05
     * Heavy_Operations = 1.2M/12M = 0.10; Light_Operations = 0.5 - 0.1 = 0.40 */
    scope_topdown *td = make("sapphirerapids", 2, 0, NULL);
    add(td, "slots", 12e6);
    add(td, "topdown-retiring", 6e6);
    add(td, "topdown-bad-spec", 1.2e6);
    add(td, "topdown-fe-bound", 2.4e6);
    add(td, "topdown-be-bound", 2.4e6);
    add(td, "topdown-heavy-ops", 1.2e6);
    add(td, "topdown-br-mispredict", 0.6e6);
    add(td, "topdown-fetch-lat", 1.2e6);
    add(td, "topdown-mem-bound", 1.8e6);
    add(td, "int_misc.uop_dropping", 1.2e5);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 12);
    expect(td, "Frontend_Bound", NULL, 0.19);
    expect(td, "Backend_Bound", NULL, 0.20);
    expect(td, "Retiring", NULL, 0.50);
    expect(td, "Bad_Speculation", NULL, 0.11);
    expect(td, "Fetch_Latency", NULL, 0.09);
    expect(td, "Fetch_Bandwidth", NULL, 0.10);
    expect(td, "Branch_Mispredicts", NULL, 0.05);
    expect(td, "Machine_Clears", NULL, 0.06);
    expect(td, "Memory_Bound", NULL, 0.15);
    expect(td, "Core_Bound", NULL, 0.05);
    expect(td, "Heavy_Operations", NULL, 0.10);
    expect(td, "Light_Operations", NULL, 0.40);
    check_sums(td);
    scope_topdown_free(td);
}
END_TEST

START_TEST(alderlake_both_core_types)
{
    /* cpu_core: the SPR level-1 numbers above -> FE .19 BE .2 Ret .5 Bad .11.
     * cpu_atom: SLOTS = 5 x 1M = 5M; FE = 1M/5M = 0.2; BE = 1.5M/5M = 0.3;
     * Ret = 2M/5M = 0.4; Bad = (5M - 1M - 1.5M - 2M)/5M = 0.1. */
    scope_topdown *td = make("alderlake", 1, 0, NULL);
    add(td, "cpu_core/slots/", 12e6);
    add(td, "cpu_core/topdown-retiring/", 6e6);
    add(td, "cpu_core/topdown-bad-spec/", 1.2e6);
    add(td, "cpu_core/topdown-fe-bound/", 2.4e6);
    add(td, "cpu_core/topdown-be-bound/", 2.4e6);
    add(td, "cpu_core/event=0xd,umask=0x10/", 1.2e5);
    add(td, "cpu_atom/cycles/", 1e6);
    add(td, "cpu_atom/topdown-retiring/", 2e6);
    add(td, "cpu_atom/topdown-fe-bound/", 1e6);
    add(td, "cpu_atom/event=0x74,umask=0x0/", 1.5e6);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 8);
    expect(td, "Frontend_Bound", "cpu_core", 0.19);
    expect(td, "Bad_Speculation", "cpu_core", 0.11);
    expect(td, "Retiring", "cpu_core", 0.50);
    expect(td, "Frontend_Bound", "cpu_atom", 0.20);
    expect(td, "Backend_Bound", "cpu_atom", 0.30);
    expect(td, "Retiring", "cpu_atom", 0.40);
    expect(td, "Bad_Speculation", "cpu_atom", 0.10);
    scope_topdown_free(td);
}
END_TEST

START_TEST(amd_zen4_l2_and_zen5_width)
{
    /* Zen 4: SLOTS = 6 x 1M = 6M. FE 1.2M -> 0.2; BE 1.8M -> 0.3; SMT 0.6M ->
     * 0.1; Ret 1.8M -> 0.3; Bad = (2.4M - 1.8M)/6M = 0.1 (sum 1.0).
     * Fetch_Latency = 6 x 100k/6M = 0.1; Fetch_Bandwidth = 0.1
     * Branch_Mispredicts = 0.1 x 30k/(30k+10k) = 0.075; Pipeline_Restarts = 0.025
     * Memory_Bound = 0.3 x 100k/400k = 0.075; CPU_Bound = 0.225
     * Microcode = 0.3 x 180k/1.8M = 0.03; Fastpath = 0.27 */
    scope_topdown *td = make("amdzen4", 2, 0, NULL);
    add(td, "ls_not_halted_cyc", 1e6);
    add(td, "de_no_dispatch_per_slot.no_ops_from_frontend", 1.2e6);
    add(td, "de_no_dispatch_per_slot.backend_stalls", 1.8e6);
    add(td, "de_no_dispatch_per_slot.smt_contention", 0.6e6);
    add(td, "de_src_op_disp.all", 2.4e6);
    add(td, "ex_ret_ops", 1.8e6);
    add(td, "cpu/event=0x1a0,umask=0x1,cmask=6/", 1e5);
    add(td, "ex_ret_brn_misp", 3e4);
    add(td, "resyncs_or_nc_redirects", 1e4);
    add(td, "ex_no_retire.not_complete", 4e5);
    add(td, "ex_no_retire.load_not_complete", 1e5);
    add(td, "r1000000c2", 1.8e5);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 13);
    expect(td, "Frontend_Bound", NULL, 0.2);
    expect(td, "Backend_Bound", NULL, 0.3);
    expect(td, "SMT_Contention", NULL, 0.1);
    expect(td, "Retiring", NULL, 0.3);
    expect(td, "Bad_Speculation", NULL, 0.1);
    expect(td, "Fetch_Latency", NULL, 0.1);
    expect(td, "Fetch_Bandwidth", NULL, 0.1);
    expect(td, "Branch_Mispredicts", NULL, 0.075);
    expect(td, "Pipeline_Restarts", NULL, 0.025);
    expect(td, "Memory_Bound", NULL, 0.075);
    expect(td, "CPU_Bound", NULL, 0.225);
    expect(td, "Microcode", NULL, 0.03);
    expect(td, "Fastpath", NULL, 0.27);
    check_sums(td);
    scope_topdown_free(td);

    /* Zen 5: 8 slots per cycle. SLOTS = 8M; FE 1.6M -> 0.2, BE 2.4M -> 0.3,
     * SMT 0.8M -> 0.1, Ret 2.4M -> 0.3, Bad (3.2M-2.4M)/8M = 0.1; inputs
     * multiplexed 1:4 (enabled 4000, running 1000). The Zen 4 width on
     * the same counts would give FE 1.6M/6M = 0.267. */
    td = make("amdzen5", 1, 0, NULL);
    ck_assert_int_eq(scope_topdown_add_raw(td, "ls_not_halted_cyc", 250000, 4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "de_no_dispatch_per_slot.no_ops_from_frontend",
                                           400000, 4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "de_no_dispatch_per_slot.backend_stalls", 600000,
                                           4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "de_no_dispatch_per_slot.smt_contention", 200000,
                                           4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "de_src_op_disp.all", 800000, 4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_add_raw(td, "ex_ret_ops", 600000, 4000, 1000), 0);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 5);
    expect(td, "Frontend_Bound", NULL, 0.2);
    expect(td, "Backend_Bound", NULL, 0.3);
    expect(td, "SMT_Contention", NULL, 0.1);
    expect(td, "Retiring", NULL, 0.3);
    expect(td, "Bad_Speculation", NULL, 0.1);
    /* nothing ran */
    scope_topdown_reset(td);
    const char *k[] = {"ls_not_halted_cyc", "de_no_dispatch_per_slot.no_ops_from_frontend",
                       "de_no_dispatch_per_slot.backend_stalls",
                       "de_no_dispatch_per_slot.smt_contention", "de_src_op_disp.all",
                       "ex_ret_ops"};
    for (int i = 0; i < 6; i++)
        add(td, k[i], 0);
    ck_assert_int_eq(scope_topdown_compute(td), SCOPE_EINVAL);
    scope_topdown_free(td);

    /* Zen 5 level 2, level-1 inputs as above (SLOTS 8M; FE .2, BE .3, SMT
     * .1, Ret .3, Bad .1) counted all the time; the level-2 group ran half
     * the time (raw halved, enabled 2000 / running 1000 scales it back):
     * Fetch_Latency = 8 x cmask-8 count 100k / 8M                = 0.1
     * Fetch_Bandwidth = 0.2 - 0.1                                = 0.1
     * Branch_Mispredicts = 0.1 x 45k / (45k + bp_redirects.resync 15k)
     *                    = 0.1 x 0.75                            = 0.075
     * Pipeline_Restarts = 0.1 - 0.075                            = 0.025
     * Memory_Bound = 0.3 x load_not_complete 200k / not_complete 500k = 0.12
     * CPU_Bound = 0.3 - 0.12                                     = 0.18
     * Microcode = 0.3 x ucode 240k / ex_ret_ops 2.4M             = 0.03
     * Fastpath = 0.3 - 0.03                                      = 0.27 */
    td = make("amdzen5", 2, 0, NULL);
    const double l1v[] = {1e6, 1.6e6, 2.4e6, 0.8e6, 3.2e6, 2.4e6};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(scope_topdown_add_raw(td, k[i], (uint64_t)l1v[i], 4000, 4000), 0);
    static const struct {
        const char *ev;
        uint64_t half;
    } l2[] = {
        {"cpu/event=0x1a0,umask=0x1,cmask=8/", 50000},
        {"ex_ret_brn_misp", 22500},
        {"bp_redirects.resync", 7500},
        {"ex_no_retire.not_complete", 250000},
        {"ex_no_retire.load_not_complete", 100000},
        {"ex_ret_ucode_ops", 120000},
    };
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(scope_topdown_add_raw(td, l2[i].ev, l2[i].half, 2000, 1000), 0);
    ck_assert_int_eq(scope_topdown_compute(td), 0);
    ck_assert_uint_eq(scope_topdown_node_count(td), 13);
    expect(td, "Fetch_Latency", NULL, 0.1);
    expect(td, "Fetch_Bandwidth", NULL, 0.1);
    expect(td, "Branch_Mispredicts", NULL, 0.075);
    expect(td, "Pipeline_Restarts", NULL, 0.025);
    expect(td, "Memory_Bound", NULL, 0.12);
    expect(td, "CPU_Bound", NULL, 0.18);
    expect(td, "Microcode", NULL, 0.03);
    expect(td, "Fastpath", NULL, 0.27);
    check_sums(td);
    /* Zen 4's resync event is not Zen 5's */
    ck_assert_int_eq(scope_topdown_add(td, "resyncs_or_nc_redirects", 1), SCOPE_ENOENT);
    scope_topdown_free(td);
}
END_TEST

/* --- CSV replay ---------------------------------------------------------------------------- */

struct seen {
    int n;
    double t[4], fe[4], be[4], ret[4], bad[4], smt[4];
};

static int on_interval(scope_topdown *td, double t, void *u)
{
    struct seen *s = u;
    if (s->n >= 4)
        return 1;
    s->t[s->n] = t;
    scope_topdown_value(td, "Frontend_Bound", NULL, &s->fe[s->n]);
    scope_topdown_value(td, "Backend_Bound", NULL, &s->be[s->n]);
    scope_topdown_value(td, "Retiring", NULL, &s->ret[s->n]);
    scope_topdown_value(td, "Bad_Speculation", NULL, &s->bad[s->n]);
    s->smt[s->n] = -1;
    scope_topdown_value(td, "SMT_Contention", NULL, &s->smt[s->n]);
    s->n++;
    return 0;
}

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12f, want %.12f", #a, (double)(a), (double)(b))

START_TEST(replay_perf_csv)
{
    /* amdzen4_interval.csv, interval 1 (t 1.001): SLOTS 6M; FE 1.2M .2,
     * BE 1.8M .3, SMT .6M .1, Ret 1.8M .3, Bad (2.4M-1.8M)/6M .1.
     * Interval 2 (t 2.002, multiplexed at 50 %, values already scaled by
     * perf): SLOTS 18M; FE 1.8M .1, BE 8.1M .45, SMT 1.8M .1, Ret 4.5M .25,
     * Bad (6.3M-4.5M)/18M .1.
     * Whole run (t -1): SLOTS 24M; FE 3.0M .125, BE 9.9M .4125, SMT 2.4M .1,
     * Ret 6.3M .2625, Bad (8.7M-6.3M)/24M .1. */
    scope_topdown *td = make("amdzen4", 1, 0, NULL);
    struct seen s = {0};
    char path[1100];
    snprintf(path, sizeof path, "%s", fx("topdown/amdzen4_interval.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv(td, path, on_interval, &s), 2);
    ck_assert_int_eq(s.n, 3);
    NEAR(s.t[0], 1.001);
    NEAR(s.fe[0], 0.2);
    NEAR(s.be[0], 0.3);
    NEAR(s.smt[0], 0.1);
    NEAR(s.ret[0], 0.3);
    NEAR(s.bad[0], 0.1);
    NEAR(s.t[1], 2.002);
    NEAR(s.fe[1], 0.1);
    NEAR(s.be[1], 0.45);
    NEAR(s.ret[1], 0.25);
    NEAR(s.bad[1], 0.1);
    NEAR(s.t[2], -1);
    NEAR(s.fe[2], 0.125);
    NEAR(s.be[2], 0.4125);
    NEAR(s.smt[2], 0.1);
    NEAR(s.ret[2], 0.2625);
    NEAR(s.bad[2], 0.1);
    scope_topdown_free(td);

    /* a summary file (no -I): icelake, the level-1 numbers of
     * icelake_l1_and_reset_on_read (FE .29, BE .21, Ret .4, Bad .1) */
    td = make("icelake", 1, 0, NULL);
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s", fx("topdown/icelake_summary.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv(td, path, on_interval, &s), 1);
    ck_assert_int_eq(s.n, 1);
    NEAR(s.t[0], -1);
    NEAR(s.fe[0], 0.29);
    NEAR(s.be[0], 0.21);
    NEAR(s.ret[0], 0.40);
    NEAR(s.bad[0], 0.10);
    /* the wrong recipe for the file: a needed event never appears */
    scope_topdown_free(td);
    td = make("skylake", 1, 1, NULL);
    ck_assert_int_lt(scope_topdown_replay_csv(td, path, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s", fx("topdown/bad.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv(td, path, NULL, NULL), SCOPE_EPARSE);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "bad.csv:2"));
    ck_assert_int_eq(scope_topdown_replay_csv(td, "/nonexistent.csv", NULL, NULL), SCOPE_ENOENT);
    scope_topdown_free(td);
}
END_TEST

/* --- per-thread / per-CPU replay ------------------------------------------------------- */

struct rowseen {
    int n;
    struct {
        double t;
        int kind, interval;
        long long id;
        char label[64], comm[64];
        double fe, be, ret, bad, smt;
    } r[16];
};

static int on_row(scope_topdown *td, double t, const scope_topdown_row *row, void *u)
{
    struct rowseen *s = u;
    ck_assert_uint_ge(row->size, sizeof *row);
    if (s->n >= 16)
        return 1;
    s->r[s->n].t = t;
    s->r[s->n].kind = row->kind;
    s->r[s->n].interval = row->interval;
    s->r[s->n].id = row->id;
    snprintf(s->r[s->n].label, sizeof s->r[s->n].label, "%s", row->label ? row->label : "(null)");
    snprintf(s->r[s->n].comm, sizeof s->r[s->n].comm, "%s", row->comm ? row->comm : "(null)");
    scope_topdown_value(td, "Frontend_Bound", NULL, &s->r[s->n].fe);
    scope_topdown_value(td, "Backend_Bound", NULL, &s->r[s->n].be);
    scope_topdown_value(td, "Retiring", NULL, &s->r[s->n].ret);
    scope_topdown_value(td, "Bad_Speculation", NULL, &s->r[s->n].bad);
    s->r[s->n].smt = -1;
    if (scope_topdown_node_count(td) == 5)
        scope_topdown_value(td, "SMT_Contention", NULL, &s->r[s->n].smt);
    s->n++;
    return 0;
}

static void row_is(const struct rowseen *s, int i, double t, int kind, long long id,
                   const char *label, const char *comm, double fe, double be, double smt,
                   double ret, double bad)
{
    ck_assert_msg(i < s->n, "row %d of %d", i, s->n);
    ck_assert_msg(fabs(s->r[i].t - t) < 1e-9 && s->r[i].kind == kind && s->r[i].id == id &&
                      !strcmp(s->r[i].label, label) && !strcmp(s->r[i].comm, comm),
                  "row %d: t %f kind %d id %lld label %s comm %s; want %f %d %lld %s %s", i,
                  s->r[i].t, s->r[i].kind, s->r[i].id, s->r[i].label, s->r[i].comm, t, kind, id,
                  label, comm);
    ck_assert_msg(fabs(s->r[i].fe - fe) < 1e-9 && fabs(s->r[i].be - be) < 1e-9 &&
                      fabs(s->r[i].ret - ret) < 1e-9 && fabs(s->r[i].bad - bad) < 1e-9 &&
                      (smt < 0 || fabs(s->r[i].smt - smt) < 1e-9),
                  "row %d (%s at %f): FE %.12f BE %.12f SMT %.12f Ret %.12f Bad %.12f; want "
                  "%.12f %.12f %.12f %.12f %.12f", i, label, t, s->r[i].fe, s->r[i].be,
                  s->r[i].smt, s->r[i].ret, s->r[i].bad, fe, be, smt, ret, bad);
}

static int stop_at_second(scope_topdown *td, double t, const scope_topdown_row *row, void *u)
{
    (void)td;
    (void)t;
    (void)row;
    (void)u;
    static int calls;
    return ++calls % 2 == 0;
}

enum { TH = SCOPE_TOPDOWN_ROW_THREAD, CP = SCOPE_TOPDOWN_ROW_CPU, TO = SCOPE_TOPDOWN_ROW_TOTAL };

START_TEST(replay_per_thread_and_per_cpu)
{
    /* amdzen4_per_thread_interval.csv: `perf stat -x, --per-thread -I 1000`
     * layout, amdzen4 level 1 (SLOTS = 6 x ls_not_halted_cyc).
     * t 1.001: worker_0-2660 cyc 1M (6M slots): FE 1.2M .2, BE 1.8M .3,
     *            SMT .6M .1, Ret 1.8M .3, Bad (2.4M-1.8M)/6M .1
     *          worker_1-2661 cyc 1M: FE 3.0M .5, BE .6M .1, SMT .6M .1,
     *            Ret 1.2M .2, Bad (1.8M-1.2M)/6M .1
     *          envoy-2646 <not counted>: left out
     *          total cyc 2M (12M): FE 4.2M .35, BE 2.4M .2, SMT 1.2M .1,
     *            Ret 3.0M .25, Bad (4.2M-3.0M)/12M .1
     * t 2.002 (pcnt 50 %, perf already scaled): worker_0 <not counted>
     *          worker_1-2661 cyc 1M: FE .6M .1, BE 2.4M .4, SMT .6M .1,
     *            Ret 1.8M .3, Bad (2.4M-1.8M)/6M .1
     *          envoy-2646 cyc .5M (3M): FE .3M .1, BE .3M .1, SMT .3M .1,
     *            Ret 1.8M .6, Bad (2.1M-1.8M)/3M .1
     *          total cyc 1.5M (9M): FE .9M .1, BE 2.7M .3, SMT .9M .1,
     *            Ret 3.6M .4, Bad (4.5M-3.6M)/9M .1
     * whole run (t -1), summed counts:
     *          worker_0 = its t 1.001 values
     *          worker_1 cyc 2M (12M): FE 3.6M .3, BE 3.0M .25, SMT 1.2M .1,
     *            Ret 3.0M .25, Bad (4.2M-3.0M)/12M .1
     *          envoy = its t 2.002 values
     *          total cyc 3.5M (21M): FE 5.1M/21M, BE 5.1M/21M, SMT 2.1M/21M,
     *            Ret 6.6M/21M, Bad (8.7M-6.6M)/21M = 2.1M/21M */
    scope_topdown *td = make("amdzen4", 1, 0, NULL);
    struct rowseen s = {0};
    char path[1100];
    snprintf(path, sizeof path, "%s", fx("topdown/amdzen4_per_thread_interval.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), 2);
    ck_assert_int_eq(s.n, 10);
    row_is(&s, 0, 1.001, TH, 2660, "worker_0-2660", "worker_0", .2, .3, .1, .3, .1);
    row_is(&s, 1, 1.001, TH, 2661, "worker_1-2661", "worker_1", .5, .1, .1, .2, .1);
    row_is(&s, 2, 1.001, TO, -1, "total", "(null)", .35, .2, .1, .25, .1);
    row_is(&s, 3, 2.002, TH, 2661, "worker_1-2661", "worker_1", .1, .4, .1, .3, .1);
    row_is(&s, 4, 2.002, TH, 2646, "envoy-2646", "envoy", .1, .1, .1, .6, .1);
    row_is(&s, 5, 2.002, TO, -1, "total", "(null)", .1, .3, .1, .4, .1);
    row_is(&s, 6, -1, TH, 2660, "worker_0-2660", "worker_0", .2, .3, .1, .3, .1);
    row_is(&s, 7, -1, TH, 2661, "worker_1-2661", "worker_1", .3, .25, .1, .25, .1);
    row_is(&s, 8, -1, TH, 2646, "envoy-2646", "envoy", .1, .1, .1, .6, .1);
    row_is(&s, 9, -1, TO, -1, "total", "(null)", 5.1 / 21, 5.1 / 21, 2.1 / 21, 6.6 / 21,
           2.1 / 21);
    /* interval numbers: 0 for t 1.001, 1 for t 2.002, -1 for the whole run */
    const int want_iv[10] = {0, 0, 0, 1, 1, 1, -1, -1, -1, -1};
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(s.r[i].interval, want_iv[i]);
    /* the aggregated replay of the same file: the totals only */
    struct seen tot = {0};
    ck_assert_int_eq(scope_topdown_replay_csv(td, path, on_interval, &tot), 2);
    ck_assert_int_eq(tot.n, 3);
    NEAR(tot.fe[0], .35);
    NEAR(tot.be[1], .3);
    NEAR(tot.ret[2], 6.6 / 21);
    /* a file without rows through the rows API: totals, label NULL */
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s", fx("topdown/amdzen4_interval.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), 2);
    ck_assert_int_eq(s.n, 3);
    row_is(&s, 0, 1.001, TO, -1, "(null)", "(null)", .2, .3, .1, .3, .1);
    row_is(&s, 2, -1, TO, -1, "(null)", "(null)", .125, .4125, .1, .2625, .1);
    scope_topdown_free(td);

    /* skylake_per_cpu_interval.csv: `perf stat -x, -A -a -I 500` layout,
     * skylake level 1 with SMT off (SLOTS = 4 x cycles, Recovery =
     * RECOVERY_CYCLES; FE = IDQ/SLOTS, Bad = (ISSUED - RETIRED + 4 Rec)/SLOTS,
     * Ret = RETIRED/SLOTS, BE = 1 - FE - (ISSUED + 4 Rec)/SLOTS).
     * t 0.5: CPU0 cyc 1M (4M): IDQ .8M -> FE .2; ISSUED 2.6M, RETIRED 2.0M,
     *          Rec 50k (.2M): Bad (.6M+.2M)/4M .2, Ret .5, BE 1-.2-2.8/4 = .1
     *        CPU1 cyc 1M (4M): IDQ .4M -> .1; ISSUED 1.4M, RETIRED 1.2M, Rec
     *          25k (.1M): Bad .3M/4M .075, Ret .3, BE 1-.1-1.5/4 = .525
     *        total cyc 2M (8M): IDQ 1.2M .15; ISSUED 4.0M, RETIRED 3.2M, Rec
     *          75k (.3M): Bad 1.1M/8M .1375, Ret .4, BE 1-.15-4.3/8 = .3125
     * t 1.001 (50 %, scaled): CPU0 cyc 2M (8M): IDQ .8M .1; ISSUED 4.8M,
     *          RETIRED 4.0M, Rec .1M (.4M): Bad 1.2M/8M .15, Ret .5,
     *          BE 1-.1-5.2/8 = .25
     *        CPU1 all 0 (idle): no slots, left out; total = CPU0
     * whole: CPU0 cyc 3M (12M): IDQ 1.6M -> 1.6/12; ISSUED 7.4M, RETIRED
     *          6.0M, Rec .15M (.6M): Bad 2.0/12, Ret .5, BE 1-1.6/12-8.0/12 = .2
     *        CPU1 = its t 0.5 values
     *        total cyc 4M (16M): IDQ 2.0M .125; ISSUED 8.8M, RETIRED 7.2M, Rec
     *          .175M (.7M): Bad 2.3/16 = .14375, Ret .45, BE 1-.125-9.5/16 =
     *          .28125 */
    td = make("skylake", 1, 1, NULL);
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s", fx("topdown/skylake_per_cpu_interval.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), 2);
    ck_assert_int_eq(s.n, 8);
    row_is(&s, 0, 0.5, CP, 0, "CPU0", "(null)", .2, .1, -1, .5, .2);
    row_is(&s, 1, 0.5, CP, 1, "CPU1", "(null)", .1, .525, -1, .3, .075);
    row_is(&s, 2, 0.5, TO, -1, "total", "(null)", .15, .3125, -1, .4, .1375);
    row_is(&s, 3, 1.001, CP, 0, "CPU0", "(null)", .1, .25, -1, .5, .15);
    row_is(&s, 4, 1.001, TO, -1, "total", "(null)", .1, .25, -1, .5, .15);
    row_is(&s, 5, -1, CP, 0, "CPU0", "(null)", 1.6 / 12, .2, -1, .5, 2.0 / 12);
    row_is(&s, 6, -1, CP, 1, "CPU1", "(null)", .1, .525, -1, .3, .075);
    row_is(&s, 7, -1, TO, -1, "total", "(null)", .125, .28125, -1, .45, .14375);
    /* without a callback: the interval count; a callback that stops */
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, NULL, NULL), 2);
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, stop_at_second, &s), SCOPE_EUSER);
    scope_topdown_free(td);

    /* amdzen4_per_cpu.csv: `perf stat -x, -A -a` without -I.
     * CPU0 cyc 1M (6M slots): FE 1.2M .2, BE 1.8M .3, SMT .6M .1, Ret 1.8M .3,
     *   Bad (2.4M-1.8M)/6M .1
     * CPU1 cyc 2M (12M): FE 1.2M .1, BE 6.0M .5, SMT 1.2M .1, Ret 2.4M .2,
     *   Bad (3.6M-2.4M)/12M .1
     * total cyc 3M (18M): FE 2.4/18, BE 7.8/18, SMT 1.8/18 = .1, Ret 4.2/18,
     *   Bad (6.0M-4.2M)/18M = .1 */
    td = make("amdzen4", 1, 0, NULL);
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s", fx("topdown/amdzen4_per_cpu.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), 1);
    ck_assert_int_eq(s.n, 3);
    row_is(&s, 0, -1, CP, 0, "CPU0", "(null)", .2, .3, .1, .3, .1);
    row_is(&s, 1, -1, CP, 1, "CPU1", "(null)", .1, .5, .1, .2, .1);
    row_is(&s, 2, -1, TO, -1, "total", "(null)", 2.4 / 18, 7.8 / 18, .1, 4.2 / 18, .1);
    scope_topdown_free(td);

    /* icelake_per_thread.csv: `perf stat -x, --per-thread` without -I.
     * envoy-100: the icelake_l1 numbers (FE .29, BE .21, Ret .4, Bad .1)
     * worker_0-101: SLOTS 10M = PM_SUM; FE 2M .2, BE 4M .4, Ret 2M .2,
     *   Bad 1 - .8 = .2 (UOP_DROPPING, CLEARS 0)
     * total: SLOTS 20M = PM_SUM; Ret 6M .3; FE 5M/20M - 100k/20M = .245;
     *   BE 6M/20M + 5 x 20k/20M = .305; Bad 1 - .245 - .305 - .3 = .15 */
    td = make("icelake", 1, 0, NULL);
    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "%s", fx("topdown/icelake_per_thread.csv"));
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), 1);
    ck_assert_int_eq(s.n, 3);
    row_is(&s, 0, -1, TH, 100, "envoy-100", "envoy", .29, .21, -1, .4, .1);
    row_is(&s, 1, -1, TH, 101, "worker_0-101", "worker_0", .2, .4, -1, .2, .2);
    row_is(&s, 2, -1, TO, -1, "total", "(null)", .245, .305, -1, .3, .15);
    ck_assert_int_eq(s.r[0].interval, -1); /* no -I: the one result is the whole run */
    /* the real perf layouts (software events): parsed, no top-down event */
    const char *real[] = {"topdown/perf_per_thread.csv", "topdown/perf_per_thread_interval.csv",
                          "topdown/perf_per_cpu.csv", "topdown/perf_per_cpu_interval.csv"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s", fx(real[i]));
        ck_assert_int_eq(scope_topdown_replay_csv_rows(td, path, on_row, &s), SCOPE_EPARSE);
        ck_assert_msg(strstr(scope_error_message(), "holds no count"), "%s: %s", real[i],
                      scope_error_message());
    }
    /* a file mixing rows and aggregated lines */
    char tmp[] = "/tmp/check_topdown_XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("envoy-100,10000000,,slots,2000000000,100.00,,\n10000000,,slots,2000000000,100.00,,\n",
          f);
    fclose(f);
    ck_assert_int_eq(scope_topdown_replay_csv_rows(td, tmp, on_row, &s), SCOPE_EPARSE);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), ":2: mixes"));
    unlink(tmp);
    scope_topdown_free(td);
}
END_TEST

START_TEST(csv_lines)
{
    struct scope__csv_rec r;
    ck_assert_int_eq(scope__perf_csv_line("4.37,msec,task-clock,4365842,100.00,0.209,CPUs "
                                          "utilized\n", &r), 0);
    ck_assert(r.time == -1 && r.value == 4.37);
    ck_assert_str_eq(r.event, "task-clock");
    ck_assert(r.pcnt_running == 100.0);
    ck_assert_int_eq(scope__perf_csv_line("  2.002,12,,cpu/event=0x3c,umask=0x0,any=1/,100,"
                                          "50.00,,", &r), 0);
    ck_assert(r.time == 2.002 && r.value == 12 && r.pcnt_running == 50.0);
    ck_assert_str_eq(r.event, "cpu/event=0x3c,umask=0x0,any=1/");
    ck_assert_int_eq(scope__perf_csv_line("74,,page-faults,4365842,100.00", &r), 0);
    ck_assert_str_eq(r.event, "page-faults");
    ck_assert_int_eq(scope__perf_csv_line("1.0,<not supported>,,cycles,0,100.00,,", &r), 0);
    ck_assert(r.not_counted);
    ck_assert_str_eq(r.event, "cycles");
    /* the real layouts of perf 6.1 (tests/fixtures/topdown/perf_per_*.csv) */
    ck_assert_int_eq(scope__perf_csv_line("     0.401143376,worker_0-2660,19.17,msec,task-clock,"
                                          "19169173,100.00,0.048,CPUs utilized\n", &r), 0);
    ck_assert(r.time == 0.401143376 && r.value == 19.17 && r.pcnt_running == 100.0);
    ck_assert_str_eq(r.row, "worker_0-2660");
    ck_assert(r.row_kind == SCOPE_TOPDOWN_ROW_THREAD && r.row_id == 2660);
    ck_assert_str_eq(r.event, "task-clock");
    ck_assert_int_eq(scope__perf_csv_line("python3-2646,<not counted>,msec,task-clock,0,100.00,,",
                                          &r), 0);
    ck_assert(r.not_counted && r.time == -1 && r.row_id == 2646);
    ck_assert_int_eq(scope__perf_csv_line("     0.506964055,CPU1,510.82,msec,task-clock,510814707,"
                                          "100.00,1.022,CPUs utilized", &r), 0);
    ck_assert(r.time == 0.506964055 && r.row_kind == SCOPE_TOPDOWN_ROW_CPU && r.row_id == 1);
    ck_assert_int_eq(scope__perf_csv_line("CPU0,261,,context-switches,572922301,100.00,455.557,"
                                          "/sec", &r), 0);
    ck_assert(r.time == -1 && r.value == 261 && r.row_id == 0);
    ck_assert_str_eq(r.event, "context-switches");
    /* a comm with dashes, an event with commas */
    ck_assert_int_eq(scope__perf_csv_line("1.5,kworker/0:1-ev-77,12,,cpu/event=0x3c,umask=0x0/,100,"
                                          "50.00,,", &r), 0);
    ck_assert_str_eq(r.row, "kworker/0:1-ev-77");
    ck_assert(r.row_id == 77 && r.time == 1.5 && r.value == 12);
    ck_assert_str_eq(r.event, "cpu/event=0x3c,umask=0x0/");
    /* --per-socket / --per-core rows are not read */
    ck_assert_int_eq(scope__perf_csv_line("S0,2,4.37,msec,task-clock,4365842,100.00", &r), -1);
    ck_assert_int_eq(scope__perf_csv_line("S0-D0-C1,2,4.37,msec,task-clock,4365842,100.00", &r),
                     -1);
    ck_assert_int_eq(scope__perf_csv_line("# comment", &r), 1);
    ck_assert_int_eq(scope__perf_csv_line("\n", &r), 1);
    ck_assert_int_eq(scope__perf_csv_line("garbage", &r), -1);
    ck_assert_int_eq(scope__perf_csv_line("x,y,z", &r), -1);
    /* mutated lines never crash the parser */
    const char *seed = "  2.002,12,,cpu/event=0x3c,umask=0x0,any=1/,100,50.00,,";
    char buf[128];
    unsigned x = 7;
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "%s", seed);
        size_t n = strlen(buf);
        for (int m = 0; m < 1 + i % 5; m++) {
            x = x * 1103515245u + 12345u;
            buf[(x >> 8) % n] = ",.<>0a \n-"[(x >> 16) % 10];
        }
        (void)scope__perf_csv_line(buf, &r);
        ck_assert(strlen(r.event) < sizeof r.event);
        ck_assert(strlen(r.row) < sizeof r.row);
    }
}
END_TEST

START_TEST(detection)
{
    const char *r, *near;
    const char *vm = fx("sysfs/vm");
    char vmroot[1024];
    snprintf(vmroot, sizeof vmroot, "%s", vm);
    static const struct {
        const char *cpuid, *want;
    } known[] = {
        {"GenuineIntel-6-4E", "skylake"},  {"GenuineIntel-6-9E", "skylake"},
        {"GenuineIntel-6-55", "skylakex"}, {"GenuineIntel-6-7E", "icelake"},
        {"GenuineIntel-6-8C", "icelake"},  {"GenuineIntel-6-6A", "icelakex"},
        {"GenuineIntel-6-8F", "sapphirerapids"}, {"GenuineIntel-6-CF", "sapphirerapids"},
        {"GenuineIntel-6-97", "alderlake"}, {"GenuineIntel-6-B7", "alderlake"},
        {"AuthenticAMD-25-11", "amdzen4"}, {"AuthenticAMD-25-61", "amdzen4"},
        {"AuthenticAMD-26-2", "amdzen5"},  {"AuthenticAMD-26-11-0", "amdzen5"},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        ck_assert_int_eq(scope_topdown_detect(&r, &near, known[i].cpuid, vmroot), 0);
        ck_assert_msg(!strcmp(r, known[i].want), "%s -> %s", known[i].cpuid, r);
    }
    /* Zen 3: no official level 1; nearest Zen 4 */
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "AuthenticAMD-25-1", vmroot), SCOPE_ENOTSUP);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(near, "amdzen4");
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "nearest is 'amdzen4'"));
    /* Haswell-EP: unknown, nearest skylake */
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "GenuineIntel-6-3F", vmroot), SCOPE_ENOTSUP);
    ck_assert_str_eq(near, "skylake");
    /* an unknown Intel model: sysfs probes pick the nearest shape */
    char root[1024];
    snprintf(root, sizeof root, "%s", fx("sysfs/sapphirerapids"));
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "GenuineIntel-6-AD", root), SCOPE_ENOTSUP);
    ck_assert_str_eq(near, "sapphirerapids");
    snprintf(root, sizeof root, "%s", fx("sysfs/icelake"));
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "GenuineIntel-6-AD", root), SCOPE_ENOTSUP);
    ck_assert_str_eq(near, "icelake");
    snprintf(root, sizeof root, "%s", fx("sysfs/alderlake"));
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "GenuineIntel-6-AA", root), SCOPE_ENOTSUP);
    ck_assert_str_eq(near, "alderlake");
    ck_assert_int_eq(scope_topdown_detect(&r, &near, "Intel", vmroot), SCOPE_EINVAL);
    /* new() with the cpuid override, and an unknown recipe name */
    scope_topdown_opts o = SCOPE_TOPDOWN_OPTS_INIT;
    o.cpuid = "AuthenticAMD-26-2";
    o.sysfs_root = vmroot;
    scope_topdown *td;
    ck_assert_int_eq(scope_topdown_new(&td, &o), 0);
    ck_assert_str_eq(scope_topdown_recipe(td), "amdzen5");
    scope_topdown_free(td);
    o.cpuid = NULL;
    o.cpu = "haswell";
    ck_assert_int_eq(scope_topdown_new(&td, &o), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "sapphirerapids"));
}
END_TEST

volatile double topdown_sink;

START_TEST(collector_plumbing)
{
    /* This machine has no core PMU, so the recipe's own events cannot be
     * opened. The plumbing (per-interval deltas, slots, labels, node list)
     * is checked with a stand-in set of the same size: six task-clock
     * events in one group read the same value v, so for amdzen4 slots =
     * 6v and Frontend_Bound = Backend_Bound = SMT_Contention = Retiring =
     * v/6v = 1/6, Bad_Speculation = (v - v)/6v = 0. */
    scope_topdown *td = make("amdzen4", 1, 0, NULL);
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "{task-clock,task-clock,task-clock,task-clock,task-clock,"
                                       "task-clock}", NULL), 0);
    scope_collector *c;
    scope_pmu *wrong;
    ck_assert_int_eq(scope_pmu_new(&wrong, "task-clock", NULL), 0);
    ck_assert_int_eq(scope_topdown_collector_new(&c, td, wrong), SCOPE_EINVAL);
    scope_pmu_free(wrong);
    ck_assert_int_eq(scope_topdown_collector_new(&c, td, p), 0);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    for (int k = 0; k < 2; k++) {
        double x = 0;
        for (int i = 0; i < 2000000; i++)
            x += i * 0.5;
        topdown_sink = x;
        ck_assert_int_eq(scope_collector_sample(c, set), 0);
    }
    int nodes = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        ck_assert_str_eq(scope_series_name(s), "topdown_fraction");
        ck_assert_str_eq(scope_series_label(s, "recipe"), "amdzen4");
        ck_assert_str_eq(scope_series_label(s, "target"), "self");
        const char *node = scope_series_label(s, "node");
        ck_assert_uint_eq(scope_series_count(s), 2);
        double want = !strcmp(node, "Bad_Speculation") ? 0.0 : 1.0 / 6.0;
        for (int k = 0; k < 2; k++)
            ck_assert_msg(fabs(scope_series_values(s)[k] - want) < 2e-3, "%s[%d] = %f", node, k,
                          scope_series_values(s)[k]);
        nodes++;
    }
    ck_assert_int_eq(nodes, 5);
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topdown");
    TCase *tc = tcase_create("topdown");
    tcase_add_test(tc, encodings);
    tcase_add_test(tc, groups_and_events_string);
    tcase_add_test(tc, skylake_l1_smt_and_multiplexed);
    tcase_add_test(tc, skylake_l2_no_smt);
    tcase_add_test(tc, icelake_l1_and_reset_on_read);
    tcase_add_test(tc, icelake_l2);
    tcase_add_test(tc, sapphirerapids_l2);
    tcase_add_test(tc, alderlake_both_core_types);
    tcase_add_test(tc, amd_zen4_l2_and_zen5_width);
    tcase_add_test(tc, replay_perf_csv);
    tcase_add_test(tc, replay_per_thread_and_per_cpu);
    tcase_add_test(tc, csv_lines);
    tcase_add_test(tc, detection);
    tcase_add_test(tc, collector_plumbing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
