/* The examples' JSON inputs: scope-run's experiment file and scope-load's
 * request mix. See experiment.h. */
#include "experiment.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void say(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
}

void exp_defaults(struct exp *x)
{
    memset(x, 0, sizeof *x);
    x->duration = 3;
    x->warmup = 1;
    x->connections = 10;
    x->threads = 1;
    x->reps = 1;
    x->interval_ms = 100;
    snprintf(x->rates, sizeof x->rates, "500,1000,2000");
    snprintf(x->events, sizeof x->events, "context-switches,task-clock");
}

void exp_release(struct exp *x)
{
    json_decref(x->mix);
    x->mix = NULL;
}

/* Copies @s into @dst (capacity @cap) whole: a longer string is an error,
 * never truncated (a cut could split a UTF-8 sequence and lose the
 * manifest, and would change a URL or query silently). */
static int put(char *dst, size_t cap, const char *s, const char *file, FILE *err,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int put(char *dst, size_t cap, const char *s, const char *file, FILE *err,
               const char *fmt, ...)
{
    size_t n = strlen(s);
    if (n < cap) {
        memcpy(dst, s, n + 1);
        return 0;
    }
    char field[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(field, sizeof field, fmt, ap);
    va_end(ap);
    say(err, "scope-run: %s: %s is %zu bytes long; at most %zu fit: shorten it\n", file, field,
        n, cap - 1);
    return -1;
}

/* An integer field that must fit an int (a JSON integer out of range would
 * otherwise wrap to some other count). Non-integers read as 0, as before. */
static int get_int(int *dst, json_t *v, const char *file, FILE *err, const char *field)
{
    json_int_t n = json_integer_value(v);
    if (n < INT_MIN || n > INT_MAX) {
        say(err, "scope-run: %s: \"%s\" %" JSON_INTEGER_FORMAT " is out of range\n", file, field,
            n);
        return -1;
    }
    *dst = (int)n;
    return 0;
}

int exp_parse(struct exp *x, json_t *j, const char *file, FILE *err)
{
    json_t *v;
    if ((v = json_object_get(j, "configurations"))) {
        x->nconfigs = 0;
        for (size_t i = 0; i < json_array_size(v) && x->nconfigs < MAXN; i++) {
            json_t *c = json_array_get(v, i);
            struct config *cf = &x->configs[x->nconfigs++];
            if (put(cf->name, sizeof cf->name, json_string_value(json_object_get(c, "name")) ?: "config",
                    file, err, "\"configurations[%zu].name\"", i) ||
                put(cf->url, sizeof cf->url, json_string_value(json_object_get(c, "url")) ?: "",
                    file, err, "\"configurations[%zu].url\"", i))
                return -1;
        }
    }
    if ((v = json_object_get(j, "url"))) {
        x->nconfigs = 1;
        snprintf(x->configs[0].name, sizeof x->configs[0].name, "default");
        if (put(x->configs[0].url, sizeof x->configs[0].url, json_string_value(v) ?: "", file,
                err, "\"url\""))
            return -1;
    }
    json_t *load = json_object_get(j, "load");
    if (!load)
        load = j;
    if ((v = json_object_get(load, "rates")) &&
        put(x->rates, sizeof x->rates, json_string_value(v) ?: "", file, err, "\"rates\""))
        return -1;
    if ((v = json_object_get(load, "mode")))
        x->closed = json_string_value(v) && !strcmp(json_string_value(v), "closed");
    if ((v = json_object_get(load, "duration_s")))
        x->duration = json_number_value(v);
    if ((v = json_object_get(load, "warmup_s")))
        x->warmup = json_number_value(v);
    if ((v = json_object_get(load, "connections")) &&
        get_int(&x->connections, v, file, err, "connections"))
        return -1;
    if ((v = json_object_get(load, "threads")) && get_int(&x->threads, v, file, err, "threads"))
        return -1;
    if ((v = json_object_get(load, "mix"))) {
        json_decref(x->mix);
        x->mix = json_incref(v);
    }
    if ((v = json_object_get(load, "tls_insecure")))
        x->tls_insecure = json_is_true(v);
    if ((v = json_object_get(load, "send_slack_us")))
        x->send_slack_us = json_number_value(v);
    if ((v = json_object_get(load, "poll_us")))
        x->poll_us = json_number_value(v);
    if ((v = json_object_get(load, "ca_file")) &&
        put(x->ca_file, sizeof x->ca_file, json_string_value(v) ?: "", file, err, "\"ca_file\""))
        return -1;
    if ((v = json_object_get(load, "payload_sizes")) &&
        put(x->payloads, sizeof x->payloads, json_string_value(v) ?: "", file, err,
            "\"payload_sizes\""))
        return -1;
    json_t *col = json_object_get(j, "collectors");
    if ((v = json_object_get(col, "topdown")))
        x->topdown = json_is_true(v) || json_integer_value(v) > 0;
    if ((v = json_object_get(col, "uncore")))
        x->membw = json_is_true(v);
    if ((v = json_object_get(col, "events")) &&
        put(x->events, sizeof x->events, json_string_value(v) ?: "", file, err,
            "\"collectors.events\""))
        return -1;
    if ((v = json_object_get(j, "repetitions")) && get_int(&x->reps, v, file, err, "repetitions"))
        return -1;
    if ((v = json_object_get(j, "interval_ms")))
        x->interval_ms = (long)json_integer_value(v);
    if ((v = json_object_get(j, "events")) &&
        put(x->events, sizeof x->events, json_string_value(v) ?: "", file, err, "\"events\""))
        return -1;
    if ((v = json_object_get(j, "output")) &&
        put(x->outdir, sizeof x->outdir, json_string_value(v) ?: "", file, err, "\"output\""))
        return -1;
    if ((v = json_object_get(j, "targets")))
        for (size_t i = 0; i < json_array_size(v) && x->ntargets < MAXN; i++)
            if (put(x->target_specs[x->ntargets++], sizeof x->target_specs[0],
                    json_string_value(json_array_get(v, i)) ?: "", file, err,
                    "\"targets[%zu]\"", i))
                return -1;
    json_t *p = json_object_get(j, "prometheus");
    if (p) {
        if (put(x->prom_url, sizeof x->prom_url,
                json_string_value(json_object_get(p, "url")) ?: "", file, err,
                "\"prometheus.url\""))
            return -1;
        const char *k;
        json_t *q;
        json_object_foreach(json_object_get(p, "queries"), k, q)
        {
            if (x->nqueries == MAXN)
                break;
            struct query *qq = &x->queries[x->nqueries++];
            if (put(qq->name, sizeof qq->name, k, file, err, "query name \"%.40s...\"", k) ||
                put(qq->promql, sizeof qq->promql, json_string_value(q) ?: "", file, err,
                    "\"prometheus.queries.%.40s\"", k))
                return -1;
        }
    }
    return 0;
}

int exp_validate(const struct exp *x, FILE *err)
{
    if (x->reps < 1 || !(x->duration > 0) || x->connections < 1 || x->threads < 1) {
        say(err, "scope-run: repetitions, duration, connections and threads must be positive\n");
        return -1;
    }
    /* The load driver runs at most 24 h per step; beyond that seconds * 1e9
     * would not even fit the nanosecond count. */
    if (!(x->duration <= 86400) || !isfinite(x->warmup) || x->warmup > 86400) {
        say(err, "scope-run: duration %g s and warm-up %g s: at most 86400 s (24 h) each\n",
            x->duration, x->warmup);
        return -1;
    }
    /* the driver checks the exact ranges (and names them); here only what
     * converts to nanoseconds without overflow */
    if (!(x->send_slack_us >= 0 && x->send_slack_us <= 1e9) ||
        !(x->poll_us >= 0 && x->poll_us <= 1e9)) {
        say(err, "scope-run: send_slack_us %g and poll_us %g: give microseconds, 0 or more "
            "(the driver allows slack up to 1 s and polling up to 10 ms)\n", x->send_slack_us,
            x->poll_us);
        return -1;
    }
    /* --start-at: unix seconds, converted to ns. */
    if (!(x->start_at <= 1e10)) {
        say(err, "scope-run: start time %g: give unix seconds (at most 1e10)\n", x->start_at);
        return -1;
    }
    if (x->interval_ms < 0 || x->interval_ms > 86400000) {
        say(err, "scope-run: interval %ld ms: give 1 .. 86400000 ms (0: the recorder's 1 s)\n",
            x->interval_ms);
        return -1;
    }
    return 0;
}

int exp_set(char *dst, size_t cap, const char *s, size_t n, const char *what, FILE *err)
{
    if (n < cap) {
        memcpy(dst, s, n);
        dst[n] = '\0';
        return 0;
    }
    say(err, "scope-run: %s is %zu bytes long; at most %zu fit: shorten it\n", what, n, cap - 1);
    return -1;
}

int exp_payload_sizes(const struct exp *x, double **out, size_t *n, FILE *err)
{
    *out = NULL;
    *n = 1;
    if (!x->payloads[0])
        return 0;
    if (scope_load_sweep_parse(out, n, x->payloads, 0)) {
        say(err, "scope-run: payload sizes: %s\n", scope_error_message());
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        if (!((*out)[i] >= 0 && (*out)[i] <= 1073741824.0) || (*out)[i] != (double)(long)(*out)[i]) {
            say(err, "scope-run: payload sizes: %g is not a whole number of bytes 0 .. 1 GiB\n",
                (*out)[i]);
            scope_load_sweep_free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

int exp_new_load(const struct exp *x, const char *url, double rate, double seconds,
                 int64_t start_wall, long payload, scope_load **out, const char **what)
{
    scope_load_opts o = SCOPE_LOAD_OPTS_INIT;
    o.mode = x->closed ? SCOPE_LOAD_CLOSED : SCOPE_LOAD_OPEN;
    o.rate = x->closed ? 0 : rate;
    o.duration_ns = (int64_t)(seconds * 1e9);
    o.connections = x->connections;
    o.threads = x->threads;
    o.start_wall_ns = start_wall;
    o.tls_insecure = x->tls_insecure;
    o.ca_file = x->ca_file[0] ? x->ca_file : NULL;
    o.send_slack_ns = (int64_t)(x->send_slack_us * 1e3);
    o.poll_ns = (int64_t)(x->poll_us * 1e3);
    scope_load *l;
    *out = NULL;
    *what = url;
    if (scope_load_new(&l, url, &o))
        return -1;
    for (size_t i = 0; i < json_array_size(x->mix); i++) {
        json_t *t = json_array_get(x->mix, i);
        const char *name = json_string_value(json_object_get(t, "name"));
        double w = json_number_value(json_object_get(t, "weight"));
        if (scope_load_add_type(l, name ? name : "type", w > 0 ? w : 1,
                                json_string_value(json_object_get(t, "method")),
                                json_string_value(json_object_get(t, "path"))) < 0) {
            *what = "request mix";
            goto fail;
        }
    }
    if (payload >= 0) {
        /* A body of @payload bytes on every request (POST unless a mix says
         * otherwise): the payload-size sweep. */
        if (!json_array_size(x->mix) && scope_load_add_type(l, "payload", 1, "POST", NULL) < 0) {
            *what = "payload type";
            goto fail;
        }
        if (scope_load_set_body(l, -1, NULL, (size_t)payload)) {
            *what = "payload";
            goto fail;
        }
    }
    *out = l;
    return 0;
fail:
    scope_load_free(l);
    return -1;
}

json_t *exp_to_json(const struct exp *x)
{
    json_t *cfgs = json_array(), *tg = json_array(), *q = json_object();
    for (int i = 0; i < x->nconfigs; i++)
        json_array_append_new(cfgs, json_pack("{s:s,s:s}", "name", x->configs[i].name, "url",
                                              x->configs[i].url));
    for (int i = 0; i < x->ntargets; i++)
        json_array_append_new(tg, json_string(x->target_specs[i]));
    for (int i = 0; i < x->nqueries; i++)
        json_object_set_new(q, x->queries[i].name, json_string(x->queries[i].promql));
    json_t *o = json_pack("{s:o,s:s,s:s,s:f,s:f,s:i,s:i,s:i,s:i,s:o,s:s,s:b}", "configurations",
                          cfgs, "rates", x->rates, "mode", x->closed ? "closed" : "open",
                          "duration_s", x->duration, "warmup_s", x->warmup, "connections",
                          x->connections, "threads", x->threads, "repetitions", x->reps,
                          "interval_ms", (int)x->interval_ms, "targets", tg, "events", x->events,
                          "demo", x->demo);
    json_object_set_new(o, "payload_sizes", json_string(x->payloads));
    json_object_set_new(o, "tls_insecure", json_boolean(x->tls_insecure));
    if (x->ca_file[0])
        json_object_set_new(o, "ca_file", json_string(x->ca_file));
    json_object_set_new(o, "send_slack_us", json_real(x->send_slack_us));
    json_object_set_new(o, "poll_us", json_real(x->poll_us));
    json_object_set_new(o, "collectors", json_pack("{s:b,s:b,s:s}", "topdown", x->topdown,
                                                   "uncore", x->membw, "events", x->events));
    if (x->mix)
        json_object_set(o, "mix", x->mix);
    if (x->prom_url[0]) {
        json_object_set_new(o, "prometheus", json_pack("{s:s,s:o}", "url", x->prom_url, "queries", q));
    } else {
        json_decref(q);
    }
    if (x->start_at > 0)
        json_object_set_new(o, "start_at", json_real(x->start_at));
    if (x->push[0])
        json_object_set_new(o, "pushgateway", json_string(x->push));
    return o;
}

int mix_apply(scope_load *l, json_t *root, const char *file, FILE *err)
{
    json_t *types = json_is_array(root) ? root : json_object_get(root, "types");
    int rc = 0;
    if (!json_is_array(types) || !json_array_size(types)) {
        say(err, "scope-load: %s: expected {\"types\": [...]} or an array of request "
                 "types\n", file);
        rc = -1;
    }
    json_t *gh = json_is_object(root) ? json_object_get(root, "headers") : NULL;
    const char *k;
    json_t *v;
    if (!rc && json_is_object(gh))
        json_object_foreach(gh, k, v) {
            if (!json_is_string(v) ||
                scope_load_add_header(l, -1, k, json_string_value(v))) {
                say(err, "scope-load: %s: header %s: %s\n", file, k,
                    json_is_string(v) ? scope_error_message() : "value must be a string");
                rc = -1;
                break;
            }
        }
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t) {
        if (rc)
            break;
        json_t *name = json_object_get(t, "name"), *w = json_object_get(t, "weight"),
               *method = json_object_get(t, "method"), *path = json_object_get(t, "path"),
               *paths = json_object_get(t, "paths"), *hdr = json_object_get(t, "headers"),
               *body = json_object_get(t, "body"), *bsize = json_object_get(t, "body_size");
        if (!json_is_string(name) || (w && !json_is_number(w))) {
            say(err, "scope-load: %s: type %zu needs a \"name\" string and a numeric "
                     "\"weight\"\n", file, i);
            rc = -1;
            break;
        }
        const char *first = json_is_string(path) ? json_string_value(path) : NULL;
        if (!first && json_is_array(paths) && json_array_size(paths))
            first = json_string_value(json_array_get(paths, 0));
        int idx = scope_load_add_type(l, json_string_value(name), w ? json_number_value(w) : 1.0,
                                      json_is_string(method) ? json_string_value(method) : NULL,
                                      first);
        if (idx < 0) {
            say(err, "scope-load: %s: %s\n", file, scope_error_message());
            rc = -1;
            break;
        }
        if (json_is_array(paths))
            for (size_t p = json_is_string(path) ? 0 : 1; p < json_array_size(paths); p++) {
                const char *s = json_string_value(json_array_get(paths, p));
                if (!s || scope_load_add_path(l, idx, s)) {
                    say(err, "scope-load: %s: type %s path %zu: %s\n", file,
                        json_string_value(name), p, s ? scope_error_message() : "not a string");
                    rc = -1;
                    break;
                }
            }
        if (!rc && json_is_object(hdr))
            json_object_foreach(hdr, k, v) {
                if (!json_is_string(v) || scope_load_add_header(l, idx, k, json_string_value(v))) {
                    say(err, "scope-load: %s: type %s header %s: invalid\n", file,
                        json_string_value(name), k);
                    rc = -1;
                    break;
                }
            }
        if (!rc && json_is_string(body))
            rc = scope_load_set_body(l, idx, json_string_value(body),
                                     json_string_length(body)) ? -1 : 0;
        else if (!rc && json_is_integer(bsize))
            rc = scope_load_set_body(l, idx, NULL, (size_t)json_integer_value(bsize)) ? -1 : 0;
        if (rc)
            say(err, "scope-load: %s: %s\n", file, scope_error_message());
    }
    return rc;
}
