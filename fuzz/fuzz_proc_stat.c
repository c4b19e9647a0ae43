// corpus: proc
/* /proc/<pid>/stat and /proc/<pid>/status parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly @size bytes, no terminator: the parsers must honour lengths. */
    char *t = malloc(size ? size : 1);
    if (!t)
        return 0;
    memcpy(t, data, size);
    uint64_t f[22];
    char comm[16];
    scope__proc_parse_stat(t, size, f, 21, comm, sizeof comm);
    scope__proc_parse_stat(t, size, f, 0, NULL, 0);
    uint64_t v;
    scope__kv_u64(t, size, "voluntary_ctxt_switches", &v);
    scope__kv_u64(t, size, "usage_usec", &v);
    free(t);
    return 0;
}
