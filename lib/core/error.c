/* Error codes, names and the thread-local last error. */
#include "../internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SCOPE__MSG_MAX 1024

static _Thread_local struct {
    int code;
    int errnum;
    char msg[SCOPE__MSG_MAX];
} last;

static const struct {
    int code;
    const char *name;
    const char *text;
} codes[] = {
    {SCOPE_OK, "SCOPE_OK", "success"},
    {SCOPE_EINVAL, "SCOPE_EINVAL", "invalid argument"},
    {SCOPE_ENOMEM, "SCOPE_ENOMEM", "out of memory"},
    {SCOPE_ENOENT, "SCOPE_ENOENT", "no such object"},
    {SCOPE_EPERM, "SCOPE_EPERM", "permission denied"},
    {SCOPE_EIO, "SCOPE_EIO", "input/output error"},
    {SCOPE_ENOSPC, "SCOPE_ENOSPC", "buffer too small"},
    {SCOPE_ENOTSUP, "SCOPE_ENOTSUP", "not supported"},
    {SCOPE_ESTATE, "SCOPE_ESTATE", "wrong state for this call"},
    {SCOPE_EUSER, "SCOPE_EUSER", "aborted by a user callback"},
    {SCOPE_EPARSE, "SCOPE_EPARSE", "malformed input"},
    {SCOPE_ENET, "SCOPE_ENET", "network error"},
    {SCOPE_EHTTP, "SCOPE_EHTTP", "HTTP error status"},
    {SCOPE_ETIMEDOUT, "SCOPE_ETIMEDOUT", "timed out"},
    {SCOPE_EGONE, "SCOPE_EGONE", "target vanished"},
    {SCOPE_ENODEV, "SCOPE_ENODEV", "no such device"},
    {SCOPE_ELIMIT, "SCOPE_ELIMIT", "resource limit reached"},
    {SCOPE_EEXIST, "SCOPE_EEXIST", "already exists"},
    {SCOPE_ESERVER, "SCOPE_ESERVER", "server reported an error"},
    {SCOPE_EINTERNAL, "SCOPE_EINTERNAL", "internal error (a libscope bug)"},
};

SCOPE_API const char *scope_strerror(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return codes[i].text;
    return "unknown error";
}

SCOPE_API const char *scope_error_name(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return codes[i].name;
    return "SCOPE_EUNKNOWN";
}

SCOPE_API const char *scope_error_message(void) { return last.msg; }
SCOPE_API int scope_error_code(void) { return last.code; }
SCOPE_API int scope_error_errno(void) { return last.errnum; }

SCOPE_API void scope_error_clear(void)
{
    last.code = 0;
    last.errnum = 0;
    last.msg[0] = '\0';
}

static int verror(int code, int errnum, int with_sys, const char *fmt, va_list ap)
{
    /* Format into a scratch buffer first: callers may pass scope_error_message()
     * itself as an argument (wrapping an inner error). */
    char tmp[SCOPE__MSG_MAX];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0)
        n = 0;
    if (with_sys && errnum && (size_t)n < sizeof tmp) {
        char eb[128];
        const char *es = strerror_r(errnum, eb, sizeof eb);
        snprintf(tmp + n, sizeof tmp - (size_t)n, ": %s", es);
    }
    memcpy(last.msg, tmp, sizeof tmp);
    last.code = code;
    last.errnum = errnum;
    return code;
}

int scope__error(int code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(code, errnum, 0, fmt, ap);
    va_end(ap);
    return code;
}

int scope__error_sys(int code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(code, errnum, 1, fmt, ap);
    va_end(ap);
    return code;
}

int scope__enomem(const char *what)
{
    return scope__error(SCOPE_ENOMEM, ENOMEM, "out of memory allocating %s", what);
}

int scope__code_from_errno(int e)
{
    switch (e) {
    case 0: return SCOPE_OK;
    case ENOMEM: return SCOPE_ENOMEM;
    case ENOENT: case ENOTDIR: return SCOPE_ENOENT;
    case ESRCH: case ENODEV: return SCOPE_EGONE;
    case EACCES: case EPERM: case EROFS: return SCOPE_EPERM;
    case EINVAL: case ERANGE: return SCOPE_EINVAL;
    case EMFILE: case ENFILE: return SCOPE_ELIMIT;
    case ENOSPC: case EDQUOT: case EIO: return SCOPE_EIO;
    case EOPNOTSUPP: case ENOSYS: return SCOPE_ENOTSUP;
    case EEXIST: return SCOPE_EEXIST;
    case EBUSY: return SCOPE_ESTATE;
    case ETIMEDOUT: return SCOPE_ETIMEDOUT;
    case ECONNREFUSED: case ECONNRESET: case EHOSTUNREACH: case ENETUNREACH:
    case EPIPE: return SCOPE_ENET;
    default: return SCOPE_EIO;
    }
}
