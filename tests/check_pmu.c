/* Event-spec parsing, sysfs PMU formats/aliases and error explanations,
 * against the fixture trees in tests/fixtures/sysfs (see make_fixtures.sh).
 * Expected encodings are the values in shared/reference/pmu.md. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/pmu_internal.h"
#include "pmu/pmu_priv.h"

static char root_buf[1024];

static const char *fx(const char *machine)
{
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_msg(base != NULL, "SCOPE_FIXTURES is not set (run through ctest)");
    snprintf(root_buf, sizeof root_buf, "%s/sysfs/%s", base, machine);
    return root_buf;
}

/* Parses @text on fixture @machine; checks type and config. */
static void enc(const char *machine, const char *text, uint32_t type, uint64_t config)
{
    struct scope__evspec e;
    int rc = scope__event_parse(&e, text, fx(machine), 0);
    ck_assert_msg(rc == 0, "%s on %s: %s", text, machine, scope_error_message());
    ck_assert_msg(e.attr.type == type, "%s on %s: type %u, want %u", text, machine, e.attr.type,
                  type);
    ck_assert_msg(e.attr.config == config, "%s on %s: config 0x%llx, want 0x%llx", text, machine,
                  (unsigned long long)e.attr.config, (unsigned long long)config);
    scope__evspec_free(&e);
}

START_TEST(format_parse)
{
    struct scope__pmu_format f;
    ck_assert_int_eq(scope__pmu_format_parse("config:0-7,32-35", &f), 0);
    ck_assert_int_eq(f.field, 0);
    ck_assert_int_eq(f.nranges, 2);
    ck_assert_int_eq(f.lo[1], 32);
    ck_assert_int_eq(f.hi[1], 35);
    ck_assert_uint_eq(scope__pmu_format_bits(&f), 12);
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    /* 0x1a0: low 8 bits 0xa0 -> bits 0-7, the next bits (0x1) -> bits 32-35 */
    ck_assert_int_eq(scope__pmu_format_put(&f, 0x1a0, &a), 0);
    ck_assert_uint_eq(a.config, 0x1000000a0ULL);
    ck_assert_int_eq(scope__pmu_format_put(&f, 0x1000, &a), SCOPE_EINVAL); /* 13 bits */
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "does not fit"));

    ck_assert_int_eq(scope__pmu_format_parse("config1:0-63\n", &f), 0);
    ck_assert_int_eq(f.field, 1);
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(scope__pmu_format_put(&f, ~0ULL, &a), 0);
    ck_assert_uint_eq(a.config1, ~0ULL);
    ck_assert_int_eq(scope__pmu_format_parse("config:21", &f), 0);
    memset(&a, 0, sizeof a);
    a.config = 0x3c;
    ck_assert_int_eq(scope__pmu_format_put(&f, 1, &a), 0);
    ck_assert_uint_eq(a.config, 0x20003c);
    ck_assert_int_eq(scope__pmu_format_put(&f, 2, &a), SCOPE_EINVAL);
    /* umask = config:8-15,24-27 (AMD DF PerfMonV2): 0x7fe -> 0xfe<<8 | 0x7<<24 */
    ck_assert_int_eq(scope__pmu_format_parse("config:8-15,24-27", &f), 0);
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(scope__pmu_format_put(&f, 0x7fe, &a), 0);
    ck_assert_uint_eq(a.config, 0x0700fe00ULL);

    const char *bad[] = {"config:", "foo:1", "config:7-3", "config:0-64", "config:1,", "config4:1",
                         "config:1 2", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(scope__pmu_format_parse(bad[i], &f) == SCOPE_EPARSE, "'%s' accepted",
                      bad[i]);
}
END_TEST

START_TEST(load_fixture)
{
    scope__pmu_info *p;
    ck_assert_int_eq(scope__pmu_load(&p, fx("skylake"), "cpu"), 0);
    ck_assert_uint_eq(p->type, 4);
    ck_assert_ptr_nonnull(scope__pmu_find_format(p, "any"));
    const struct scope__pmu_alias *a = scope__pmu_find_alias(p, "topdown-total-slots");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->terms, "event=0x3c,umask=0x0,any=1");
    ck_assert(a->scale == 2.0);
    ck_assert_ptr_null(scope__pmu_find_alias(p, "topdown-total-slots.scale"));
    scope__pmu_info_free(p);

    ck_assert_int_eq(scope__pmu_load(&p, fx("skylakex"), "uncore_imc_1"), 0);
    ck_assert_uint_eq(p->type, 14);
    ck_assert_str_eq(p->cpumask, "0,28");
    a = scope__pmu_find_alias(p, "cas_count_write");
    ck_assert(fabs(a->scale - 6.103515625e-5) < 1e-15);
    ck_assert_str_eq(a->unit, "MiB");
    scope__pmu_info_free(p);

    ck_assert_int_eq(scope__pmu_load(&p, fx("vm"), "cpu"), SCOPE_ENOENT);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "PMU 'cpu' does not exist"));
    ck_assert_ptr_nonnull(strstr(m, "msr"));
    ck_assert_ptr_nonnull(strstr(m, "no core PMU"));
    ck_assert_int_eq(scope__pmu_load(&p, fx("vm"), "../x"), SCOPE_EINVAL);

    char **names;
    int n = scope__pmu_list(fx("alderlake"), &names);
    ck_assert_int_eq(n, 6);
    ck_assert_str_eq(names[0], "breakpoint");
    ck_assert_str_eq(names[1], "cpu_atom");
    scope__strv_free(names, (size_t)n);
    ck_assert_str_eq(scope__pmu_core_name(fx("alderlake")), "cpu_core");
    ck_assert_ptr_null(scope__pmu_core_name(fx("vm")));
}
END_TEST

START_TEST(generic_and_software)
{
    enc("vm", "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    enc("vm", "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
    enc("vm", "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES);
    enc("vm", "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES);
    enc("vm", "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
    enc("vm", "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES);
    enc("vm", "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
    enc("vm", "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS);
    /* cache id | op << 8 | result << 16 */
    enc("vm", "L1-dcache-load-misses", PERF_TYPE_HW_CACHE, 0x10000);
    enc("vm", "LLC-loads", PERF_TYPE_HW_CACHE, 0x2);
    enc("vm", "dTLB-store-misses", PERF_TYPE_HW_CACHE, 0x10103);
    enc("vm", "r01c2", PERF_TYPE_RAW, 0x1c2);
    enc("vm", "r20003c:u", PERF_TYPE_RAW, 0x20003c);

    struct scope__evspec e;
    ck_assert_int_eq(scope__event_parse(&e, "cycles:u", fx("vm"), 0), 0);
    ck_assert(!e.attr.exclude_user && e.attr.exclude_kernel && e.attr.exclude_hv);
    ck_assert(e.hardware);
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "task-clock:k", fx("vm"), 0), 0);
    ck_assert(e.attr.exclude_user && !e.attr.exclude_kernel && e.attr.exclude_hv);
    ck_assert(!e.hardware);
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "instructions:uk", fx("vm"), 0), 0);
    ck_assert(!e.attr.exclude_user && !e.attr.exclude_kernel && e.attr.exclude_hv);
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "instructions", fx("vm"), 0), 0);
    ck_assert(!e.attr.exclude_user && !e.attr.exclude_kernel && !e.attr.exclude_hv);
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "msr/tsc/", fx("vm"), 0), 0);
    ck_assert_uint_eq(e.attr.type, 9);
    ck_assert(e.hardware);
    scope__evspec_free(&e);
}
END_TEST

START_TEST(sysfs_terms_and_aliases)
{
    /* Intel pre-Icelake (pmu.md 3.1) */
    enc("skylake", "cpu/event=0x3c,umask=0x0,any=1/", 4, 0x20003c);
    enc("skylake", "cpu/topdown-total-slots/", 4, 0x20003c);
    enc("skylake", "topdown-total-slots", 4, 0x20003c);
    enc("skylake", "cpu/event=0xe,umask=0x1/", 4, 0x10e);
    enc("skylake", "cpu/event=0x9c,umask=0x1,cmask=4/", 4, 0x400019c);
    enc("skylake", "cpu/event=0xc3,umask=0x1,edge=1,cmask=1/", 4, 0x10401c3);
    enc("skylake", "cpu/event=0xa3,umask=0x14,cmask=20/", 4, 0x140014a3);
    enc("skylake", "topdown-recovery-bubbles", 4, 0x120030d);
    /* Icelake+ perf-metrics pseudo events (pmu.md 3.2) */
    enc("icelake", "slots", 4, 0x400);
    enc("icelake", "cpu/topdown-retiring/", 4, 0x8000);
    enc("icelake", "topdown-bad-spec", 4, 0x8100);
    enc("icelake", "topdown-fe-bound", 4, 0x8200);
    enc("icelake", "topdown-be-bound", 4, 0x8300);
    enc("sapphirerapids", "topdown-heavy-ops", 4, 0x8400);
    enc("sapphirerapids", "topdown-br-mispredict", 4, 0x8500);
    enc("sapphirerapids", "topdown-fetch-lat", 4, 0x8600);
    enc("sapphirerapids", "topdown-mem-bound", 4, 0x8700);
    enc("sapphirerapids", "cpu/event=0xa4,umask=0x2/", 4, 0x2a4);
    /* hybrid: bare names go to the core PMU first */
    enc("alderlake", "topdown-retiring", 4, 0x8000);
    enc("alderlake", "cpu_atom/topdown-retiring/", 10, 0xc2);
    enc("alderlake", "cpu_atom/topdown-fe-bound/", 10, 0x71);
    enc("alderlake", "cpu_atom/topdown-be-bound/", 10, 0x74);
    /* AMD: event bits 11:8 go to config 35:32 (pmu.md 3.4) */
    enc("amdzen4", "cpu/event=0x1a0,umask=0x1/", 4, 0x1000001a0ULL);
    enc("amdzen4", "cpu/event=0x1a0,umask=0x1e/", 4, 0x100001ea0ULL);
    enc("amdzen4", "cpu/event=0x1a0,umask=0x60/", 4, 0x1000060a0ULL);
    enc("amdzen4", "cpu/event=0x1a0,umask=0x1,cmask=6/", 4, 0x1060001a0ULL);
    enc("amdzen4", "cpu/event=0xaa,umask=0x7/", 4, 0x7aa);
    enc("amdzen4", "cpu/event=0x1c2/", 4, 0x1000000c2ULL);
    enc("amdzen4", "cpu/event=0xd6,umask=0xa2/", 4, 0xa2d6);
    /* amd_df event = config:0-7,32-37, umask = config:8-15,24-27 */
    enc("amdzen4", "amd_df/event=0x11f,umask=0x7fe/", 11, 0x10700fe1fULL);
    enc("amdzen5", "amd_umc_0/umc_cas_cmd.rd/", 12, 0x10a);
    enc("amdzen5", "amd_umc_0/event=0x0a,rdwrmask=2/", 12, 0x20a);
    /* uncore IMC with .scale / .unit (pmu.md 4.1) */
    struct scope__evspec e;
    ck_assert_int_eq(scope__event_parse(&e, "uncore_imc_0/cas_count_read/", fx("skylakex"), 0), 0);
    ck_assert_uint_eq(e.attr.type, 13);
    ck_assert_uint_eq(e.attr.config, 0x304);
    ck_assert(fabs(e.scale - 6.103515625e-5) < 1e-15);
    ck_assert_str_eq(e.unit, "MiB");
    ck_assert_str_eq(e.pmu, "uncore_imc_0");
    scope__evspec_free(&e);
    enc("icelakex", "uncore_imc_1/cas_count_read/", 15, 0xf04);
    enc("icelakex", "uncore_imc_0/cas_count_write/", 14, 0x3004);
    enc("skylakex", "uncore_imc_0/event=0x04,umask=0x0c/", 13, 0xc04);
    /* config terms and modifiers after the closing slash */
    enc("skylake", "cpu/config=0x1234/", 4, 0x1234);
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x3c/u", fx("skylake"), 0), 0);
    ck_assert(e.attr.exclude_kernel && !e.attr.exclude_user);
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x3c,config1=7/:k", fx("skylake"), 0), 0);
    ck_assert(!e.attr.exclude_kernel && e.attr.exclude_user);
    ck_assert_uint_eq(e.attr.config1, 7);
    scope__evspec_free(&e);
}
END_TEST

START_TEST(spec_errors)
{
    struct scope__evspec e;
    ck_assert_int_eq(scope__event_parse(&e, "no-such-event", fx("vm"), SCOPE__EV_NO_LIBPFM),
                     SCOPE_ENOENT);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "'no-such-event' is unknown"));
    ck_assert_ptr_nonnull(strstr(m, "raw rNNNN"));
    ck_assert_ptr_nonnull(strstr(m, "libpfm4"));
    ck_assert_ptr_nonnull(strstr(m, "task-clock"));
    ck_assert_ptr_nonnull(strstr(m, "msr"));
    ck_assert_ptr_nonnull(strstr(m, "no core PMU"));

    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x3c/", fx("vm"), 0), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "PMU 'cpu' does not exist"));
    ck_assert_int_eq(scope__event_parse(&e, "cpu/foo=1/", fx("skylake"), 0), SCOPE_ENOENT);
    m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "term 'foo' is unknown"));
    ck_assert_ptr_nonnull(strstr(m, "umask"));
    ck_assert_ptr_nonnull(strstr(m, "topdown-total-slots"));
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x100/", fx("skylake"), 0), SCOPE_EINVAL);
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=zz/", fx("skylake"), 0), SCOPE_EINVAL);
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x3c", fx("skylake"), 0), SCOPE_EPARSE);
    ck_assert_int_eq(scope__event_parse(&e, "cpu/event=0x3c/q", fx("skylake"), 0), SCOPE_EINVAL);
    ck_assert_int_eq(scope__event_parse(&e, "  ", fx("vm"), 0), SCOPE_EINVAL);
}
END_TEST

START_TEST(lists_and_groups)
{
    struct scope__evlist l;
    ck_assert_int_eq(scope__evlist_parse(&l, "{task-clock,cs}:u,page-faults, {cpu-migrations}",
                                         fx("vm"), 0), 0);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_int_eq(l.ngroups, 3);
    ck_assert_int_eq(l.ev[0].group, 0);
    ck_assert_int_eq(l.ev[1].group, 0);
    ck_assert_int_eq(l.ev[2].group, 1);
    ck_assert_int_eq(l.ev[3].group, 2);
    ck_assert(l.ev[0].explicit_group && !l.ev[2].explicit_group && l.ev[3].explicit_group);
    ck_assert(l.ev[0].attr.exclude_kernel && l.ev[1].attr.exclude_kernel);
    ck_assert(!l.ev[2].attr.exclude_kernel);
    ck_assert_str_eq(l.ev[1].name, "cs");
    scope__evlist_free(&l);

    /* commas inside pmu/.../ belong to the event */
    ck_assert_int_eq(scope__evlist_parse(&l, "{cpu/event=0x3c,umask=0x0,any=1/,cpu/event=0xe,"
                                             "umask=0x1/},instructions:u",
                                         fx("skylake"), 0), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_uint_eq(l.ev[0].attr.config, 0x20003c);
    ck_assert_uint_eq(l.ev[1].attr.config, 0x10e);
    ck_assert_int_eq(l.ev[2].group, 1);
    scope__evlist_free(&l);

    const char *bad[] = {"{task-clock,cs", "task-clock}", "{}", "{task-clock}:z", "", ",,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(scope__evlist_parse(&l, bad[i], fx("vm"), 0) < 0, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(layout_packing_and_split)
{
    scope_pmu_opts o = SCOPE_PMU_OPTS_INIT;
    char root[1024];
    snprintf(root, sizeof root, "%s", fx("vm"));
    o.sysfs_root = root;
    scope_pmu *p;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock,cs,faults,{cpu-migrations,minor-faults},"
                                       "major-faults", &o), 0);
    /* ungrouped neighbours share a group; the braces stay one group */
    ck_assert_uint_eq(scope_pmu_group_count(p), 3);
    ck_assert_int_eq(scope_pmu_event_group(p, 0), 0);
    ck_assert_int_eq(scope_pmu_event_group(p, 2), 0);
    ck_assert_int_eq(scope_pmu_event_group(p, 3), 1);
    ck_assert_int_eq(scope_pmu_event_group(p, 4), 1);
    ck_assert_int_eq(scope_pmu_event_group(p, 5), 2);
    scope_pmu_free(p);
    o.max_group_events = 2;
    ck_assert_int_eq(scope_pmu_new(&p, "task-clock,cs,faults,{cpu-migrations,minor-faults}", &o),
                     0);
    ck_assert_uint_eq(scope_pmu_group_count(p), 3);
    ck_assert_int_eq(scope_pmu_event_group(p, 2), 1);
    scope_pmu_free(p);
}
END_TEST

START_TEST(hybrid_and_pmu_boundaries)
{
    scope_pmu_opts o = SCOPE_PMU_OPTS_INIT;
    char root[1024];
    snprintf(root, sizeof root, "%s", fx("alderlake"));
    o.sysfs_root = root;
    scope_pmu *p;
    /* generic events count on both core types (extended type in config
     * 63:32: cpu_core is type 4, cpu_atom type 10 in the fixture); the
     * ungrouped run lists cpu_core first, and the packing starts a new
     * group where the PMU changes */
    ck_assert_int_eq(scope_pmu_new(&p, "cycles,instructions:u,task-clock", &o), 0);
    ck_assert_uint_eq(scope_pmu_event_count(p), 5);
    static const struct {
        const char *name;
        uint64_t config;
        int group;
    } want[] = {{"cpu_core/cycles/", 0x400000000ULL, 0},
                {"cpu_core/instructions/u", 0x400000001ULL, 0},
                {"task-clock", PERF_COUNT_SW_TASK_CLOCK, 0},
                {"cpu_atom/cycles/", 0xa00000000ULL, 1},
                {"cpu_atom/instructions/u", 0xa00000001ULL, 1}};
    for (size_t i = 0; i < 5; i++) {
        uint64_t cfg;
        ck_assert_str_eq(scope_pmu_event_name(p, i), want[i].name);
        ck_assert_int_eq(scope_pmu_event_attr(p, i, NULL, &cfg, NULL, NULL), 0);
        ck_assert_uint_eq(cfg, want[i].config);
        ck_assert_int_eq(scope_pmu_event_group(p, i), want[i].group);
    }
    ck_assert_uint_eq(scope_pmu_group_count(p), 2);
    ck_assert(p->ev.ev[4].attr.exclude_kernel && !p->ev.ev[3].attr.exclude_kernel);
    scope_pmu_free(p);
    /* a group becomes one group per core type */
    ck_assert_int_eq(scope_pmu_new(&p, "{cycles,branch-misses}:u,cpu_atom/topdown-fe-bound/", &o),
                     0);
    ck_assert_uint_eq(scope_pmu_event_count(p), 5);
    ck_assert_uint_eq(scope_pmu_group_count(p), 3);
    ck_assert_int_eq(scope_pmu_event_group(p, 1), 0);
    ck_assert_str_eq(scope_pmu_event_name(p, 2), "cpu_atom/cycles/");
    ck_assert(p->ev.ev[2].attr.exclude_kernel); /* the group's :u */
    ck_assert_int_eq(scope_pmu_event_group(p, 2), 1);
    ck_assert_int_eq(scope_pmu_event_group(p, 3), 1);
    ck_assert_int_eq(scope_pmu_event_group(p, 4), 2);
    scope_pmu_free(p);
    /* different uncore PMUs never share a packed group */
    snprintf(root, sizeof root, "%s", fx("skylakex"));
    ck_assert_int_eq(scope_pmu_new(&p, "uncore_imc_0/cas_count_read/,uncore_imc_0/cas_count_write/,"
                                       "uncore_imc_1/cas_count_read/", &o), 0);
    ck_assert_uint_eq(scope_pmu_group_count(p), 2);
    ck_assert_int_eq(scope_pmu_event_group(p, 1), 0);
    ck_assert_int_eq(scope_pmu_event_group(p, 2), 1);
    scope_pmu_free(p);
    /* not hybrid: unchanged */
    snprintf(root, sizeof root, "%s", fx("skylake"));
    ck_assert_int_eq(scope_pmu_new(&p, "cycles", &o), 0);
    ck_assert_uint_eq(scope_pmu_event_count(p), 1);
    scope_pmu_free(p);
}
END_TEST

START_TEST(cpulist)
{
    int *v;
    size_t n;
    ck_assert_int_eq(scope__cpulist_parse("0-3,8,10-11\n", &v, &n), 0);
    ck_assert_uint_eq(n, 7);
    ck_assert_int_eq(v[4], 8);
    ck_assert_int_eq(v[6], 11);
    free(v);
    ck_assert_int_eq(scope__cpulist_parse("3-1", &v, &n), SCOPE_EINVAL);
    ck_assert_int_eq(scope__cpulist_parse("a", &v, &n), SCOPE_EINVAL);
}
END_TEST

START_TEST(open_errors_explain)
{
    const char *vm = fx("vm");
    ck_assert_int_eq(scope__pmu_open_error(ENOENT, "cycles", 1, "pid 1", vm, 0, 4), SCOPE_ENODEV);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "no core PMU"));
    ck_assert_ptr_nonnull(strstr(m, "breakpoint msr software tracepoint uprobe"));
    ck_assert_int_eq(scope__pmu_open_error(ENOENT, "cpu/event=1/", 1, "pid 1", fx("skylake"), 0,
                                           4), SCOPE_ENOTSUP);
    ck_assert_int_eq(scope__pmu_open_error(EACCES, "cycles", 1, "cpu 0", vm, 1, 4), SCOPE_EPERM);
    m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "perf_event_paranoid is"));
    ck_assert_ptr_nonnull(strstr(m, "kernel.perf_event_paranoid=0"));
    ck_assert_int_eq(scope__pmu_open_error(EMFILE, "cs", 0, "tid 9", vm, 0, 4096), SCOPE_ELIMIT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "needs 4096"));
    ck_assert_int_eq(scope__pmu_open_error(ESRCH, "cs", 0, "pid 9", vm, 0, 4), SCOPE_EGONE);
    ck_assert_int_eq(scope__pmu_open_error(EBUSY, "cycles", 1, "pid 9", vm, 0, 4), SCOPE_ELIMIT);
    m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "counters are taken"));
    ck_assert_ptr_nonnull(strstr(m, "NMI watchdog"));
}
END_TEST

START_TEST(libpfm_names)
{
    if (!scope__pfm_available())
        return; /* built without libpfm4: nothing to check */
    /* pmu.md 2.4: values libpfm4 4.13 gives with LIBPFM_ENCODE_INACTIVE=1 */
    enc("vm", "skl::UOPS_ISSUED:ANY", 4, 0x10e);
    enc("vm", "skl::IDQ_UOPS_NOT_DELIVERED:CORE", 4, 0x19c);
    enc("vm", "skl::INT_MISC:RECOVERY_CYCLES", 4, 0x10d);
    enc("vm", "icl::TOPDOWN:SLOTS", 4, 0x400);
    enc("vm", "amd64_fam19h_zen4::RETIRED_OPS", 4, 0xc1);
    enc("vm", "amd64_fam19h_zen4::DISPATCH_STALLS_1:FE_NO_OPS", 4, 0x1000001a0ULL);
    enc("vm", "amd64_fam19h_zen4::DISPATCH_STALLS_1:FE_NO_OPS:c=6", 4, 0x1060001a0ULL);
    struct scope__evspec e;
    ck_assert_int_eq(scope__event_parse(&e, "skl::UOPS_ISSUED:ANY:u", fx("vm"), 0), 0);
    ck_assert(e.attr.exclude_kernel);
    ck_assert_str_eq(e.pmu, "libpfm4");
    scope__evspec_free(&e);
    ck_assert_int_eq(scope__event_parse(&e, "skl::NO_SUCH_EVENT", fx("vm"), 0), SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "libpfm4: "));
}
END_TEST

/* Random and mutated inputs must never crash the parsers (ASan/UBSan run
 * this too); a bounded, seeded loop. */
START_TEST(parsers_survive_garbage)
{
    static const char *const seeds[] = {
        "config:0-7,32-35", "cpu/event=0x3c,umask=0x0,any=1/u", "{task-clock,cs}:u,faults",
        "r20003c:uk", "uncore_imc_0/cas_count_read/", "skl::UOPS_ISSUED:ANY:u",
        "amd_df/event=0x11f,umask=0x7fe/"};
    static const char alphabet[] = "{}/,:=-0123456789abcdefxrukhGHDpconfigeventumask_ \n";
    unsigned x = 12345;
    char buf[96];
    const char *root = fx("amdzen4");
    for (int iter = 0; iter < 3000; iter++) {
        const char *seed = seeds[iter % (sizeof seeds / sizeof *seeds)];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        int muts = 1 + iter % 4;
        for (int m = 0; m < muts; m++) {
            x = x * 1103515245u + 12345u;
            size_t pos = (x >> 8) % (n + 1);
            x = x * 1103515245u + 12345u;
            char ch = alphabet[(x >> 8) % (sizeof alphabet - 1)];
            if ((x >> 20) % 3 == 0 && n + 1 < sizeof buf) { /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos + 1);
                buf[pos] = ch;
                n++;
            } else if ((x >> 20) % 3 == 1 && n > 0 && pos < n) { /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos);
                n--;
            } else if (pos < n) {
                buf[pos] = ch;
            }
        }
        struct scope__pmu_format f;
        (void)scope__pmu_format_parse(buf, &f);
        struct scope__evlist l;
        if (scope__evlist_parse(&l, buf, root, SCOPE__EV_NO_LIBPFM) == 0) {
            ck_assert_uint_gt(l.n, 0);
            scope__evlist_free(&l);
        }
    }
}
END_TEST

int main(void)
{
    /* Must precede libpfm4's one-time initialisation. */
    setenv("LIBPFM_ENCODE_INACTIVE", "1", 1);
    Suite *s = suite_create("pmu");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, format_parse);
    tcase_add_test(tc, load_fixture);
    tcase_add_test(tc, generic_and_software);
    tcase_add_test(tc, sysfs_terms_and_aliases);
    tcase_add_test(tc, spec_errors);
    tcase_add_test(tc, lists_and_groups);
    tcase_add_test(tc, layout_packing_and_split);
    tcase_add_test(tc, hybrid_and_pmu_boundaries);
    tcase_add_test(tc, cpulist);
    tcase_add_test(tc, open_errors_explain);
    tcase_add_test(tc, libpfm_names);
    tcase_add_test(tc, parsers_survive_garbage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
