/* The recorder: a thread that samples collectors on an absolute schedule
 * (timerfd, TFD_TIMER_ABSTIME) and wakes on an eventfd for stop. */
#include "../internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MAX_MARKS 16

struct member {
    scope_collector *c;
    struct scope__binding bind;
    int done; /* every source vanished */
};

struct scope_recorder {
    scope_recorder_opts opts;
    struct member *members;
    size_t n, cap;
    scope_recorder_cb cb;
    void *cb_data;
    scope_series_set *set;
    pthread_t thread;
    int running; /* thread created and not yet joined */
    int tfd, efd;
    int result;
    atomic_uint_fast64_t samples, missed, errors;
    char last_error[512];

    pthread_mutex_t mark_lock;
    char *mark_keys[MAX_MARKS], *mark_values[MAX_MARKS];
    size_t nmarks;
    atomic_uint mark_gen;
    /* the recorder thread's copy */
    char *cur_keys[MAX_MARKS], *cur_values[MAX_MARKS];
    size_t ncur;
    unsigned cur_gen;
};

SCOPE_API int scope_recorder_opts_init(scope_recorder_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_recorder_opts");
}

SCOPE_API int scope_recorder_new(scope_recorder **out, const scope_recorder_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_new: out is NULL");
    *out = NULL;
    scope_recorder_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_recorder_opts");
    if (rc)
        return rc;
    if (!o.interval_ns)
        o.interval_ns = 1000000000LL;
    if (o.interval_ns < 1000000LL)
        return scope__error(SCOPE_EINVAL, 0,
                            "recorder interval %lld ns is below 1 ms: sampling faster than that "
                            "measures the sampler; use at least 1000000 ns",
                            (long long)o.interval_ns);
    if (o.duration_ns < 0 || o.rescan_every < 0 || o.keep_last < 0)
        return scope__error(SCOPE_EINVAL, 0,
                            "recorder duration, rescan_every and keep_last must be >= 0");
    scope_recorder *r = calloc(1, sizeof *r);
    if (!r)
        return scope__enomem("a recorder");
    r->opts = o;
    r->tfd = r->efd = -1;
    pthread_mutex_init(&r->mark_lock, NULL);
    if ((rc = scope_series_set_new(&r->set))) {
        pthread_mutex_destroy(&r->mark_lock);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void free_strs(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i]);
        a[i] = NULL;
    }
}

static void close_fds(scope_recorder *r)
{
    if (r->tfd >= 0)
        close(r->tfd);
    if (r->efd >= 0)
        close(r->efd);
    r->tfd = r->efd = -1;
}

SCOPE_API void scope_recorder_free(scope_recorder *r)
{
    if (!r)
        return;
    if (r->running) {
        scope_recorder_stop(r);
        scope_recorder_wait(r);
    }
    for (size_t i = 0; i < r->n; i++)
        scope__binding_reset(&r->members[i].bind);
    free(r->members);
    free_strs(r->mark_keys, r->nmarks);
    free_strs(r->mark_values, r->nmarks);
    free_strs(r->cur_keys, r->ncur);
    free_strs(r->cur_values, r->ncur);
    close_fds(r);
    scope_series_set_free(r->set);
    pthread_mutex_destroy(&r->mark_lock);
    free(r);
}

SCOPE_API int scope_recorder_add(scope_recorder *r, scope_collector *c)
{
    if (!r || !c)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_add: NULL argument");
    if (r->running)
        return scope__error(SCOPE_ESTATE, 0,
                            "recorder is recording: add collectors before scope_recorder_start()");
    for (size_t i = 0; i < r->n; i++)
        if (r->members[i].c == c)
            return scope__error(SCOPE_EEXIST, 0, "collector %s was added to this recorder already",
                                c->name);
    if (scope__grow((void **)&r->members, &r->cap, r->n + 1, sizeof *r->members))
        return scope__enomem("recorder members");
    memset(&r->members[r->n], 0, sizeof r->members[r->n]);
    r->members[r->n++].c = c;
    return 0;
}

SCOPE_API int scope_recorder_set_callback(scope_recorder *r, scope_recorder_cb cb, void *user_data)
{
    if (!r)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_set_callback: recorder is NULL");
    if (r->running)
        return scope__error(SCOPE_ESTATE, 0, "recorder is recording: set the callback before start");
    r->cb = cb;
    r->cb_data = user_data;
    return 0;
}

SCOPE_API int scope_recorder_mark(scope_recorder *r, const char *key, const char *value)
{
    if (!r || !key || !*key)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_mark: recorder or key is NULL/empty");
    for (const char *p = key; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
              (p != key && ch >= '0' && ch <= '9')))
            return scope__error(SCOPE_EINVAL, 0,
                                "mark key \"%s\" is not a label name: use [a-zA-Z_][a-zA-Z0-9_]*",
                                key);
    }
    char *v = NULL;
    if (value && !(v = strdup(value)))
        return scope__enomem("a mark");
    pthread_mutex_lock(&r->mark_lock);
    size_t i;
    for (i = 0; i < r->nmarks; i++)
        if (strcmp(r->mark_keys[i], key) == 0)
            break;
    int rc = 0;
    if (i < r->nmarks) {
        free(r->mark_values[i]);
        if (v) {
            r->mark_values[i] = v;
        } else { /* remove: move the last one here */
            free(r->mark_keys[i]);
            r->nmarks--;
            r->mark_keys[i] = r->mark_keys[r->nmarks];
            r->mark_values[i] = r->mark_values[r->nmarks];
        }
    } else if (v) {
        char *k = strdup(key);
        if (r->nmarks == MAX_MARKS || !k) {
            free(k);
            free(v);
            rc = r->nmarks == MAX_MARKS
                     ? scope__error(SCOPE_ELIMIT, 0, "at most %d marks can be active at once",
                                    MAX_MARKS)
                     : scope__enomem("a mark");
        } else {
            r->mark_keys[r->nmarks] = k;
            r->mark_values[r->nmarks++] = v;
        }
    }
    if (!rc)
        atomic_fetch_add(&r->mark_gen, 1);
    pthread_mutex_unlock(&r->mark_lock);
    return rc;
}

/* Copies the marks for the recorder thread when they changed. Allocates only
 * when a mark changed. Returns 1 when they changed. */
static int refresh_marks(scope_recorder *r)
{
    unsigned g = atomic_load(&r->mark_gen);
    if (g == r->cur_gen)
        return 0;
    pthread_mutex_lock(&r->mark_lock);
    free_strs(r->cur_keys, r->ncur);
    free_strs(r->cur_values, r->ncur);
    r->ncur = 0;
    for (size_t i = 0; i < r->nmarks; i++) {
        r->cur_keys[r->ncur] = strdup(r->mark_keys[i]);
        r->cur_values[r->ncur] = strdup(r->mark_values[i]);
        if (!r->cur_keys[r->ncur] || !r->cur_values[r->ncur]) {
            free(r->cur_keys[r->ncur]);
            free(r->cur_values[r->ncur]);
            break;
        }
        r->ncur++;
    }
    r->cur_gen = atomic_load(&r->mark_gen);
    pthread_mutex_unlock(&r->mark_lock);
    return 1;
}

static int sample_all(scope_recorder *r, int64_t wall, scope_series *missed_s,
                      scope_series *dur_s, uint64_t tick)
{
    int64_t t0 = scope__mono_ns();
    if (refresh_marks(r))
        for (size_t i = 0; i < r->n; i++)
            scope__binding_reset(&r->members[i].bind);
    for (size_t i = 0; i < r->n; i++) {
        struct member *m = &r->members[i];
        if (m->done)
            continue;
        if (r->opts.rescan_every && tick && tick % (uint64_t)r->opts.rescan_every == 0 &&
            m->c->ops->rescan && m->c->ops->rescan(m->c) < 0) {
            atomic_fetch_add(&r->errors, 1);
            snprintf(r->last_error, sizeof r->last_error, "%s", scope_error_message());
        }
        int rc = scope__collector_sample_into(m->c, &m->bind, r->set, wall,
                                              (const char *const *)r->cur_keys,
                                              (const char *const *)r->cur_values, r->ncur);
        if (rc == SCOPE_EGONE) {
            m->done = 1;
        } else if (rc == SCOPE_ENOMEM) {
            return rc;
        } else if (rc) {
            atomic_fetch_add(&r->errors, 1);
            snprintf(r->last_error, sizeof r->last_error, "%s", scope_error_message());
        }
    }
    if (missed_s && (scope_series_append(missed_s, wall, (double)atomic_load(&r->missed)) ||
                     scope_series_append(dur_s, wall, (double)(scope__mono_ns() - t0) / 1e9)))
        return SCOPE_ENOMEM;
    if (r->opts.keep_last > 0)
        scope__series_set_trim(r->set, (size_t)r->opts.keep_last);
    atomic_fetch_add(&r->samples, 1);
    return 0;
}

static void *run(void *arg)
{
    scope_recorder *r = arg;
    scope_series *missed_s = NULL, *dur_s = NULL;
    int rc = 0;
    if (!r->opts.no_self_series)
        rc = scope_series_set_add(&missed_s, r->set, "scope_recorder_missed_ticks_total", NULL,
                                  NULL, 0, "1", SCOPE_COUNTER,
                                  "Sampling ticks the recorder could not serve in time");
    if (!rc && !r->opts.no_self_series)
        rc = scope_series_set_add(&dur_s, r->set, "scope_recorder_sample_seconds", NULL, NULL, 0,
                                  "seconds", SCOPE_GAUGE,
                                  "Time one pass over all collectors took");
    if (rc) {
        r->result = rc;
        return NULL;
    }
    int64_t wall0, mono0;
    scope_clock_now(&wall0, &mono0);
    struct itimerspec its = {0};
    int64_t first = mono0 + r->opts.interval_ns;
    its.it_value.tv_sec = first / 1000000000LL;
    its.it_value.tv_nsec = first % 1000000000LL;
    its.it_interval.tv_sec = r->opts.interval_ns / 1000000000LL;
    its.it_interval.tv_nsec = r->opts.interval_ns % 1000000000LL;
    timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    uint64_t last_tick = r->opts.duration_ns
                             ? (uint64_t)(r->opts.duration_ns / r->opts.interval_ns)
                             : UINT64_MAX;
    uint64_t tick = 0;
    for (;;) {
        int64_t mono = scope__mono_ns();
        int64_t wall = wall0 + (mono - mono0);
        if ((rc = sample_all(r, wall, missed_s, dur_s, tick))) {
            r->result = rc;
            break;
        }
        if (r->cb && r->cb(r, r->set, wall, r->cb_data)) {
            r->result = scope__error(SCOPE_EUSER, 0, "the recorder callback asked to stop");
            break;
        }
        if (tick >= last_tick)
            break;
        struct pollfd p[2] = {{.fd = r->tfd, .events = POLLIN}, {.fd = r->efd, .events = POLLIN}};
        int n;
        do
            n = poll(p, 2, -1);
        while (n < 0 && errno == EINTR);
        if (p[1].revents & POLLIN)
            break;
        uint64_t exp = 0;
        if (read(r->tfd, &exp, sizeof exp) != (ssize_t)sizeof exp || exp == 0)
            continue;
        /* exp > 1: ticks went by while we were busy; they are missed, and we
         * sample at the latest one (the schedule stays absolute). Ticks past
         * the end of a bounded recording are neither sampled nor missed. */
        if (exp > last_tick - tick)
            exp = last_tick - tick;
        if (exp > 1)
            atomic_fetch_add(&r->missed, exp - 1);
        tick += exp;
    }
    return NULL;
}

SCOPE_API int scope_recorder_start(scope_recorder *r)
{
    if (!r)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_start: recorder is NULL");
    if (r->running)
        return scope__error(SCOPE_ESTATE, 0,
                            "recorder is already recording: stop and wait for it first");
    /* A fresh set for each recording. */
    scope_series_set *set;
    int rc = scope_series_set_new(&set);
    if (rc)
        return rc;
    scope_series_set_free(r->set);
    r->set = set;
    r->result = 0;
    r->last_error[0] = '\0';
    atomic_store(&r->samples, 0);
    atomic_store(&r->missed, 0);
    atomic_store(&r->errors, 0);
    r->cur_gen = atomic_load(&r->mark_gen) - 1; /* force a copy of the marks */
    close_fds(r);
    r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->tfd < 0 || r->efd < 0) {
        int e = errno;
        close_fds(r);
        return scope__error_sys(scope__code_from_errno(e), e,
                                "recorder: cannot create its timer/eventfd (raise the open-files "
                                "limit with ulimit -n if it is exhausted)");
    }
    size_t i;
    for (i = 0; i < r->n; i++) {
        struct member *m = &r->members[i];
        m->done = 0;
        scope__binding_reset(&m->bind);
        if (m->c->started)
            continue; /* started by the caller: sample it as it is */
        if ((rc = scope_collector_start(m->c)))
            break;
    }
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", scope_error_message());
        while (i-- > 0)
            scope_collector_stop(r->members[i].c);
        close_fds(r);
        return scope__error(rc, scope_error_errno(), "recorder: %s", msg);
    }
    if ((rc = pthread_create(&r->thread, NULL, run, r))) {
        for (i = 0; i < r->n; i++)
            scope_collector_stop(r->members[i].c);
        close_fds(r);
        return scope__error_sys(SCOPE_ELIMIT, rc, "recorder: cannot create its thread");
    }
    r->running = 1;
    return 0;
}

SCOPE_API int scope_recorder_stop(scope_recorder *r)
{
    if (!r)
        return SCOPE_EINVAL; /* no message: must stay async-signal-safe */
    if (r->efd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(r->efd, &one, sizeof one);
        (void)w;
    }
    return 0;
}

SCOPE_API int scope_recorder_wait(scope_recorder *r)
{
    if (!r)
        return scope__error(SCOPE_EINVAL, 0, "scope_recorder_wait: recorder is NULL");
    if (!r->running)
        return scope__error(SCOPE_ESTATE, 0, "recorder was not started");
    pthread_join(r->thread, NULL);
    r->running = 0;
    for (size_t i = 0; i < r->n; i++)
        scope_collector_stop(r->members[i].c);
    /* The eventfd stays open until the next start or free, so that a late
     * scope_recorder_stop() from another thread never writes to a closed
     * (possibly reused) descriptor. */
    close(r->tfd);
    r->tfd = -1;
    if (r->result == SCOPE_EUSER)
        return scope__error(SCOPE_EUSER, 0, "the recorder callback stopped the recording");
    if (r->result)
        return scope__error(r->result, 0, "recorder thread failed: %s",
                            scope_strerror(r->result));
    return 0;
}

SCOPE_API const scope_series_set *scope_recorder_series(const scope_recorder *r)
{
    return r ? r->set : NULL;
}

SCOPE_API uint64_t scope_recorder_sample_count(const scope_recorder *r)
{
    return r ? atomic_load(&((scope_recorder *)r)->samples) : 0;
}

SCOPE_API uint64_t scope_recorder_missed_count(const scope_recorder *r)
{
    return r ? atomic_load(&((scope_recorder *)r)->missed) : 0;
}

SCOPE_API uint64_t scope_recorder_error_count(const scope_recorder *r)
{
    return r ? atomic_load(&((scope_recorder *)r)->errors) : 0;
}

SCOPE_API const char *scope_recorder_last_error(const scope_recorder *r)
{
    return r ? r->last_error : "";
}
