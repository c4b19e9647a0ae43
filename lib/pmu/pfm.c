/* Optional libpfm4 encoder: event name -> perf_event_attr bits. */
#include "pfm_glue.h"
#include "scope/error.h"

#include <stdio.h>
#include <string.h>

#ifdef SCOPE_HAVE_LIBPFM
#include <perfmon/pfmlib_perf_event.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_init_rc = -1;

static void pfm_init(void)
{
    pfm_init_rc = pfm_initialize();
}

int scope__pfm_available(void)
{
    return 1;
}

int scope__pfm_encode(const char *str, struct scope__pfm_enc *out, char *why, size_t whycap)
{
    pthread_once(&pfm_once, pfm_init);
    if (pfm_init_rc != PFM_SUCCESS) {
        if (why)
            snprintf(why, whycap, "libpfm4 failed to initialise: %s", pfm_strerror(pfm_init_rc));
        return SCOPE_ENOENT;
    }
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    int rc = pfm_get_os_event_encoding(str, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
    if (rc != PFM_SUCCESS) {
        if (why)
            snprintf(why, whycap, "libpfm4: %s", pfm_strerror(rc));
        return SCOPE_ENOENT;
    }
    free(arg.fstr);
    memset(out, 0, sizeof *out);
    out->type = attr.type;
    out->config = attr.config;
    out->config1 = attr.config1;
    out->config2 = attr.config2;
    out->exclude_user = attr.exclude_user;
    out->exclude_kernel = attr.exclude_kernel;
    out->exclude_hv = attr.exclude_hv;
    return 0;
}

#else

int scope__pfm_available(void)
{
    return 0;
}

int scope__pfm_encode(const char *str, struct scope__pfm_enc *out, char *why, size_t whycap)
{
    (void)str;
    (void)out;
    if (why)
        snprintf(why, whycap, "libscope was built without libpfm4");
    return SCOPE_ENOTSUP;
}

#endif
