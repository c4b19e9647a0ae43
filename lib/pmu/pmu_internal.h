/*
 * libscope internals for perf_event PMUs: the sysfs PMU description parser
 * (type, format/, events/ with .scale and .unit), the event-spec parser
 * (perf's forms) and the optional libpfm4 encoder. Shared with other areas
 * (the uncore bandwidth collector reuses the sysfs parser); never installed.
 *
 * Everything here is pure or reads only the sysfs root it is given, so that
 * fixture trees (tests/fixtures/sysfs/...) stand in for a machine's
 * /sys/bus/event_source/devices.
 */
#ifndef SCOPE_PMU_INTERNAL_H
#define SCOPE_PMU_INTERNAL_H

#include "../internal.h"

#include <linux/perf_event.h>

/* The default sysfs root of perf PMUs. */
#define SCOPE__PMU_SYSFS_ROOT "/sys/bus/event_source/devices"

/* Resolves the sysfs root: @override when non-NULL and non-empty, else the
 * environment variable SCOPE_SYSFS_ROOT when set, else the default. */
const char *scope__pmu_sysfs_root(const char *override);

/* One format/<name> file: which attr field and which bits a term fills.
 * "config:0-7,32-35" has two ranges; the value's low bits fill the first
 * range, the next bits the second, and so on (the kernel's rule). */
#define SCOPE__PMU_FORMAT_RANGES 6
struct scope__pmu_format {
    char *name;
    int field; /* 0 config, 1 config1, 2 config2, 3 config3 */
    int nranges;
    uint8_t lo[SCOPE__PMU_FORMAT_RANGES], hi[SCOPE__PMU_FORMAT_RANGES];
};

/* One events/<name> alias, with its optional .scale and .unit files. */
struct scope__pmu_alias {
    char *name;
    char *terms; /* the file's content, blanks trimmed: "event=0x3c,umask=0x0" */
    double scale; /* 1 when there is no .scale file */
    char *unit;   /* "" when there is no .unit file */
};

typedef struct scope__pmu_info {
    char *name;
    uint32_t type;
    struct scope__pmu_format *formats;
    size_t nformats;
    struct scope__pmu_alias *aliases;
    size_t naliases;
    char *cpumask; /* content of the cpumask file, NULL when absent */
} scope__pmu_info;

/* Parses a format file's text ("config:0-7,32-35", "config1:0-63",
 * "config:21"). Pure; sets out->name to NULL. Returns 0 or SCOPE_EPARSE
 * (with a message naming @text). */
int scope__pmu_format_parse(const char *text, struct scope__pmu_format *out);

/* Total number of bits a format covers. */
unsigned scope__pmu_format_bits(const struct scope__pmu_format *f);

/* Scatters @value into @attr's field per @f. Returns 0, or SCOPE_EINVAL
 * (message names the term, the value and the bits) when @value has bits set
 * beyond the format's width. */
int scope__pmu_format_put(const struct scope__pmu_format *f, uint64_t value,
                          struct perf_event_attr *attr);

/* Loads <root>/<pmu>/{type, format/, events/, cpumask}. Returns 0,
 * SCOPE_ENOENT (no such PMU: message lists what exists), SCOPE_EPARSE or
 * SCOPE_ENOMEM. */
int scope__pmu_load(scope__pmu_info **out, const char *root, const char *pmu);
void scope__pmu_info_free(scope__pmu_info *p);

const struct scope__pmu_format *scope__pmu_find_format(const scope__pmu_info *p,
                                                       const char *name);
const struct scope__pmu_alias *scope__pmu_find_alias(const scope__pmu_info *p,
                                                     const char *name);

/* Encodes a perf term list ("event=0x3c,umask=0x1,any=1", "cas_count_read",
 * "config=0x1234,config1=5", a bare format name meaning 1) through @p's
 * format/ and events/ files into @attr (type set to p->type). An alias term
 * contributes its terms, scale and unit. @scale/@unit may be NULL.
 * Returns 0, SCOPE_ENOENT (unknown term: message lists the formats and a few
 * aliases) or SCOPE_EINVAL / SCOPE_EPARSE. */
int scope__pmu_encode_terms(const scope__pmu_info *p, const char *terms,
                            struct perf_event_attr *attr, double *scale,
                            const char **unit);

/* Lists the PMU directory names under @root, sorted. The caller frees with
 * scope__strv_free. Returns the count (>= 0) or a negative code. */
int scope__pmu_list(const char *root, char ***names);
void scope__strv_free(char **v, size_t n);

/* The core PMU's name under @root: "cpu", else "cpu_core" (hybrid), else
 * NULL when the machine has none (a VM without a virtual PMU). */
const char *scope__pmu_core_name(const char *root);

/* "software tracepoint uprobe ..." into @b: the PMUs that exist. */
void scope__pmu_describe_machine(scope__buf *b, const char *root);

/* --- event specs ---------------------------------------------------------- */

struct scope__evspec {
    char *name;    /* as written, without the group braces */
    char *pmu;     /* sysfs PMU name of the encoding, or NULL (generic, raw) */
    struct perf_event_attr attr;
    double scale;  /* multiply counts by it (sysfs .scale); 1 by default */
    char *unit;    /* "" by default */
    int group;     /* index of the group this event belongs to */
    int explicit_group; /* written inside {...} */
    int hardware;  /* needs a hardware PMU (not software/tracepoint) */
};

struct scope__evlist {
    struct scope__evspec *ev;
    size_t n, cap;
    int ngroups;
};

/* Flags for the parser. */
enum {
    SCOPE__EV_NO_LIBPFM = 1, /* never try libpfm4 */
};

/* Parses one event (no braces, no top-level list) into @out; @out->group is
 * left 0. Tries, in order: raw rNNNN, generic hardware / cache / software
 * names, pmu/terms/, bare aliases of the core PMU then of any PMU, libpfm4.
 * Modifiers :u :k :h (and G H D) are applied. Returns 0 or a code whose
 * message lists the forms tried and what the machine offers. */
int scope__event_parse(struct scope__evspec *out, const char *text, const char *root,
                       int flags);
/* Parses a comma-separated list with {...} groups (and {...}:mods). */
int scope__evlist_parse(struct scope__evlist *out, const char *spec, const char *root,
                        int flags);
void scope__evspec_free(struct scope__evspec *e);
void scope__evlist_free(struct scope__evlist *l);

/* --- libpfm4 (lib/pmu/pfm.c, prototypes in pfm_glue.h) ---------------------- */
#include "pfm_glue.h"

#endif /* SCOPE_PMU_INTERNAL_H */
