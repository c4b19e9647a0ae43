// corpus: sysfs
/* sysfs PMU strings: format files ("config:0-7,32-35"), event alias terms
 * ("event=0x3c,umask=0x1") encoded through the skylake fixture's cpu PMU and
 * an uncore PMU, CPU lists (cpumask files), and the uncore scale/unit
 * helpers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/pmu_internal.h"
#include "pmu/pmu_priv.h"
#include "uncore/uncore_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static scope__pmu_info *cpu_pmu, *unc_pmu;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char root[4096];
    snprintf(root, sizeof root, "%s/tests/fixtures/sysfs/skylakex", SCOPE_SOURCE_DIR);
    if (scope__pmu_load(&cpu_pmu, root, "cpu"))
        cpu_pmu = NULL;
    if (scope__pmu_load(&unc_pmu, root, "uncore_imc_0"))
        unc_pmu = NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = '\0';
    struct scope__pmu_format f;
    if (scope__pmu_format_parse(z, &f) == 0) {
        unsigned bits = scope__pmu_format_bits(&f);
        if (bits > 64 * 4)
            abort();
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        scope__pmu_format_put(&f, ~0ull, &a);
        scope__pmu_format_put(&f, 1, &a);
        char buf[128];
        scope__uncore_format_spec(&f, buf, sizeof buf);
        scope__uncore_format_spec(&f, buf, 5);
    }
    double scale;
    const char *unit;
    struct perf_event_attr a;
    if (cpu_pmu) {
        memset(&a, 0, sizeof a);
        scope__pmu_encode_terms(cpu_pmu, z, &a, &scale, &unit);
    }
    if (unc_pmu) {
        memset(&a, 0, sizeof a);
        scope__pmu_encode_terms(unc_pmu, z, &a, &scale, &unit);
    }
    int *cpus = NULL;
    size_t n = 0;
    if (scope__cpulist_parse(z, &cpus, &n) == 0)
        free(cpus);
    int c8[8];
    scope__uncore_cpulist(z, c8, 8);
    scope__uncore_bytes_per_count(1.0, z);
    free(z);
    return 0;
}
