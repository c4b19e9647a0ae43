/*
 * libscope: version macros and the run-time version query.
 *
 * The macros give the version of the headers a program was compiled with;
 * scope_version() and scope_version_number() give the version of the library
 * loaded at run time. A program (or the Python bindings) that needs API added
 * in minor release M checks scope_version_number() >= SCOPE_VERSION_NUMBER_OF(0, M, 0).
 *
 * Since: 0.1
 */
#ifndef SCOPE_VERSION_H
#define SCOPE_VERSION_H

#include "common.h"

#define SCOPE_VERSION_MAJOR 0
#define SCOPE_VERSION_MINOR 1
#define SCOPE_VERSION_PATCH 0
#define SCOPE_VERSION_STRING "0.1.0"

/** Packs a version into one integer: major * 10000 + minor * 100 + patch. */
#define SCOPE_VERSION_NUMBER_OF(major, minor, patch) \
    ((major) * 10000 + (minor) * 100 + (patch))
#define SCOPE_VERSION_NUMBER \
    SCOPE_VERSION_NUMBER_OF(SCOPE_VERSION_MAJOR, SCOPE_VERSION_MINOR, SCOPE_VERSION_PATCH)

SCOPE_BEGIN_DECLS

/**
 * scope_version - the loaded library's version as "major.minor.patch".
 *
 * Returns: a static string, never NULL; the caller must not free it.
 * Thread-safety: safe from any thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API const char *scope_version(void);

/**
 * scope_version_number - the loaded library's version as an integer
 * (SCOPE_VERSION_NUMBER_OF(major, minor, patch)).
 *
 * Returns: the version number (always positive).
 * Thread-safety: safe from any thread.
 * Errors: none.
 * Since: 0.1
 */
SCOPE_API int scope_version_number(void);

SCOPE_END_DECLS

#endif /* SCOPE_VERSION_H */
