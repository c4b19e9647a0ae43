/*
 * libscope: the one clock every libscope timestamp comes from.
 *
 * Timestamps are int64_t nanoseconds. Series carry wall-clock time
 * (CLOCK_REALTIME, nanoseconds since the Unix epoch), so they line up with
 * Prometheus and with other machines; intervals and deltas are measured on
 * CLOCK_MONOTONIC, which never steps.
 *
 * Since: 0.1
 */
#ifndef SCOPE_CLOCK_H
#define SCOPE_CLOCK_H

#include "common.h"

SCOPE_BEGIN_DECLS

/**
 * scope_clock_now - reads the wall clock and the monotonic clock together.
 *
 * @wall_ns: out, CLOCK_REALTIME in ns since the epoch; may be NULL.
 * @mono_ns: out, CLOCK_MONOTONIC in ns; may be NULL.
 *
 * The two readings are taken back to back (the monotonic one between two
 * wall-clock reads is not attempted: the pair is accurate to the cost of one
 * clock_gettime, about 20-50 ns).
 * Thread-safety: safe from any thread.
 * Errors: none (clock_gettime on these clocks cannot fail on Linux).
 * Since: 0.1
 */
SCOPE_API void scope_clock_now(int64_t *wall_ns, int64_t *mono_ns);

/**
 * scope_clock_wall_ns - CLOCK_REALTIME in ns since the Unix epoch.
 * Thread-safety: safe from any thread. Errors: none. Since: 0.1
 */
SCOPE_API int64_t scope_clock_wall_ns(void);

/**
 * scope_clock_mono_ns - CLOCK_MONOTONIC in ns.
 * Thread-safety: safe from any thread. Errors: none. Since: 0.1
 */
SCOPE_API int64_t scope_clock_mono_ns(void);

SCOPE_END_DECLS

#endif /* SCOPE_CLOCK_H */
