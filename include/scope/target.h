/*
 * libscope: targets - what to observe, shared by the collectors that take
 * one (cgroup, PMU counter groups): a process (with or without its
 * threads), one thread, a cgroup, a container, every process whose name
 * matches a pattern (the sidecar case: every `envoy` process and its
 * worker threads), or a list of CPUs.
 *
 * A target is a description; scope_target_resolve() turns it into the
 * tasks it covers now, each with the cgroup (and container) it is in.
 * Resolving again later picks up processes and threads started since.
 *
 * Since: 0.1
 */
#ifndef SCOPE_TARGET_H
#define SCOPE_TARGET_H

#include "common.h"
#include "cgroup.h"

SCOPE_BEGIN_DECLS

/** Kinds of target. */
typedef enum scope_target_kind {
    SCOPE_TARGET_PID = 1,       /**< one process (and its threads with the threads flag) */
    SCOPE_TARGET_TID = 2,       /**< one thread */
    SCOPE_TARGET_CGROUP = 3,    /**< the processes of a cgroup */
    SCOPE_TARGET_CONTAINER = 4, /**< the processes of a container's cgroup */
    SCOPE_TARGET_PATTERN = 5,   /**< processes whose name matches a glob */
    SCOPE_TARGET_CPUS = 6       /**< a list of CPUs (system-wide counting) */
} scope_target_kind;

/**
 * scope_target_kind_name - "pid", "tid", "cgroup", "container", "pattern",
 * "cpus" ("unknown" otherwise). Returns: a static string, never NULL.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API const char *scope_target_kind_name(int kind);

typedef struct scope_target scope_target;

/**
 * scope_target_parse - builds a target from text:
 *   "pid:<n>", "pid:<n>+threads", "tid:<n>",
 *   "cgroup:<anything scope_cgroup_resolve() takes>" (e.g. cgroup:/kubepods.slice),
 *   "container:<id>", "comm:<glob>", "comm:<glob>+threads", "cpus:<list>" (0-3,8).
 * @out: receives the target; free it with scope_target_free().
 * @spec: the text; copied.
 * Returns: 0; SCOPE_EINVAL (unknown kind or malformed value: the message
 * shows the accepted forms); SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_target_parse(scope_target **out, const char *spec);

/**
 * scope_target_free - frees @t (NULL allowed). Since: 0.1
 */
SCOPE_API void scope_target_free(scope_target *t);

/** scope_target_kind_of - the kind (a scope_target_kind), 0 for NULL. Since: 0.1 */
SCOPE_API int scope_target_kind_of(const scope_target *t);

/**
 * scope_target_cpu_count / scope_target_cpu_at - the CPUs of a "cpus"
 * target, ascending, without duplicates (count 0 for other kinds; at
 * returns -1 when out of range). Thread-safety: any thread. Since: 0.1
 */
SCOPE_API size_t scope_target_cpu_count(const scope_target *t);
SCOPE_API int scope_target_cpu_at(const scope_target *t, size_t i);

/** What a target covers now: one row per task. */
typedef struct scope_target_list scope_target_list;

/**
 * scope_target_resolve - lists the tasks a target covers now.
 *
 * pid: the process (one row, tid = pid), or each of its threads with
 * "+threads". tid: that thread. cgroup and container: every process in
 * the cgroup (cgroup.procs of the primary hierarchy), one row each.
 * pattern: every process whose name (comm, or the basename of argv[0] when
 * comm is truncated at 15 characters) matches the glob (fnmatch), and with
 * "+threads" each of their threads. cpus: no rows (use the cpu accessors).
 *
 * @out: receives the list; free it with scope_target_list_free().
 * @t: the target.
 * @mounts: cgroup mounts used for the cgroup column and for cgroup and
 *        container targets; NULL reads the live ones.
 * Returns: 0 (a pattern that matches nothing gives an empty list);
 * SCOPE_EGONE (the pid or tid does not exist); the errors of
 * scope_cgroup_resolve(); SCOPE_EINVAL; SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_target_resolve(scope_target_list **out, const scope_target *t,
                                   const scope_cgroup_mounts *mounts);

/** scope_target_list_free - frees @l (NULL allowed). Since: 0.1 */
SCOPE_API void scope_target_list_free(scope_target_list *l);

/** scope_target_list_count - number of rows (0 for NULL). Since: 0.1 */
SCOPE_API size_t scope_target_list_count(const scope_target_list *l);

/**
 * scope_target_list_at - row @i.
 * @pid, @tid: out (may be NULL): process and thread ids.
 * @comm: out (may be NULL): the process name (or the thread's name on
 *        thread rows), owned by the list.
 * @cgroup: out (may be NULL): the process's cgroup path in the primary
 *        hierarchy ("" when unknown), owned by the list.
 * @container: out (may be NULL): its container id, "" when not in a
 *        container, owned by the list.
 * Returns: 0 or SCOPE_EINVAL (NULL list or i out of range).
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_target_list_at(const scope_target_list *l, size_t i, int *pid, int *tid,
                                   const char **comm, const char **cgroup,
                                   const char **container);

SCOPE_END_DECLS

#endif /* SCOPE_TARGET_H */
