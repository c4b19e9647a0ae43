/*
 * The libpfm4 glue's prototypes. Kept free of <linux/perf_event.h> because
 * libpfm4's own <perfmon/perf_event.h> redefines struct perf_event_attr, so
 * lib/pmu/pfm.c must not see both.
 */
#ifndef SCOPE_PFM_GLUE_H
#define SCOPE_PFM_GLUE_H

#include <stddef.h>
#include <stdint.h>

/* What libpfm4 produced for one event string. */
struct scope__pfm_enc {
    uint32_t type;
    uint64_t config, config1, config2;
    int exclude_user, exclude_kernel, exclude_hv;
};

/* 1 when libscope was built with libpfm4. */
int scope__pfm_available(void);
/* Encodes @str with libpfm4 (pfm_initialize runs once, behind pthread_once;
 * set LIBPFM_ENCODE_INACTIVE=1 before the first call to encode for other
 * CPUs). Returns 0; SCOPE_ENOENT when libpfm4 does not know @str (its
 * reason copied into @why, which may be NULL); SCOPE_ENOTSUP when libscope
 * was built without libpfm4. Sets no thread-local error. */
int scope__pfm_encode(const char *str, struct scope__pfm_enc *out, char *why, size_t whycap);

#endif
