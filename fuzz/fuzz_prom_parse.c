/* libFuzzer target for the Prometheus body parser (lib/prom/parse.c).
 * The first input byte picks the piece size the body is fed in (1..256),
 * the second the histogram policy; the rest is the body. Whatever the
 * input, the parser must not crash, leak or read out of bounds, and a
 * success must leave a consistent set (time-ordered columns).
 *
 * Build and run (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Ilib fuzz/fuzz_prom_parse.c lib/prom/parse.c lib/series/series.c \
 *     lib/core/[a-z]*.c -lm -o fuzz_prom_parse
 *   ./fuzz_prom_parse -max_total_time=60 CORPUS  (seeds: a 2-byte prefix + a fixture)
 */
#include "../lib/prom/prom_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = 1 + data[0];
    int policy = data[1] & 1;
    data += 2;
    size -= 2;
    scope_series_set *set;
    if (scope_series_set_new(&set))
        return 0;
    struct scope__prom_parser ps;
    scope__prom_parser_init(&ps, set, NULL, policy);
    int rc = 0;
    for (size_t off = 0; off < size && !rc; off += piece)
        rc = scope__prom_parser_feed(&ps, (const char *)data + off,
                                     size - off < piece ? size - off : piece);
    if (!rc)
        rc = scope__prom_parser_finish(&ps);
    if (!rc) {
        for (size_t i = 0; i < scope_series_set_count(set); i++) {
            const scope_series *s = scope_series_set_at(set, i);
            const int64_t *ts = scope_series_timestamps(s);
            for (size_t k = 1; k < scope_series_count(s); k++)
                if (ts[k] < ts[k - 1])
                    abort();
        }
    } else if (!ps.err[0] && !ps.nonjson) {
        abort(); /* every failure explains itself */
    }
    scope__prom_parser_free(&ps);
    scope_series_set_free(set);
    return 0;
}
