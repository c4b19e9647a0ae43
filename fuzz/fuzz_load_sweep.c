// corpus: fuzz/sweep
/* Sweep specifications of scope-load --sweep ("1000,2000", "1000:5000:1000",
 * "10%:100%:10%"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scope/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = '\0';
    double *v = NULL;
    size_t n = 0;
    if (scope_load_sweep_parse(&v, &n, z, 5000.0) == 0) {
        if (n > 10000)
            abort();
        scope_load_sweep_free(v);
    }
    v = NULL;
    if (scope_load_sweep_parse(&v, &n, z, 0.0) == 0)
        scope_load_sweep_free(v);
    free(z);
    return 0;
}
