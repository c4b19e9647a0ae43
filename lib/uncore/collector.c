/* The uncore bandwidth collector: one CPU-wide perf event per planned
 * counter, opened at start on the socket's cpumask CPU, read with one
 * read() each per sample (no allocation on the sample path), converted to
 * bytes since start per channel and per socket. */
#include "uncore_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { M_CH_READ, M_CH_WRITE, M_CH_TOTAL, M_S_READ, M_S_WRITE, M_S_TOTAL, M_COUNT };

struct ucol {
    scope_uncore_plan *plan;
    int metric[M_COUNT];
    int *fd;            /* one per counter, -1 when closed */
    double *base;       /* scaled count at start */
    double *cell;       /* [cells][3] bytes: read, write, total */
    double *sock;       /* [sockets][3] */
    long *cell_slot;    /* [cells][3] slot or -1 */
    long *sock_slot;    /* [sockets][3] */
    size_t ncells;
};

/* Explains a perf_event_open failure of an uncore counter. Pure but for the
 * message. @paranoid < -1 means unknown. */
int scope__uncore_open_error(int err, const char *pmu, const char *event, int cpu,
                             long paranoid);

int scope__uncore_open_error(int err, const char *pmu, const char *event, int cpu, long paranoid)
{
    switch (err) {
    case EACCES:
    case EPERM:
        if (paranoid >= -1)
            return scope__error_sys(SCOPE_EPERM, err,
                                    "perf_event_open(%s/%s/, cpu %d): perf_event_paranoid is %ld; "
                                    "uncore counters are system-wide and need "
                                    "perf_event_paranoid <= 0, CAP_PERFMON or root: run as root "
                                    "or set sysctl kernel.perf_event_paranoid=0",
                                    pmu, event, cpu, paranoid);
        return scope__error_sys(SCOPE_EPERM, err,
                                "perf_event_open(%s/%s/, cpu %d): uncore counters are "
                                "system-wide and need perf_event_paranoid <= 0, CAP_PERFMON or "
                                "root",
                                pmu, event, cpu);
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
    case EINVAL:
        return scope__error_sys(SCOPE_ENODEV, err,
                                "perf_event_open(%s/%s/, cpu %d): the kernel refused the uncore "
                                "event (the PMU or CPU %d is absent, offline or the sysfs root "
                                "describes another machine)",
                                pmu, event, cpu, cpu);
    case EMFILE:
    case ENFILE:
        return scope__error_sys(SCOPE_ELIMIT, err,
                                "perf_event_open(%s/%s/, cpu %d): out of file descriptors: raise "
                                "ulimit -n",
                                pmu, event, cpu);
    case EBUSY:
        return scope__error_sys(SCOPE_ELIMIT, err,
                                "perf_event_open(%s/%s/, cpu %d): the PMU's counters are taken "
                                "(another tool programs them): stop it or retry",
                                pmu, event, cpu);
    default:
        return scope__error_sys(scope__code_from_errno(err), err, "perf_event_open(%s/%s/, cpu %d)",
                                pmu, event, cpu);
    }
}

static long read_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
    long v = -2;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -2;
        fclose(f);
    }
    return v;
}

struct rd {
    uint64_t value, enabled, running;
};

static int read_scaled(int fd, double *out)
{
    struct rd r;
    ssize_t n = read(fd, &r, sizeof r);
    if (n != (ssize_t)sizeof r)
        return -1;
    if (r.running == 0)
        *out = 0;
    else if (r.running < r.enabled)
        *out = (double)r.value * ((double)r.enabled / (double)r.running);
    else
        *out = (double)r.value;
    return 0;
}

static void ucol_stop(scope_collector *c)
{
    struct ucol *u = c->impl;
    if (u->fd)
        for (size_t i = 0; i < u->plan->nctr; i++)
            if (u->fd[i] >= 0) {
                close(u->fd[i]);
                u->fd[i] = -1;
            }
}

static int add_slot(scope_collector *c, struct ucol *u, int m, const char *socket,
                    const char *channel, const char *pmu, long *slot)
{
    const char *keys[3] = {"socket", "channel", "pmu"};
    const char *vals[3] = {socket, channel, pmu};
    int rc = scope__collector_add_slot(c, (size_t)u->metric[m], keys,
                                       vals, channel ? 3 : 1);
    if (rc < 0)
        return rc;
    *slot = rc;
    return 0;
}

static int ucol_start(scope_collector *c)
{
    struct ucol *u = c->impl;
    const scope_uncore_plan *p = u->plan;
    long paranoid = -2;
    scope__collector_clear_slots(c);
    for (size_t i = 0; i < p->nctr; i++)
        u->fd[i] = -1;
    for (size_t i = 0; i < p->nctr; i++) {
        const struct scope__uncore_counter *k = &p->ctr[i];
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = k->type;
        attr.config = k->config;
        attr.config1 = k->config1;
        attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
        int fd = (int)syscall(SYS_perf_event_open, &attr, -1, k->cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e == EACCES || e == EPERM)
                paranoid = read_paranoid();
            int rc = scope__uncore_open_error(e, k->pmu, k->event, k->cpu, paranoid);
            ucol_stop(c);
            return rc;
        }
        u->fd[i] = fd;
    }
    /* Slots: per channel cell and per socket, for the directions present. */
    for (size_t i = 0; i < u->ncells * 3; i++)
        u->cell_slot[i] = -1;
    for (size_t i = 0; i < p->nsockets * 3; i++)
        u->sock_slot[i] = -1;
    int rc = 0;
    for (size_t i = 0; i < p->nctr && !rc; i++) {
        const struct scope__uncore_counter *k = &p->ctr[i];
        size_t cell = (size_t)k->sidx * p->nchannels + (size_t)k->channel;
        char sock[16], ch[16];
        snprintf(sock, sizeof sock, "%d", k->socket);
        snprintf(ch, sizeof ch, "%d", k->channel);
        int d = k->dir == SCOPE_UNCORE_READ ? 0 : k->dir == SCOPE_UNCORE_WRITE ? 1 : -1;
        if (d >= 0 && u->cell_slot[cell * 3 + (size_t)d] < 0)
            rc = add_slot(c, u, M_CH_READ + d, sock, ch, k->pmu, &u->cell_slot[cell * 3 + (size_t)d]);
        if (!rc && u->cell_slot[cell * 3 + 2] < 0)
            rc = add_slot(c, u, M_CH_TOTAL, sock, ch, k->pmu, &u->cell_slot[cell * 3 + 2]);
        if (!rc && d >= 0 && u->sock_slot[(size_t)k->sidx * 3 + (size_t)d] < 0)
            rc = add_slot(c, u, M_S_READ + d, sock, NULL, NULL,
                          &u->sock_slot[(size_t)k->sidx * 3 + (size_t)d]);
        if (!rc && u->sock_slot[(size_t)k->sidx * 3 + 2] < 0)
            rc = add_slot(c, u, M_S_TOTAL, sock, NULL, NULL, &u->sock_slot[(size_t)k->sidx * 3 + 2]);
    }
    for (size_t i = 0; i < p->nctr && !rc; i++)
        if (read_scaled(u->fd[i], &u->base[i]))
            rc = scope__error_sys(SCOPE_EIO, errno, "reading uncore counter %s/%s/ on cpu %d",
                                  p->ctr[i].pmu, p->ctr[i].event, p->ctr[i].cpu);
    if (rc) {
        ucol_stop(c);
        scope__collector_clear_slots(c);
    }
    return rc;
}

static int ucol_sample(scope_collector *c, int64_t wall_ns)
{
    (void)wall_ns;
    struct ucol *u = c->impl;
    const scope_uncore_plan *p = u->plan;
    memset(u->cell, 0, u->ncells * 3 * sizeof *u->cell);
    memset(u->sock, 0, p->nsockets * 3 * sizeof *u->sock);
    for (size_t i = 0; i < p->nctr; i++) {
        const struct scope__uncore_counter *k = &p->ctr[i];
        double v;
        if (read_scaled(u->fd[i], &v))
            return scope__error_sys(SCOPE_EIO, errno, "reading uncore counter %s/%s/ on cpu %d",
                                    k->pmu, k->event, k->cpu);
        double bytes = (v - u->base[i]) * k->bpc;
        if (bytes < 0)
            bytes = 0;
        size_t cell = (size_t)k->sidx * p->nchannels + (size_t)k->channel;
        int d = k->dir == SCOPE_UNCORE_READ ? 0 : k->dir == SCOPE_UNCORE_WRITE ? 1 : -1;
        if (d >= 0) {
            u->cell[cell * 3 + (size_t)d] += bytes;
            u->sock[(size_t)k->sidx * 3 + (size_t)d] += bytes;
        }
        u->cell[cell * 3 + 2] += bytes;
        u->sock[(size_t)k->sidx * 3 + 2] += bytes;
    }
    for (size_t i = 0; i < u->ncells * 3; i++)
        if (u->cell_slot[i] >= 0)
            scope__collector_put(c, (size_t)u->cell_slot[i], u->cell[i]);
    for (size_t i = 0; i < p->nsockets * 3; i++)
        if (u->sock_slot[i] >= 0)
            scope__collector_put(c, (size_t)u->sock_slot[i], u->sock[i]);
    return 0;
}

static void ucol_destroy(scope_collector *c)
{
    struct ucol *u = c->impl;
    if (!u)
        return;
    scope_uncore_plan_free(u->plan);
    free(u->fd);
    free(u->base);
    free(u->cell);
    free(u->sock);
    free(u->cell_slot);
    free(u->sock_slot);
    free(u);
}

static const struct scope__collector_ops ucol_ops = {
    .type = "uncore",
    .start = ucol_start,
    .sample = ucol_sample,
    .stop = ucol_stop,
    .destroy = ucol_destroy,
};

SCOPE_API int scope_uncore_open(scope_collector **out, const scope_uncore_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_uncore_open: out is NULL");
    *out = NULL;
    scope_uncore_plan *p;
    int rc = scope_uncore_plan_new(&p, opts);
    if (rc)
        return rc;
    struct ucol *u = calloc(1, sizeof *u);
    if (!u) {
        scope_uncore_plan_free(p);
        return scope__enomem("an uncore collector");
    }
    u->plan = p;
    u->ncells = p->nsockets * p->nchannels;
    size_t n = p->nctr;
    u->fd = malloc(n * sizeof *u->fd);
    u->base = calloc(n, sizeof *u->base);
    u->cell = calloc(u->ncells * 3, sizeof *u->cell);
    u->sock = calloc(p->nsockets * 3, sizeof *u->sock);
    u->cell_slot = calloc(u->ncells * 3, sizeof *u->cell_slot);
    u->sock_slot = calloc(p->nsockets * 3, sizeof *u->sock_slot);
    if (!u->fd || !u->base || !u->cell || !u->sock || !u->cell_slot || !u->sock_slot) {
        struct scope_collector tmp = {.impl = u};
        ucol_destroy(&tmp);
        return scope__enomem("an uncore collector");
    }
    for (size_t i = 0; i < n; i++)
        u->fd[i] = -1;
    char name[64];
    snprintf(name, sizeof name, "uncore:%s", scope_uncore_kind_name(p->kind));
    scope_collector *c;
    if ((rc = scope__collector_new(&c, &ucol_ops, u, name))) {
        struct scope_collector tmp = {.impl = u};
        ucol_destroy(&tmp);
        return rc;
    }
    static const struct {
        const char *name, *help;
    } md[M_COUNT] = {
        {"uncore_memory_read_bytes_total", "DRAM bytes read through one memory channel"},
        {"uncore_memory_write_bytes_total", "DRAM bytes written through one memory channel"},
        {"uncore_memory_bytes_total", "DRAM bytes read and written through one memory channel"},
        {"uncore_memory_socket_read_bytes_total", "DRAM bytes read by one socket"},
        {"uncore_memory_socket_write_bytes_total", "DRAM bytes written by one socket"},
        {"uncore_memory_socket_bytes_total", "DRAM bytes read and written by one socket"},
    };
    for (int i = 0; i < M_COUNT; i++) {
        int m = scope__collector_add_metric(c, md[i].name, "bytes", SCOPE_COUNTER, md[i].help);
        if (m < 0) {
            scope_collector_free(c);
            return m;
        }
        u->metric[i] = m;
    }
    *out = c;
    return 0;
}
