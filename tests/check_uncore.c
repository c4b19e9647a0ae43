/* Uncore discovery, bandwidth plans and bandwidth arithmetic against the
 * fixture sysfs trees in tests/fixtures/uncore (see make_fixtures.sh).
 *
 * Expected encodings are derived by hand from the kernel's event strings and
 * format files (comments give each derivation): a format "config:A-B" puts
 * the value's low bits in A..B; a split format "config:0-7,32-35" puts the
 * low 8 bits in 0-7 and the next 4 in 32-35. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "uncore/uncore_priv.h"

static char root_buf[1024];

static const char *fx(const char *machine)
{
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_msg(base != NULL, "SCOPE_FIXTURES is not set (run through ctest)");
    snprintf(root_buf, sizeof root_buf, "%s/uncore/%s", base, machine);
    return root_buf;
}

static scope_uncore_plan *plan(const char *machine, int prefer_cas)
{
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = fx(machine);
    o.prefer_cas = prefer_cas;
    scope_uncore_plan *p = NULL;
    int rc = scope_uncore_plan_new(&p, &o);
    ck_assert_msg(rc == 0, "%s: %s", machine, scope_error_message());
    return p;
}

/* Finds the counter of (socket, channel, dir); -1 when absent. When several
 * match (GNR sub-channels) the first. */
static long find(const scope_uncore_plan *p, int socket, int channel, int dir)
{
    for (size_t i = 0; i < scope_uncore_plan_counter_count(p); i++) {
        int s, ch, d;
        scope_uncore_plan_counter(p, i, NULL, NULL, NULL, &s, &ch, &d);
        if (s == socket && ch == channel && d == dir)
            return (long)i;
    }
    return -1;
}

/* Checks counter (socket, channel, dir) against the hand-derived values. */
static void expect(const scope_uncore_plan *p, int socket, int channel, int dir, const char *pmu,
                   int cpu, uint32_t type, uint64_t config, uint64_t config1, double bpc)
{
    long i = find(p, socket, channel, dir);
    ck_assert_msg(i >= 0, "no counter for socket %d channel %d %s", socket, channel,
                  scope_uncore_dir_name(dir));
    const char *gpmu, *ev;
    int gcpu;
    ck_assert_int_eq(scope_uncore_plan_counter(p, (size_t)i, &gpmu, &ev, &gcpu, NULL, NULL, NULL),
                     0);
    uint32_t t;
    uint64_t c, c1;
    double bytes;
    ck_assert_int_eq(scope_uncore_plan_encoding(p, (size_t)i, &t, &c, &c1, NULL, NULL, &bytes,
                                                NULL),
                     0);
    ck_assert_msg(!strcmp(gpmu, pmu), "socket %d ch %d: pmu %s, want %s", socket, channel, gpmu,
                  pmu);
    ck_assert_int_eq(gcpu, cpu);
    ck_assert_uint_eq(t, type);
    ck_assert_msg(c == config, "%s %s: config 0x%llx, want 0x%llx", pmu, ev,
                  (unsigned long long)c, (unsigned long long)config);
    ck_assert_uint_eq(c1, config1);
    ck_assert_double_eq_tol(bytes, bpc, 1e-9);
}

START_TEST(cpulist)
{
    int cpus[8];
    ck_assert_int_eq(scope__uncore_cpulist("0,28\n", cpus, 8), 2);
    ck_assert_int_eq(cpus[1], 28);
    ck_assert_int_eq(scope__uncore_cpulist("0-2,8", cpus, 8), 4);
    ck_assert_int_eq(cpus[2], 2);
    ck_assert_int_eq(cpus[3], 8);
    ck_assert_int_eq(scope__uncore_cpulist("0-9", cpus, 8), SCOPE_ENOSPC);
    const char *bad[] = {"", "a", "1,", "3-1", "1-", "-1", "1 2", "0,,1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(scope__uncore_cpulist(bad[i], cpus, 8) == SCOPE_EPARSE, "'%s' accepted",
                      bad[i]);
    /* .scale/.unit -> bytes per count: 6.103515625e-5 MiB = 64/2^20 * 2^20 = 64 B */
    ck_assert_double_eq(scope__uncore_bytes_per_count(6.103515625e-5, "MiB"), 64.0);
    ck_assert_double_eq(scope__uncore_bytes_per_count(1, ""), 64.0);
    ck_assert_double_eq(scope__uncore_bytes_per_count(6.4e-5, "MB"), 64.0);
    ck_assert_double_eq(scope__uncore_bytes_per_count(32, "B"), 32.0);
}
END_TEST

START_TEST(discovery_skx)
{
    scope_uncore_plan *p = plan("skx2s", 0);
    /* uncore PMUs = those with a cpumask, minus cpu: imc 0-5, cha_0, upi_0 */
    ck_assert_uint_eq(scope_uncore_pmu_count(p), 8);
    int seen_imc3 = 0;
    for (size_t i = 0; i < scope_uncore_pmu_count(p); i++) {
        const char *name, *mask;
        uint32_t type;
        size_t nf, ne;
        ck_assert_int_eq(scope_uncore_pmu_at(p, i, &name, &type, &mask, &nf, &ne), 0);
        ck_assert_str_ne(name, "cpu");
        ck_assert_str_ne(name, "msr"); /* no cpumask */
        if (strcmp(name, "uncore_imc_3"))
            continue;
        seen_imc3 = 1;
        ck_assert_uint_eq(type, 23);
        ck_assert_str_eq(mask, "0,28");
        ck_assert_uint_eq(nf, 5); /* edge event inv thresh umask */
        ck_assert_uint_eq(ne, 3); /* cas_count_read cas_count_write clockticks */
        for (size_t j = 0; j < nf; j++) {
            const char *fn, *spec;
            ck_assert_int_eq(scope_uncore_pmu_format(p, i, j, &fn, &spec), 0);
            if (!strcmp(fn, "thresh"))
                ck_assert_str_eq(spec, "config:24-31");
            if (!strcmp(fn, "edge"))
                ck_assert_str_eq(spec, "config:18");
        }
        for (size_t j = 0; j < ne; j++) {
            const char *en, *terms, *unit;
            double scale;
            ck_assert_int_eq(scope_uncore_pmu_event(p, i, j, &en, &terms, &scale, &unit), 0);
            if (!strcmp(en, "cas_count_write")) {
                ck_assert_str_eq(terms, "event=0x04,umask=0x0c");
                ck_assert_double_eq(scale, 6.103515625e-5);
                ck_assert_str_eq(unit, "MiB");
            } else if (!strcmp(en, "clockticks")) {
                ck_assert_double_eq(scale, 1);
                ck_assert_str_eq(unit, "");
            }
        }
        ck_assert_int_eq(scope_uncore_pmu_event(p, i, ne, NULL, NULL, NULL, NULL), SCOPE_EINVAL);
    }
    ck_assert(seen_imc3);

    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC);
    ck_assert_uint_eq(scope_uncore_plan_sockets(p), 2);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 6);
    /* 6 PMUs x 2 sockets x (read, write) */
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 24);
    /* cas_count_read event=0x04,umask=0x03: 0x04 | 0x03<<8 = 0x304;
     * cas_count_write umask 0x0c: 0x04 | 0x0c<<8 = 0xc04; 64 B per CAS.
     * socket 1 is cpu 28 (physical_package_id 1); uncore_imc_5 has type 25. */
    expect(p, 0, 0, SCOPE_UNCORE_READ, "uncore_imc_0", 0, 20, 0x304, 0, 64);
    expect(p, 0, 0, SCOPE_UNCORE_WRITE, "uncore_imc_0", 0, 20, 0xc04, 0, 64);
    expect(p, 1, 5, SCOPE_UNCORE_READ, "uncore_imc_5", 28, 25, 0x304, 0, 64);
    expect(p, 1, 5, SCOPE_UNCORE_WRITE, "uncore_imc_5", 28, 25, 0xc04, 0, 64);
    double scale;
    const char *unit;
    int width;
    ck_assert_int_eq(scope_uncore_plan_encoding(p, 0, NULL, NULL, NULL, &scale, &unit, NULL,
                                                &width),
                     0);
    ck_assert_double_eq(scale, 6.103515625e-5);
    ck_assert_str_eq(unit, "MiB");
    ck_assert_int_eq(width, 48);
    ck_assert_int_eq(scope_uncore_plan_counter(p, 24, NULL, NULL, NULL, NULL, NULL, NULL),
                     SCOPE_EINVAL);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_icx)
{
    /* Free-running counters count bytes on ICX: read event=0xff,umask=0x20
     * -> 0xff | 0x20<<8 = 0x20ff, write umask 0x21 -> 0x21ff; one channel
     * per free-running PMU (a memory controller), 4 per socket. */
    scope_uncore_plan *p = plan("icx2s", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC_FREERUN);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 4);
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 16);
    expect(p, 0, 0, SCOPE_UNCORE_READ, "uncore_imc_free_running_0", 0, 50, 0x20ff, 0, 64);
    expect(p, 1, 3, SCOPE_UNCORE_WRITE, "uncore_imc_free_running_3", 36, 53, 0x21ff, 0, 64);
    scope_uncore_plan_free(p);
    /* Forced CAS: ICX cas_count_read umask 0x0f -> 0xf04, write 0x30 -> 0x3004 */
    p = plan("icx2s", 1);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 8);
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 32);
    expect(p, 0, 7, SCOPE_UNCORE_READ, "uncore_imc_7", 0, 47, 0xf04, 0, 64);
    expect(p, 1, 2, SCOPE_UNCORE_WRITE, "uncore_imc_2", 36, 42, 0x3004, 0, 64);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_spr)
{
    /* SPR's free-running IMC has no byte counters, so CAS: read
     * event=0x05,umask=0xcf -> 0x05 | 0xcf<<8 = 0xcf05; write umask 0xf0 -> 0xf005 */
    scope_uncore_plan *p = plan("spr2s", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC);
    ck_assert_uint_eq(scope_uncore_plan_sockets(p), 2);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 8);
    expect(p, 0, 0, SCOPE_UNCORE_READ, "uncore_imc_0", 0, 60, 0xcf05, 0, 64);
    expect(p, 1, 7, SCOPE_UNCORE_WRITE, "uncore_imc_7", 56, 67, 0xf005, 0, 64);
    /* imc 0-7, free-running 0-3; uncore_pcu (unparsable format) skipped */
    ck_assert_uint_eq(scope_uncore_pmu_count(p), 12);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_gnr)
{
    /* GNR: sch0 event 0x05, sch1 event 0x06, umask 0xcf (read) / 0xf0
     * (write): 0xcf05, 0xcf06, 0xf005, 0xf006; both sub-channels belong to
     * one channel and are summed. */
    scope_uncore_plan *p = plan("gnr", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 4);
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 16);
    uint64_t want[4] = {0xcf05, 0xcf06, 0xf005, 0xf006};
    uint64_t a[16], b[16];
    for (size_t i = 0; i < 16; i++) {
        int ch, d;
        uint64_t cfg;
        scope_uncore_plan_counter(p, i, NULL, NULL, NULL, NULL, &ch, &d);
        scope_uncore_plan_encoding(p, i, NULL, &cfg, NULL, NULL, NULL, NULL, NULL);
        /* counters come per PMU in order read_sch0, read_sch1, write_sch0, write_sch1 */
        ck_assert_int_eq(ch, (int)(i / 4));
        ck_assert_uint_eq(cfg, want[i % 4]);
        ck_assert_int_eq(d, i % 4 < 2 ? SCOPE_UNCORE_READ : SCOPE_UNCORE_WRITE);
        a[i] = 0;
        b[i] = 1000 * (i % 4 + 1); /* sch0 1000, sch1 2000 reads; 3000, 4000 writes */
    }
    double cr[4], cw[4], sr[1];
    ck_assert_int_eq(scope_uncore_plan_rates(p, a, b, 48, 1.0, cr, cw, NULL, sr, NULL, NULL), 0);
    /* channel read = (1000 + 2000) * 64 = 192000 B/s; write (3000 + 4000) * 64 */
    ck_assert_double_eq_tol(cr[2], 192000.0, 1e-6);
    ck_assert_double_eq_tol(cw[2], 448000.0, 1e-6);
    ck_assert_double_eq_tol(sr[0], 4 * 192000.0, 1e-6);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_zen3)
{
    /* amd_df, format event = config:0-7,32-35,59-60, umask = config:8-15;
     * dram_channel_data_controller_N = event 0x07 + 0x40*N, umask 0x38:
     *   ch0 event 0x07  -> 0x07, umask 0x38<<8 = 0x3800 -> 0x3807
     *   ch3 event 0xc7  -> 0xc7 | 0x3800 = 0x38c7
     *   ch4 event 0x107 -> low byte 0x07, next bits 0x1 -> bit 32:
     *                      0x1_0000_0000 | 0x3807 = 0x100003807
     *   ch7 event 0x1c7 -> 0x1_0000_0000 | 0x38c7 = 0x1000038c7
     * No .scale: 64 B per data beat. No topology: socket = CPU rank = 0. */
    scope_uncore_plan *p = plan("zen3", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_AMD_DF);
    ck_assert_uint_eq(scope_uncore_pmu_count(p), 2); /* amd_df, amd_l3 */
    /* discovery keeps split bit ranges: amd_df's event format */
    int seen = 0;
    for (size_t i = 0; i < scope_uncore_pmu_count(p); i++) {
        const char *name, *mask, *fn, *spec;
        uint32_t type;
        size_t nf, ne;
        ck_assert_int_eq(scope_uncore_pmu_at(p, i, &name, &type, &mask, &nf, &ne), 0);
        if (!strcmp(name, "amd_l3")) {
            ck_assert_str_eq(mask, "0,8,16,24");
            ck_assert_uint_eq(type, 12);
        }
        if (strcmp(name, "amd_df"))
            continue;
        ck_assert_uint_eq(ne, 0); /* the kernel exports no DF events */
        for (size_t j = 0; j < nf; j++) {
            ck_assert_int_eq(scope_uncore_pmu_format(p, i, j, &fn, &spec), 0);
            if (!strcmp(fn, "event")) {
                ck_assert_str_eq(spec, "config:0-7,32-35,59-60");
                seen = 1;
            }
        }
    }
    ck_assert(seen);
    ck_assert_uint_eq(scope_uncore_plan_sockets(p), 1);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 8);
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 8);
    expect(p, 0, 0, SCOPE_UNCORE_READ_WRITE, "amd_df", 0, 11, 0x3807, 0, 64);
    expect(p, 0, 3, SCOPE_UNCORE_READ_WRITE, "amd_df", 0, 11, 0x38c7, 0, 64);
    expect(p, 0, 4, SCOPE_UNCORE_READ_WRITE, "amd_df", 0, 11, 0x100003807ULL, 0, 64);
    expect(p, 0, 7, SCOPE_UNCORE_READ_WRITE, "amd_df", 0, 11, 0x1000038c7ULL, 0, 64);
    ck_assert_int_lt(find(p, 0, 0, SCOPE_UNCORE_READ), 0);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_zen4)
{
    /* amd_umc_N: event = config:0-7, rdwrmask = config:8-9; umc_cas_cmd =
     * event 0x0a; .rd rdwrmask 1 -> 0x0a | 1<<8 = 0x10a; .wr 2 -> 0x20a.
     * amd_umc_0..11 have cpumask 0 (package 0), 12..23 cpumask 96
     * (package 1): amd_umc_12 is socket 1 channel 0, type 112. */
    scope_uncore_plan *p = plan("zen4", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_AMD_UMC);
    ck_assert_uint_eq(scope_uncore_plan_sockets(p), 2);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 12);
    ck_assert_uint_eq(scope_uncore_plan_counter_count(p), 48);
    expect(p, 0, 0, SCOPE_UNCORE_READ, "amd_umc_0", 0, 100, 0x10a, 0, 64);
    expect(p, 0, 11, SCOPE_UNCORE_WRITE, "amd_umc_11", 0, 111, 0x20a, 0, 64);
    expect(p, 1, 0, SCOPE_UNCORE_READ, "amd_umc_12", 96, 112, 0x10a, 0, 64);
    expect(p, 1, 11, SCOPE_UNCORE_WRITE, "amd_umc_23", 96, 123, 0x20a, 0, 64);
    scope_uncore_plan_free(p);

    /* PerfMonV2 amd_df (event config:0-7,32-37, umask config:8-15,24-27):
     * local_processor_read_data_beats_cs0 event 0x1f umask 0x7fe:
     *   0x1f | (0xfe<<8) | (0x7<<24) = 0x0700fe1f; write umask 0x7ff -> 0x0700ff1f;
     * cs4 event 0x11f: 0x1f in bits 0-7, 0x1 in bit 32 -> 0x10700fe1f. */
    p = plan("zen4df", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_AMD_DF);
    ck_assert_uint_eq(scope_uncore_plan_channels(p), 12);
    expect(p, 0, 0, SCOPE_UNCORE_READ, "amd_df", 0, 11, 0x0700fe1fULL, 0, 64);
    expect(p, 0, 0, SCOPE_UNCORE_WRITE, "amd_df", 0, 11, 0x0700ff1fULL, 0, 64);
    expect(p, 0, 4, SCOPE_UNCORE_READ, "amd_df", 0, 11, 0x10700fe1fULL, 0, 64);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(plan_client)
{
    /* Client IMC: data_reads event=0x01, data_writes event=0x02, 32-bit. */
    scope_uncore_plan *p = plan("tgl", 0);
    ck_assert_int_eq(scope_uncore_plan_kind(p), SCOPE_UNCORE_INTEL_IMC_CLIENT);
    expect(p, 0, 0, SCOPE_UNCORE_READ, "uncore_imc", 0, 15, 0x01, 0, 64);
    expect(p, 0, 0, SCOPE_UNCORE_WRITE, "uncore_imc", 0, 15, 0x02, 0, 64);
    int width;
    scope_uncore_plan_encoding(p, 0, NULL, NULL, NULL, NULL, NULL, NULL, &width);
    ck_assert_int_eq(width, 32);
    scope_uncore_plan_free(p);
}
END_TEST

START_TEST(no_uncore)
{
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = fx("vm");
    scope_uncore_plan *p = (scope_uncore_plan *)&o;
    ck_assert_int_eq(scope_uncore_plan_new(&p, &o), SCOPE_ENODEV);
    ck_assert_ptr_null(p);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "uncore_imc_<N>"));
    ck_assert_ptr_nonnull(strstr(m, "amd_umc_<N>"));
    ck_assert_ptr_nonnull(strstr(m, "present: breakpoint msr software tracepoint uprobe"));
    ck_assert_ptr_nonnull(strstr(m, "bare metal"));
    ck_assert_ptr_nonnull(strstr(m, "resctrl"));
    o.sysfs_root = "/nonexistent-root";
    ck_assert_int_eq(scope_uncore_plan_new(&p, &o), SCOPE_ENODEV);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "/nonexistent-root/bus/event_source"));
    /* opts with unknown trailing bytes are refused */
    struct {
        scope_uncore_opts o;
        int extra;
    } big = {SCOPE_UNCORE_OPTS_INIT, 1};
    big.o.size = sizeof big;
    ck_assert_int_eq(scope_uncore_plan_new(&p, &big.o), SCOPE_EINVAL);
}
END_TEST

START_TEST(delta_wrap)
{
    ck_assert_uint_eq(scope_uncore_delta(10, 25, 48), 15);
    /* 48-bit counter wrapping: before 2^48 - 100, after 50 -> 150 */
    ck_assert_uint_eq(scope_uncore_delta((1ULL << 48) - 100, 50, 48), 150);
    /* 32-bit client counter: 0xfffffff0 -> 0x10 is 0x20 */
    ck_assert_uint_eq(scope_uncore_delta(0xfffffff0u, 0x10, 32), 0x20);
    ck_assert_uint_eq(scope_uncore_delta(~0ULL - 4, 5, 64), 10);
    ck_assert_uint_eq(scope_uncore_delta(1, 2, 0), 0);
    ck_assert_uint_eq(scope_uncore_delta(1, 2, 65), 0);
}
END_TEST

/* A recorded sequence on the 2-socket SKX plan: 3 readings 1 s and 0.5 s
 * apart, channel 2 of socket 1 reads wrapping its 48-bit counter in the
 * second interval. */
START_TEST(rates_recorded)
{
    scope_uncore_plan *p = plan("skx2s", 0);
    size_t n = scope_uncore_plan_counter_count(p);
    ck_assert_uint_eq(n, 24);
    uint64_t r0[24], r1[24], r2[24];
    const uint64_t W = 1ULL << 48;
    for (size_t i = 0; i < n; i++) {
        int s, ch, d;
        scope_uncore_plan_counter(p, i, NULL, NULL, NULL, &s, &ch, &d);
        /* reads: socket 0 channel c moves 1e6*(c+1) CAS in interval 1 and
         * 2e6 in interval 2; writes move half of that; socket 1 as socket 0
         * plus 1000 CAS. */
        uint64_t base = 1000 + (uint64_t)i * 7;
        uint64_t d1 = 1000000ULL * (uint64_t)(ch + 1) + (s ? 1000 : 0);
        uint64_t d2 = 2000000ULL;
        if (d == SCOPE_UNCORE_WRITE) {
            d1 /= 2;
            d2 /= 2;
        }
        r0[i] = base;
        if (s == 1 && ch == 2 && d == SCOPE_UNCORE_READ) {
            /* counter close to 2^48: wraps during interval 2 */
            r0[i] = W - d1 - 500000;
        }
        r1[i] = (r0[i] + d1) % W;
        r2[i] = (r1[i] + d2) % W;
    }
    double cr[12], cw[12], ct[12], sr[2], sw[2], st[2];
    ck_assert_int_eq(scope_uncore_plan_rates(p, r0, r1, 48, 1.0, cr, cw, ct, sr, sw, st), 0);
    /* interval 1 (1 s): socket 0 channel c reads 1e6*(c+1)*64 B/s */
    ck_assert_double_eq_tol(cr[0], 64e6, 1e-3);
    ck_assert_double_eq_tol(cr[5], 6 * 64e6, 1e-3);
    ck_assert_double_eq_tol(cw[5], 3 * 64e6, 1e-3);
    ck_assert_double_eq_tol(ct[5], 9 * 64e6, 1e-3);
    /* socket 0 reads: 64e6 * (1+..+6) = 64e6 * 21 = 1.344e9 B/s = 1344 MB/s */
    ck_assert_double_eq_tol(sr[0], 1.344e9, 1e-3);
    ck_assert_double_eq_tol(sr[0] / SCOPE_UNCORE_MB, 1344.0, 1e-9);
    ck_assert_double_eq_tol(sw[0], 0.672e9, 1e-3);
    ck_assert_double_eq_tol(st[0], 2.016e9, 1e-3);
    /* socket 1: reads +1000 CAS per channel (6 * 64000 B), writes +500 */
    ck_assert_double_eq_tol(sr[1], 1.344e9 + 6 * 64000, 1e-3);
    ck_assert_double_eq_tol(sw[1], 0.672e9 + 6 * 32000, 1e-3);
    /* cell socket 1 channel 2 = index 1*6 + 2 = 8: (3e6 + 1000) * 64 */
    ck_assert_double_eq_tol(cr[8], 3001000.0 * 64, 1e-3);

    /* interval 2 (0.5 s), with the wrap: 2e6 CAS per read channel in 0.5 s
     * = 4e6 CAS/s = 256e6 B/s per channel; 6 channels = 1.536e9 B/s */
    ck_assert(r2[find(p, 1, 2, SCOPE_UNCORE_READ)] < r1[find(p, 1, 2, SCOPE_UNCORE_READ)]);
    ck_assert_int_eq(scope_uncore_plan_rates(p, r1, r2, 48, 0.5, cr, cw, ct, sr, sw, st), 0);
    ck_assert_double_eq_tol(cr[8], 256e6, 1e-3);
    ck_assert_double_eq_tol(sr[1], 1.536e9, 1e-3);
    ck_assert_double_eq_tol(sw[1], 0.768e9, 1e-3);
    ck_assert_double_eq_tol(st[1], 2.304e9, 1e-3);
    /* 1.536e9 B/s in MiB/s: 1.536e9 / 1048576 = 1464.84375 */
    ck_assert_double_eq_tol(sr[1] / SCOPE_UNCORE_MIB, 1464.84375, 1e-9);
    /* the same readings taken as 64-bit folded counts would see the wrap as
     * a huge delta: the width matters */
    ck_assert_int_eq(scope_uncore_plan_rates(p, r1, r2, 64, 0.5, cr, NULL, NULL, NULL, NULL, NULL),
                     0);
    ck_assert(cr[8] > 1e18);

    ck_assert_int_eq(scope_uncore_plan_rates(p, r1, r2, 48, 0, cr, cw, ct, sr, sw, st),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_uncore_plan_rates(p, r1, r2, 0, 1, cr, cw, ct, sr, sw, st),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_uncore_plan_rates(p, NULL, r2, 48, 1, cr, cw, ct, sr, sw, st),
                     SCOPE_EINVAL);
    scope_uncore_plan_free(p);
}
END_TEST

/* amd_df read+write counters go to the totals only. */
START_TEST(rates_df)
{
    scope_uncore_plan *p = plan("zen3", 0);
    uint64_t a[8], b[8];
    for (int i = 0; i < 8; i++) {
        a[i] = 100;
        b[i] = 100 + 1000 * (uint64_t)(i + 1);
    }
    double cr[8], ct[8], st[1], sr[1];
    ck_assert_int_eq(scope_uncore_plan_rates(p, a, b, 48, 2.0, cr, NULL, ct, sr, NULL, st), 0);
    /* channel 7: 8000 beats * 64 B / 2 s = 256000 B/s; sum 36000*64/2 */
    ck_assert_double_eq_tol(ct[7], 256000.0, 1e-6);
    ck_assert_double_eq(cr[7], 0);
    ck_assert_double_eq(sr[0], 0);
    ck_assert_double_eq_tol(st[0], 36000.0 * 32, 1e-6);
    scope_uncore_plan_free(p);
}
END_TEST


int scope__uncore_open_error(int err, const char *pmu, const char *event, int cpu,
                             long paranoid);

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double last_value(const scope_series_set *set, const char *name, const char *socket,
                         const char *channel)
{
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), name))
            continue;
        const char *so = scope_series_label(s, "socket"), *ch = scope_series_label(s, "channel");
        if (!so || strcmp(so, socket))
            continue;
        if (channel ? !ch || strcmp(ch, channel) : ch != NULL)
            continue;
        size_t n = scope_series_count(s);
        ck_assert_uint_gt(n, 0);
        return scope_series_values(s)[n - 1];
    }
    ck_abort_msg("no series %s{socket=%s,channel=%s}", name, socket, channel ? channel : "-");
    return 0;
}

START_TEST(open_errors)
{
    /* paranoid: the message names the level, system-wide rights and the fix */
    ck_assert_int_eq(scope__uncore_open_error(EACCES, "uncore_imc_0", "cas_count_read", 0, 2),
                     SCOPE_EPERM);
    const char *m = scope_error_message();
    ck_assert_ptr_nonnull(strstr(m, "perf_event_paranoid is 2"));
    ck_assert_ptr_nonnull(strstr(m, "system-wide"));
    ck_assert_ptr_nonnull(strstr(m, "kernel.perf_event_paranoid=0"));
    ck_assert_ptr_nonnull(strstr(m, "uncore_imc_0/cas_count_read/, cpu 0"));
    ck_assert_int_eq(scope__uncore_open_error(ENOENT, "amd_df", "event=0x07", 64, -2),
                     SCOPE_ENODEV);
    ck_assert_int_eq(scope__uncore_open_error(EMFILE, "amd_df", "x", 0, -2), SCOPE_ELIMIT);

    /* no uncore PMU: open fails, nothing allocated or opened */
    int fds = count_fds();
    scope_collector *c = (scope_collector *)&fds;
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = fx("vm");
    ck_assert_int_eq(scope_uncore_open(&c, &o), SCOPE_ENODEV);
    ck_assert_ptr_null(c);
    /* a plan for another machine (SKX types 20..25 do not exist here): the
     * first open is refused, start fails and closes what it opened */
    o.sysfs_root = fx("skx2s");
    ck_assert_int_eq(scope_uncore_open(&c, &o), 0);
    int rc = scope_collector_start(c);
    ck_assert_msg(rc == SCOPE_ENODEV || rc == SCOPE_EPERM, "start: %d %s", rc,
                  scope_error_message());
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "uncore_imc_0/cas_count_read/, cpu 0"));
    ck_assert_int_eq(count_fds(), fds);
    scope_collector_free(c);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* The whole open/read/convert path on the loopback tree: "reads" are
 * cpu-clock nanoseconds of CPU 0, so bytes = 64 * elapsed ns. */
START_TEST(collector_loopback)
{
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = fx("swloop");
    scope_collector *c;
    ck_assert_int_eq(scope_uncore_open(&c, &o), 0);
    ck_assert_str_eq(scope_collector_name(c), "uncore:intel_imc");
    ck_assert_uint_eq(scope_collector_metric_count(c), 6);
    int fds = count_fds();
    int64_t t0 = mono();
    int rc = scope_collector_start(c);
    if (rc == SCOPE_EPERM) { /* not root and paranoid > 0: nothing to check here */
        fprintf(stderr, "collector_loopback skipped: %s\n", scope_error_message());
        scope_collector_free(c);
        return;
    }
    ck_assert_msg(rc == 0, "start: %s", scope_error_message());
    int64_t t1 = mono();
    ck_assert_int_eq(count_fds(), fds + 2);
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    int64_t t2 = mono();
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    int64_t t3 = mono();
    double rd = last_value(set, "uncore_memory_read_bytes_total", "0", "0");
    double wr = last_value(set, "uncore_memory_write_bytes_total", "0", "0");
    double tot = last_value(set, "uncore_memory_bytes_total", "0", "0");
    double srd = last_value(set, "uncore_memory_socket_read_bytes_total", "0", NULL);
    double stot = last_value(set, "uncore_memory_socket_bytes_total", "0", NULL);
    /* cpu-clock counted between the baseline read (in [t0, t1]) and the
     * sample's read (in [t2, t3]); 64 B per count */
    ck_assert_msg(rd >= 64.0 * (double)(t2 - t1) * 0.98 && rd <= 64.0 * (double)(t3 - t0) * 1.02,
                  "read bytes %g, want 64 * [%lld, %lld] ns", rd, (long long)(t2 - t1),
                  (long long)(t3 - t0));
    ck_assert_double_eq(wr, 0);
    ck_assert_double_eq(tot, rd);
    ck_assert_double_eq(srd, rd);
    ck_assert_double_eq(stot, rd + wr);
    scope_series *s;
    const char *k[] = {"socket", "channel", "pmu"}, *v[] = {"0", "0", "uncore_imc_0"};
    ck_assert_int_eq(scope_series_set_find(&s, set, "uncore_memory_read_bytes_total", k, v, 3), 0);
    ck_assert_str_eq(scope_series_unit(s), "bytes");
    ck_assert_int_eq(scope_series_kind(s), SCOPE_COUNTER);
    ck_assert_int_eq(scope_collector_stop(c), 0);
    ck_assert_int_eq(count_fds(), fds);
    scope_series_set_free(set);
    scope_collector_free(c);
}
END_TEST

/* The recorder samples the collector on its thread: every 50 ms for 300 ms,
 * read bytes grow by 64 B per ns of cpu-clock between samples. */
START_TEST(collector_recorder)
{
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = fx("swloop");
    scope_collector *c;
    ck_assert_int_eq(scope_uncore_open(&c, &o), 0);
    scope_recorder_opts ro = SCOPE_RECORDER_OPTS_INIT;
    ro.interval_ns = 50 * 1000 * 1000;
    ro.duration_ns = 300 * 1000 * 1000;
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &ro), 0);
    ck_assert_int_eq(scope_recorder_add(r, c), 0);
    int rc = scope_recorder_start(r);
    if (rc == SCOPE_EPERM) {
        fprintf(stderr, "collector_recorder skipped: %s\n", scope_error_message());
        scope_recorder_free(r);
        scope_collector_free(c);
        return;
    }
    ck_assert_msg(rc == 0, "%s", scope_error_message());
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    scope_series *s;
    const char *k[] = {"socket", "channel", "pmu"}, *v[] = {"0", "0", "uncore_imc_0"};
    ck_assert_int_eq(scope_series_set_find(&s, scope_recorder_series(r),
                                           "uncore_memory_read_bytes_total", k, v, 3),
                     0);
    size_t n = scope_series_count(s);
    ck_assert_uint_ge(n, 3);
    const int64_t *ts = scope_series_timestamps(s);
    const double *val = scope_series_values(s);
    for (size_t i = 1; i < n; i++) {
        double want = 64.0 * (double)(ts[i] - ts[i - 1]);
        double got = val[i] - val[i - 1];
        /* timestamps are taken around the reads, not at them: 10 % slack
         * plus 2 ms of scheduling */
        ck_assert_msg(fabs(got - want) <= 0.1 * want + 64.0 * 2e6,
                      "sample %zu: %g bytes over %lld ns", i, got, (long long)(ts[i] - ts[i - 1]));
    }
    scope_recorder_free(r);
    scope_collector_free(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("uncore");
    TCase *t = tcase_create("plan");
    tcase_add_test(t, cpulist);
    tcase_add_test(t, discovery_skx);
    tcase_add_test(t, plan_icx);
    tcase_add_test(t, plan_spr);
    tcase_add_test(t, plan_gnr);
    tcase_add_test(t, plan_zen3);
    tcase_add_test(t, plan_zen4);
    tcase_add_test(t, plan_client);
    tcase_add_test(t, no_uncore);
    suite_add_tcase(s, t);
    TCase *a = tcase_create("arithmetic");
    tcase_add_test(a, delta_wrap);
    tcase_add_test(a, rates_recorded);
    tcase_add_test(a, rates_df);
    suite_add_tcase(s, a);
    TCase *co = tcase_create("collector");
    tcase_add_test(co, open_errors);
    tcase_add_test(co, collector_loopback);
    tcase_add_test(co, collector_recorder);
    suite_add_tcase(s, co);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
