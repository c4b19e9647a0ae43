/* resctrl internals shared with the internal test suite. */
#ifndef SCOPE_RESCTRL_PRIV_H
#define SCOPE_RESCTRL_PRIV_H

#include "../internal.h"

/* Test-only stand-in for the kernel: a fake resctrl tree in a temporary
 * directory has no kernfs behind it, so after mkdir of a monitoring group
 * the test populates tasks and mon_data/, and before rmdir empties it.
 * NULL in production. */
struct scope__resctrl_hooks {
    int (*after_mkdir)(const char *dir, void *user_data);
    void (*before_rmdir)(const char *dir, void *user_data);
    void *user_data;
};
extern const struct scope__resctrl_hooks *scope__resctrl_test_hooks;

/* 1 when @name may be a monitoring group name (cannot leave mon_groups/). */
int scope__resctrl_name_ok(const char *name);
/* Parses a mon_data file: a decimal byte count; -1 for "Unavailable",
 * "Unassigned", "Error" or anything else. Pure. */
int scope__resctrl_parse(const char *text, size_t len, uint64_t *out);

#endif
