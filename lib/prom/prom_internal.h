/* Prometheus client internals: the streaming body parser and the transfer
 * engine shared by lib/prom/ (all files). */
#ifndef SCOPE_PROM_INTERNAL_H
#define SCOPE_PROM_INTERNAL_H

#include "../internal.h"

#define SCOPE__PROM_HEAD 256          /* bytes of the body kept for messages */
#define SCOPE__PROM_MAX_TOKEN (4u << 20) /* longest string/number token */
#define SCOPE__PROM_MAX_DEPTH 64
#define SCOPE__PROM_MAX_LABELS 64

struct scope__prom_frame {
    unsigned char obj;   /* 1 object, 0 array */
    unsigned char role;  /* what this container is */
    unsigned char krole; /* role of the value after the current key */
    size_t index;        /* elements seen so far (arrays) */
};

/* A growable list of owned strings. */
struct scope__strlist {
    char **v;
    size_t n, cap;
};
int scope__strlist_push(struct scope__strlist *l, const char *s, size_t len);
void scope__strlist_free(struct scope__strlist *l);

/* Streaming parser of an api/v1 envelope; the body of query and query_range
 * (matrix, vector, scalar, string) goes straight into @set. */
struct scope__prom_parser {
    /* configuration */
    scope_series_set *set;   /* not owned */
    const char *fallback;    /* series name without __name__ */
    int hist_policy;
    size_t expect_points;    /* per series, reserved up front (0: none) */
    /* body head, for messages about non-JSON bodies */
    char head[SCOPE__PROM_HEAD + 1];
    size_t head_len;
    size_t total;            /* bytes fed */
    /* tokenizer */
    char *carry;             /* an incomplete token kept between feeds */
    size_t carry_len, carry_cap;
    char *sbuf;              /* unescaped strings */
    size_t sbuf_cap;
    int st;                  /* grammar state */
    int depth;
    struct scope__prom_frame stack[SCOPE__PROM_MAX_DEPTH];
    int nonjson;             /* the body does not start with '{' */
    int failed;              /* a parse error stopped the parser */
    int err_code;
    char err[320];
    /* envelope */
    char *status, *error_type, *error;
    struct scope__strlist warnings, infos;
    int result_type;         /* enum scope_prom_result_type, 0 unknown */
    int seen_result;
    char *str_value;         /* a string result */
    int64_t scalar_ts;
    /* the series being read */
    char *lbuf;              /* label arena: key\0value\0... */
    size_t lbuf_len, lbuf_cap;
    size_t lkey[SCOPE__PROM_MAX_LABELS], lval[SCOPE__PROM_MAX_LABELS];
    size_t nl;
    int has_name;
    size_t name_off;
    scope_series *cur;
    int64_t *pts; double *pvs; /* points seen before "metric" */
    size_t pn, pcap;
    /* the pair being read */
    int64_t pair_ts;
    double pair_v;
    int pair_have_ts, pair_have_v;
    char *pair_str;          /* the second element of a string result */
    size_t hist_samples;     /* native-histogram samples met */
    char hist_series[128];   /* one series that had some, for the message */
    size_t points;
};

void scope__prom_parser_init(struct scope__prom_parser *ps, scope_series_set *set,
                             const char *fallback, int hist_policy);
/* Feeds bytes. Returns 0, or the error code once the parser failed (the
 * message is in ps->err). */
int scope__prom_parser_feed(struct scope__prom_parser *ps, const char *data, size_t len);
/* Ends the body: fails unless a whole JSON object was read. */
int scope__prom_parser_finish(struct scope__prom_parser *ps);
void scope__prom_parser_free(struct scope__prom_parser *ps);

/* Value and timestamp decoding (exposed for tests). */
int scope__prom_parse_value(const char *s, size_t len, double *out);
int scope__prom_parse_ts(const char *s, size_t len, int64_t *out_ns);
/* Quotes up to @max bytes of @s into @b, escaping control and non-ASCII
 * bytes, for messages. */
void scope__prom_quote(scope__buf *b, const char *s, size_t len, size_t max);

#endif
