/* Internals shared by lib/topdown's files. */
#ifndef SCOPE_TOPDOWN_PRIV_H
#define SCOPE_TOPDOWN_PRIV_H

#include "../internal.h"

/* One parsed `perf stat -x,` line. */
struct scope__csv_rec {
    double time;        /* -1 without -I */
    double value;
    double pcnt_running;
    int not_counted;    /* <not counted> / <not supported> */
    int row_kind;       /* 0: none; SCOPE_TOPDOWN_ROW_THREAD ("comm-tid") or _CPU ("CPUn") */
    long long row_id;   /* the tid or CPU number, -1 without a row */
    char row[256];      /* the row label as perf printed it, "" without */
    char event[512];
};

/* Parses one line of `perf stat -x, [-I N] [--per-thread | -A]` output: 0
 * (a record), 1 (blank or # comment), -1 (malformed). Pure. */
int scope__perf_csv_line(const char *line, struct scope__csv_rec *out);
/* Index of the active event @name denotes, or -1. */
int scope__topdown_find(const scope_topdown *td, const char *name);
/* Replaces all counts (and seen flags) at once. */
void scope__topdown_set_counts(scope_topdown *td, const double *counts,
                               const unsigned char *seen);

/* Adds @count to active event @i (no name lookup). */
void scope__topdown_add_index(scope_topdown *td, size_t i, double count);

#endif
