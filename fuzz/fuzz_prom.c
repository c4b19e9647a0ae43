// corpus: prom
/* The Prometheus api/v1 response parser, streaming: the first two bytes seed
 * the chunk sizes, the rest is the body, fed in pieces of 1..64 bytes (or
 * whole when the seed is 0), as a network read would deliver it. Also the
 * value and timestamp decoders on the raw bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom/prom_internal.h"
#include "scope/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t seed = (uint32_t)data[0] | (uint32_t)data[1] << 8;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;

    double v;
    int64_t ts;
    scope__prom_parse_value(body, len, &v);
    scope__prom_parse_ts(body, len, &ts);

    scope_series_set *set = NULL;
    if (scope_series_set_new(&set))
        return 0;
    struct scope__prom_parser ps;
    scope__prom_parser_init(&ps, set, "fuzz", (seed & 1) ? 1 : 0);
    ps.expect_points = (seed >> 1) & 7;
    size_t off = 0;
    int rc = 0;
    uint32_t x = seed ? seed : 1;
    while (off < len && !rc) {
        size_t n = len - off;
        if (seed) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t c = 1 + x % 64;
            if (c < n)
                n = c;
        }
        rc = scope__prom_parser_feed(&ps, body + off, n);
        off += n;
    }
    if (!rc)
        scope__prom_parser_finish(&ps);
    scope__prom_parser_free(&ps);
    scope_series_set_free(set);
    return 0;
}
