/*
 * libscope: common definitions shared by every public header.
 *
 * SCOPE_API marks every exported declaration (the library is built with
 * -fvisibility=hidden and a version script, so only scope_* symbols leave it).
 * SCOPE_BEGIN_DECLS / SCOPE_END_DECLS wrap declarations in extern "C" for C++.
 *
 * Since: 0.1
 */
#ifndef SCOPE_COMMON_H
#define SCOPE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  error "libscope targets Linux (perf_event, cgroups, /proc)"
#endif

#if defined(__GNUC__)
#  define SCOPE_API __attribute__((visibility("default")))
#else
#  define SCOPE_API
#endif

#ifdef __cplusplus
#  define SCOPE_BEGIN_DECLS extern "C" {
#  define SCOPE_END_DECLS }
#else
#  define SCOPE_BEGIN_DECLS
#  define SCOPE_END_DECLS
#endif

#endif /* SCOPE_COMMON_H */
