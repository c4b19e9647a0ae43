// corpus: uncore
/* resctrl mon_data values and group names, and the uncore CPU-list and
 * scale/unit parsers, on the bytes of the uncore and resctrl fixture files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uncore/resctrl_priv.h"
#include "uncore/uncore_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size ? size : 1);
    char *z = malloc(size + 1);
    if (!t || !z) {
        free(t);
        free(z);
        return 0;
    }
    memcpy(t, data, size);
    memcpy(z, data, size);
    z[size] = '\0';
    uint64_t v;
    scope__resctrl_parse(t, size, &v);
    if (scope__resctrl_name_ok(z)) {
        /* an accepted group name never leaves mon_groups/ */
        if (strchr(z, '/') || !strcmp(z, ".") || !strcmp(z, "..") || !*z)
            abort();
    }
    int cpus[64];
    int n = scope__uncore_cpulist(z, cpus, 64);
    if (n > 64)
        abort();
    for (int i = 0; i < n; i++)
        if (cpus[i] < 0)
            abort();
    scope__uncore_bytes_per_count(2.0, z);
    free(t);
    free(z);
    return 0;
}
