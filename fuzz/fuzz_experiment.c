// corpus: fuzz/experiment
/* The examples' JSON inputs (examples/common/experiment.c): scope-run's
 * experiment file and scope-load's --mix file. Every input that parses as
 * JSON goes through both, as the programs use them:
 *   - experiment: the defaults, the document applied, the manifest's
 *     "experiment" object built and serialized (it must always be, and must
 *     hold every configuration, target and query: an accepted experiment
 *     cannot lose its manifest), the run's numbers checked, and, when they
 *     pass, the rate and payload-size sweeps parsed and a load handle built
 *     per configuration for the probe, warm-up and measured step, with the
 *     experiment's request mix;
 *   - mix: applied to a fresh load handle.
 * Load handles always get a fixed loopback URL (never a name from the input:
 * no resolver traffic) and are never run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/experiment.h"

#define URL "http://127.0.0.1:9/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

static void one_load(const struct exp *x, double rate, double seconds, long payload)
{
    scope_load *l = NULL;
    const char *what = NULL;
    if (exp_new_load(x, URL, rate, seconds, 0, payload, &l, &what) == 0)
        scope_load_free(l);
    else if (!what || l)
        abort(); /* a failure names its part and leaves no handle */
}

static void experiment(json_t *j)
{
    struct exp x;
    exp_defaults(&x);
    if (exp_parse(&x, j, "fuzz.json", sink())) {
        exp_release(&x);
        return;
    }
    json_t *o = exp_to_json(&x);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!text)
        abort(); /* the manifest of an accepted experiment could not be written */
    /* ... nor silently lack a configuration, target or query. */
    if (json_array_size(json_object_get(o, "configurations")) != (size_t)x.nconfigs ||
        json_array_size(json_object_get(o, "targets")) != (size_t)x.ntargets ||
        (x.prom_url[0] &&
         json_object_size(json_object_get(json_object_get(o, "prometheus"), "queries")) !=
             (size_t)x.nqueries))
        abort();
    free(text);
    json_decref(o);
    if (exp_validate(&x, sink()) == 0) {
        double *payloads = NULL;
        size_t npayloads = 1;
        if (!exp_payload_sizes(&x, &payloads, &npayloads, sink())) {
            /* Bodies are allocated and filled: keep the first one small. */
            long payload = payloads && payloads[0] <= 65536 ? (long)payloads[0] : -1;
            for (int c = 0; c < x.nconfigs; c++) {
                double *rates = NULL;
                size_t nrates = 1;
                if (x.closed) {
                    one_load(&x, 0, x.duration, payload);
                    continue;
                }
                double max = 0;
                if (strchr(x.rates, '%')) {
                    struct exp probe = x;
                    probe.closed = 1;
                    one_load(&probe, 0, 2.0 + x.warmup, -1);
                    max = 5000;
                }
                if (scope_load_sweep_parse(&rates, &nrates, x.rates, max))
                    continue;
                if (x.warmup > 0)
                    one_load(&x, rates[0], x.warmup, payload);
                one_load(&x, rates[nrates - 1], x.duration, payload);
                scope_load_sweep_free(rates);
            }
            scope_load_sweep_free(payloads);
        }
    }
    exp_release(&x);
}

static void mix(json_t *j)
{
    scope_load *l;
    if (scope_load_new(&l, URL, NULL))
        abort();
    mix_apply(l, j, "fuzz.json", sink());
    scope_load_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, 0, &err);
    if (!j)
        return 0;
    experiment(j);
    mix(j);
    json_decref(j);
    return 0;
}
