/*
 * libscope internals: never installed, never included by examples or
 * bindings. Non-static helpers shared between areas are named scope__*;
 * the version script keeps them out of the dynamic symbol table.
 */
#ifndef SCOPE_INTERNAL_H
#define SCOPE_INTERNAL_H

#include "scope/scope.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__GNUC__)
#  define SCOPE__PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define SCOPE__UNUSED __attribute__((unused))
#else
#  define SCOPE__PRINTF(a, b)
#  define SCOPE__UNUSED
#endif

/* --- errors (lib/core/error.c) ------------------------------------------ */

/* Records the calling thread's last error and returns @code. @errnum is the
 * errno behind it (0 when none). The message should name cause and fix. */
int scope__error(int code, int errnum, const char *fmt, ...) SCOPE__PRINTF(3, 4);
/* Same, appending ": <strerror(errnum)>" to the message. */
int scope__error_sys(int code, int errnum, const char *fmt, ...) SCOPE__PRINTF(3, 4);
/* Maps an errno to the closest SCOPE_E* code. */
int scope__code_from_errno(int errnum);
/* SCOPE_ENOMEM with a message naming what was being allocated. */
int scope__enomem(const char *what);

/* --- options (lib/core/opts.c) ------------------------------------------ */

/* Validates a caller's size-tagged options struct and copies it into @dst
 * (known_size bytes, zero-filled first). NULL @opts gives all defaults.
 * Rejects size 0 or smaller than a size_t, and non-zero bytes past the
 * fields this library knows. @type names the struct in messages. */
int scope__opts_copy(void *dst, const void *opts, size_t known_size, const char *type);
/* Initialises a caller's options struct: zero it and set its size. */
int scope__opts_init(void *opts, size_t caller_size, size_t known_size, const char *type);

/* --- memory and strings (lib/core/util.c) ------------------------------- */

char *scope__strdup(const char *s);          /* NULL stays NULL */
char *scope__strndup(const char *s, size_t n);
/* Grows *ptr (element size @elem) to hold at least @need elements. */
int scope__grow(void **ptr, size_t *cap, size_t need, size_t elem);
/* printf into a fresh heap string; NULL on failure. */
char *scope__asprintf(const char *fmt, ...) SCOPE__PRINTF(1, 2);

/* A growable text buffer. */
typedef struct scope__buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: later appends are no-ops */
} scope__buf;
void scope__buf_append(scope__buf *b, const char *s, size_t n);
void scope__buf_puts(scope__buf *b, const char *s);
void scope__buf_printf(scope__buf *b, const char *fmt, ...) SCOPE__PRINTF(2, 3);
void scope__buf_free(scope__buf *b);

/* Re-reads a kept-open kernel file from offset 0 into @buf (at most cap-1
 * bytes, NUL-terminated), retrying on EINTR. Returns the length or -1 with
 * errno set. The sampling-path read of every collector. */
ssize_t scope__pread_text(int fd, char *buf, size_t cap);

/* Parsing helpers for kernel text files: all pure, no allocation. */
/* Parses an unsigned decimal at *p, skipping leading blanks; advances *p.
 * Returns 0 or -1 when no digit is there or it overflows. */
int scope__parse_u64(const char **p, const char *end, uint64_t *out);
/* Finds "key<space>value" lines (cgroup stat, /proc/<pid>/status) and returns
 * the value of @key; 0 when found, -1 otherwise. A trailing ":" on keys in
 * the file is accepted ("voluntary_ctxt_switches:\t12"). */
int scope__kv_u64(const char *text, size_t len, const char *key, uint64_t *out);

/* --- process collector (lib/proc/proc.c) -------------------------------- */
/* Parses /proc/<pid>/stat: comm (between the first "(" and the last ")")
 * into @comm when not NULL, and @nf numeric fields from field 4 (ppid) on
 * into @f (negative fields read as 0). Returns 0 or -1 on malformed text. */
int scope__proc_parse_stat(const char *text, size_t len, uint64_t *f, size_t nf, char *comm,
                           size_t comm_cap);

/* --- clock (lib/core/clock.c) ------------------------------------------- */
int64_t scope__wall_ns(void);
int64_t scope__mono_ns(void);

/* --- series (lib/series/series.c) --------------------------------------- */
/* Ends a series whatever its state (keeps the first end time). */
void scope__series_end(scope_series *s, int64_t end_ns);
/* Keeps the last @keep points of every series once a series holds more
 * than 2 * @keep (amortised: one memmove per @keep appends). */
void scope__series_set_trim(scope_series_set *set, size_t keep);

/* --- collectors (lib/collector/collector.c) ----------------------------- */

struct scope__metric {
    char *name, *unit, *help;
    int kind;
};

struct scope__slot {
    size_t metric;       /* index into the collector's metrics */
    char **keys, **values;
    size_t nlabels;
    int64_t end_ns;      /* 0 while the source lives */
};

struct scope__collector_ops {
    const char *type;
    /* Opens everything and registers slots. */
    int (*start)(scope_collector *c);
    /* Reads once; stores values with scope__collector_put(). Returns 0,
     * SCOPE_EGONE (all sources vanished) or another error. */
    int (*sample)(scope_collector *c, int64_t wall_ns);
    /* Optional: adds slots for new sources; returns how many. */
    int (*rescan)(scope_collector *c);
    /* Closes what start opened. */
    void (*stop)(scope_collector *c);
    /* Frees the implementation state (after stop). */
    void (*destroy)(scope_collector *c);
};

/* Where a collector's slots land in one series set: slot i -> series[i]. */
struct scope__binding {
    const scope_series_set *set;
    scope_series **series;
    size_t n, cap;
};

struct scope_collector {
    const struct scope__collector_ops *ops;
    void *impl;
    char *name;
    int started;
    struct scope__metric *metrics;
    size_t nmetrics, metrics_cap;
    struct scope__slot *slots;
    size_t nslots, slots_cap;
    double *values;          /* one per slot, filled by sample */
    unsigned char *present;  /* 1 when values[i] was set this sample */
    struct scope__binding own; /* used by scope_collector_sample() */
};

/* Creates the common part; takes ownership of nothing. */
int scope__collector_new(scope_collector **out, const struct scope__collector_ops *ops,
                         void *impl, const char *name);
/* Declares a metric; returns its index (>= 0) or an error. */
int scope__collector_add_metric(scope_collector *c, const char *name, const char *unit,
                                int kind, const char *help);
/* Declares a series of metric @metric with labels; returns the slot index
 * (>= 0) or an error. Grows the value arrays (allocation happens here, at
 * start or rescan, never while sampling). */
int scope__collector_add_slot(scope_collector *c, size_t metric, const char *const *keys,
                              const char *const *values, size_t nlabels);
/* Drops every slot (used by stop so that a restart re-registers them). */
void scope__collector_clear_slots(scope_collector *c);
static inline void scope__collector_put(scope_collector *c, size_t slot, double v)
{
    c->values[slot] = v;
    c->present[slot] = 1;
}
/* Marks a slot's source as gone at @end_ns. */
void scope__collector_end_slot(scope_collector *c, size_t slot, int64_t end_ns);
/* Samples @c once and appends to @b's set, adding @nx extra labels (recorder
 * marks) to series created now. */
int scope__collector_sample_into(scope_collector *c, struct scope__binding *b,
                                 scope_series_set *set, int64_t wall_ns,
                                 const char *const *xkeys, const char *const *xvalues,
                                 size_t nx);
void scope__binding_reset(struct scope__binding *b);

#endif /* SCOPE_INTERNAL_H */
