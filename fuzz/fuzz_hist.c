// corpus: fuzz/hlog
/* The HdrHistogram decoders: binary V2 (compressed or not), base64 text, and
 * the interval-log reader on a memory stream. A decoded histogram must
 * re-encode and decode to an equal one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scope/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(scope_hist *h)
{
    void *buf = NULL;
    size_t len = 0;
    if (scope_hist_encode(&buf, &len, h) == 0) {
        scope_hist *h2 = NULL;
        if (scope_hist_decode(&h2, buf, len) != 0 || !scope_hist_equal(h, h2))
            abort();
        scope_hist_free(h2);
        scope_hist_buf_free(buf);
    }
    scope_hist_percentile(h, 99.9);
    scope_hist_mean(h);
    scope_hist_stdev(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scope_hist *h = NULL;
    if (scope_hist_decode(&h, data, size) == 0) {
        roundtrip(h);
        scope_hist_free(h);
    }
    h = NULL;
    if (scope_hist_decode_base64(&h, (const char *)data, size) == 0) {
        roundtrip(h);
        scope_hist_free(h);
    }
    FILE *f = fmemopen((void *)data, size, "r");
    if (f) {
        char tag[64];
        double s, l, b;
        for (int i = 0; i < 64; i++) {
            h = NULL;
            int rc = scope_hist_log_read(&h, f, tag, sizeof tag, &s, &l, &b);
            if (rc != 1)
                break;
            scope_hist_free(h);
        }
        fclose(f);
    }
    return 0;
}
