// corpus: fuzz/http
/* The load driver's HTTP/1.x response parsing: the head (status line,
 * headers, Content-Length, Transfer-Encoding, Connection), the body mode,
 * and the chunked decoder fed in pieces whose sizes come from the first byte,
 * keeping unconsumed bytes as the engine does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned step = 1 + data[0] % 32;
    data++;
    size--;
    /* exactly @size bytes, no terminator */
    char *t = malloc(size ? size : 1);
    if (!t)
        return 0;
    memcpy(t, data, size);
    struct scope__http_head h;
    /* the head as it arrives: every prefix must say "more" or agree */
    int full = scope__http_head_parse(t, size, &h);
    for (size_t n = 0; n < size && n < 4096; n += step) {
        struct scope__http_head p;
        int k = scope__http_head_parse(t, n, &p);
        if (k > 0 && full != k)
            abort(); /* a complete head cannot change with more bytes */
    }
    if (full > 0) {
        if ((size_t)full > size)
            abort();
        scope__http_body_mode(&h, 0);
        scope__http_body_mode(&h, 1);
    }
    /* the chunked decoder on whatever follows the head (or all of it) */
    size_t at = full > 0 ? (size_t)full : 0;
    struct scope__http_chunk c;
    memset(&c, 0, sizeof c);
    size_t have = at; /* bytes delivered so far */
    size_t pos = at;  /* first unconsumed byte */
    while (pos <= size) {
        size_t used = 0;
        int r = scope__http_chunk_feed(&c, t + pos, have - pos, &used);
        if (used > have - pos)
            abort();
        pos += used;
        if (r != 0 || have == size)
            break;
        have = have + step < size ? have + step : size;
    }
    if (c.body < 0 || c.left < 0)
        abort();
    free(t);
    return 0;
}
