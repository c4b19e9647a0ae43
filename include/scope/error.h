/*
 * libscope: error codes and the thread-local last error.
 *
 * Every fallible libscope function returns an int: 0 on success or one of the
 * negative SCOPE_E* codes below. The codes have fixed values that are never
 * renumbered or reused. On failure the function also records, for the calling
 * thread only, a message that names the cause and the fix, the code, and the
 * errno of the system call that failed (0 when none did). The record stays
 * until the next failure on the same thread or scope_error_clear().
 *
 * Since: 0.1
 */
#ifndef SCOPE_ERROR_H
#define SCOPE_ERROR_H

#include "common.h"

SCOPE_BEGIN_DECLS

/** Error codes. Values are part of the ABI: never renumbered, never reused. */
enum scope_error_code {
    SCOPE_OK = 0,
    SCOPE_EINVAL = -1,    /**< an argument or option is invalid */
    SCOPE_ENOMEM = -2,    /**< memory allocation failed */
    SCOPE_ENOENT = -3,    /**< no such object: file, series, event, cgroup, process */
    SCOPE_EPERM = -4,     /**< not permitted: privileges, perf_event_paranoid */
    SCOPE_EIO = -5,       /**< an I/O error reading or writing a file or pipe */
    SCOPE_ENOSPC = -6,    /**< a caller-provided buffer is too small */
    SCOPE_ENOTSUP = -7,   /**< not supported on this machine or kernel */
    SCOPE_ESTATE = -8,    /**< the handle is in the wrong state for this call */
    SCOPE_EUSER = -9,     /**< a user callback returned non-zero */
    SCOPE_EPARSE = -10,   /**< malformed input: file content, JSON, HTTP, CSV */
    SCOPE_ENET = -11,     /**< a network error: connect, send, receive, DNS */
    SCOPE_EHTTP = -12,    /**< an HTTP error status from a server */
    SCOPE_ETIMEDOUT = -13,/**< an operation ran past its time limit */
    SCOPE_EGONE = -14,    /**< the observed target (process, cgroup) vanished */
    SCOPE_ENODEV = -15,   /**< no such device or PMU on this machine */
    SCOPE_ELIMIT = -16,   /**< a resource limit was hit (file descriptors, counters) */
    SCOPE_EEXIST = -17,   /**< the object exists already */
    SCOPE_ESERVER = -18,  /**< a server answered with an API-level error */
    SCOPE_EINTERNAL = -19 /**< a bug in libscope: please report it */
};

/**
 * scope_strerror - a short static description of an error code.
 *
 * @code: a SCOPE_E* code (or SCOPE_OK); unknown values are accepted.
 * Returns: a static string, never NULL (for an unknown code: "unknown error").
 * Thread-safety: safe from any thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API const char *scope_strerror(int code);

/**
 * scope_error_name - the code's identifier, e.g. "SCOPE_EINVAL".
 *
 * @code: a SCOPE_E* code or SCOPE_OK.
 * Returns: a static string, never NULL ("SCOPE_EUNKNOWN" for unknown values).
 * Thread-safety: safe from any thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API const char *scope_error_name(int code);

/**
 * scope_error_message - the message of the calling thread's last error.
 *
 * Returns: a string owned by libscope, never NULL (empty when there was no
 * error), valid until the next libscope call on the same thread. Copy it to
 * keep it.
 * Thread-safety: per thread; each thread sees its own last error.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API const char *scope_error_message(void);

/**
 * scope_error_code - the SCOPE_E* code of the calling thread's last error.
 *
 * Returns: the code, or SCOPE_OK when no error was recorded since the last
 * scope_error_clear().
 * Thread-safety: per thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API int scope_error_code(void);

/**
 * scope_error_errno - the errno of the system call behind the calling
 * thread's last error.
 *
 * Returns: a positive errno value, or 0 when the error did not come from a
 * system call.
 * Thread-safety: per thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API int scope_error_errno(void);

/**
 * scope_error_clear - forgets the calling thread's last error.
 *
 * Thread-safety: per thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API void scope_error_clear(void);

SCOPE_END_DECLS

#endif /* SCOPE_ERROR_H */
