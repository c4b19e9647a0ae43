/* The one clock module: wall-clock ns for timestamps, monotonic for deltas. */
#include "../internal.h"

#include <time.h>

static inline int64_t ns_of(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

int64_t scope__wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ns_of(&ts);
}

int64_t scope__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ns_of(&ts);
}

SCOPE_API void scope_clock_now(int64_t *wall_ns, int64_t *mono_ns)
{
    if (mono_ns)
        *mono_ns = scope__mono_ns();
    if (wall_ns)
        *wall_ns = scope__wall_ns();
}

SCOPE_API int64_t scope_clock_wall_ns(void) { return scope__wall_ns(); }
SCOPE_API int64_t scope_clock_mono_ns(void) { return scope__mono_ns(); }
