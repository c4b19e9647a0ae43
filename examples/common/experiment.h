/*
 * The JSON inputs of the example programs, shared by the examples and by
 * fuzz/fuzz_experiment.c (so that the parsers the examples run are the
 * parsers that are fuzzed):
 *   - scope-run's experiment file (exp_parse, exp_validate, exp_new_load,
 *     exp_to_json),
 *   - scope-load's request mix (--mix FILE: mix_apply).
 * Not part of libscope's API: example code on top of the public API only.
 */
#ifndef SCOPE_EXAMPLES_EXPERIMENT_H
#define SCOPE_EXAMPLES_EXPERIMENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <scope/scope.h>

#define MAXN 16

struct config {
    char name[64];
    char url[512];
};

struct query {
    char name[64];
    char promql[1024];
};

struct exp {
    struct config configs[MAXN];
    int nconfigs;
    char rates[256];
    int closed;
    double duration, warmup;
    int connections, threads, reps;
    long interval_ms;
    json_t *mix; /* array of {name, weight, method, path} or NULL */
    char target_specs[MAXN][256];
    int ntargets;
    char events[256];
    char prom_url[512];
    struct query queries[MAXN];
    int nqueries;
    char outdir[512];
    double start_at;
    int demo;
    char payloads[256]; /* request body sizes to sweep ("" = none) */
    char push[512];     /* Pushgateway base URL ("" = none) */
    int topdown, membw;
    int tls_insecure;   /* https configurations: skip certificate checks */
    char ca_file[512];  /* https: trusted CAs (PEM); "" = the system's store */
    double send_slack_us, poll_us; /* scope_load_opts.send_slack_ns / poll_ns, in us */
};

/* scope-run's defaults (before the experiment file and the flags). */
void exp_defaults(struct exp *x);

/* Applies the experiment document @j (parsed JSON, borrowed) to @x; fields
 * absent from @j keep their values. @x->mix takes a reference to the
 * document's "load.mix" (release it with exp_release). Returns 0, or -1
 * after printing "scope-run: FILE: what is wrong" to @err (NULL: silent). */
int exp_parse(struct exp *x, json_t *j, const char *file, FILE *err);

/* Checks the numbers scope-run derives its run from (after the file and the
 * flags). Returns 0, or -1 after printing what is wrong to @err. */
int exp_validate(const struct exp *x, FILE *err);

/* Copies the @n bytes at @s into @dst (capacity @cap) and terminates them;
 * more than fit is an error printed to @err naming @what (never a cut, which
 * could split a UTF-8 sequence). For scope-run's flags. Returns 0 or -1. */
int exp_set(char *dst, size_t cap, const char *s, size_t n, const char *what, FILE *err);

/* The payload-size sweep of @x ("" = none: *@out NULL, *@n 1), every size a
 * whole number of bytes 0 .. 1 GiB. Returns 0 (free *@out with
 * scope_load_sweep_free), or -1 after printing what is wrong to @err. */
int exp_payload_sizes(const struct exp *x, double **out, size_t *n, FILE *err);

/* A load handle for one step of @x: @seconds long, @rate requests/s (open
 * loop), starting at @start_wall (unix ns, 0: now), a request body of
 * @payload bytes (-1: none), with the experiment's request mix. Returns 0,
 * or -1 with the library's message set and *@what naming the failed part
 * (the URL, "request mix", "payload type" or "payload"). */
int exp_new_load(const struct exp *x, const char *url, double rate, double seconds,
                 int64_t start_wall, long payload, scope_load **out, const char **what);

/* The experiment as run, for manifest.json (a new reference; NULL only when
 * out of memory). */
json_t *exp_to_json(const struct exp *x);

/* Drops @x's reference to its mix. */
void exp_release(struct exp *x);

/* Adds scope-load's request mix @root (parsed JSON, borrowed: an array of
 * types or {"headers": {...}, "types": [...]}) to @l. Returns 0, or -1 after
 * printing "scope-load: FILE: what is wrong" to @err (NULL: silent). */
int mix_apply(scope_load *l, json_t *root, const char *file, FILE *err);

#endif
