/* The streaming parser of Prometheus api/v1 query bodies.
 *
 * It is fed the body in whatever pieces libcurl delivers. A tokenizer finds
 * whole JSON tokens in each piece; a token cut by a piece boundary is kept
 * in a small carry buffer until the rest arrives. A grammar state machine
 * (a stack of containers) checks the JSON, and each container and value gets
 * a role from its path (root.data.result[i].values[j][0]...). Points go
 * straight into the series set's columns; nothing else of the body is kept.
 * Unknown keys are skipped (clients must ignore them). */
#include "prom_internal.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum role {
    R_IGNORE = 0, R_ROOT, R_STATUS, R_ERRTYPE, R_ERROR, R_WARNS, R_INFOS, R_WARN, R_INFO,
    R_DATA, R_RTYPE, R_RESULT, R_SERIES, R_METRIC, R_LABEL, R_VALUES, R_PAIR, R_TS, R_VAL,
    R_HISTS, R_HIST
};

enum state { S_VALUE, S_KEY_OR_CLOSE, S_KEY, S_COLON, S_VALUE_OR_CLOSE, S_COMMA_OR_CLOSE,
             S_DONE };

enum { TK_OBJ, TK_ARR, TK_STR, TK_NUM, TK_LIT };

int scope__strlist_push(struct scope__strlist *l, const char *s, size_t len)
{
    if (scope__grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
        return SCOPE_ENOMEM;
    char *c = scope__strndup(s, len);
    if (!c)
        return SCOPE_ENOMEM;
    l->v[l->n++] = c;
    return 0;
}

void scope__strlist_free(struct scope__strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void scope__prom_quote(scope__buf *b, const char *s, size_t len, size_t max)
{
    scope__buf_puts(b, "\"");
    size_t n = len < max ? len : max;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char t[2] = {'\\', (char)c};
            scope__buf_append(b, t, 2);
        } else if (c == '\n') {
            scope__buf_puts(b, "\\n");
        } else if (c < 0x20 || c >= 0x7f) {
            scope__buf_printf(b, "\\x%02x", c);
        } else {
            scope__buf_append(b, (const char *)&s[i], 1);
        }
    }
    scope__buf_puts(b, len > max ? "\"..." : "\"");
}

static int fail(struct scope__prom_parser *ps, int code, const char *fmt, ...) SCOPE__PRINTF(3, 4);
static int fail(struct scope__prom_parser *ps, int code, const char *fmt, ...)
{
    if (ps->failed)
        return ps->err_code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err, sizeof ps->err, fmt, ap);
    va_end(ap);
    ps->failed = 1;
    ps->err_code = code;
    return code;
}

void scope__prom_parser_init(struct scope__prom_parser *ps, scope_series_set *set,
                             const char *fallback, int hist_policy)
{
    memset(ps, 0, sizeof *ps);
    ps->set = set;
    ps->fallback = fallback && *fallback ? fallback : "value";
    ps->hist_policy = hist_policy;
    ps->st = S_VALUE;
}

void scope__prom_parser_free(struct scope__prom_parser *ps)
{
    free(ps->carry);
    free(ps->sbuf);
    free(ps->status);
    free(ps->error_type);
    free(ps->error);
    scope__strlist_free(&ps->warnings);
    scope__strlist_free(&ps->infos);
    free(ps->str_value);
    free(ps->lbuf);
    free(ps->pts);
    free(ps->pvs);
    free(ps->pair_str);
    memset(ps, 0, sizeof *ps);
}

/* --- numbers ------------------------------------------------------------ */

static const double pow10tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if defined(__x86_64__) && LDBL_MANT_DIG == 64
/* 1 when long double arithmetic really has a 64-bit mantissa, -1 when not
 * (e.g. under valgrind, which emulates x87 with doubles); 0 until checked.
 * Racing first calls compute the same answer. */
static int ext_ok;

static void ext_check(void)
{
    volatile long double big = 9223372036854775808.0L, one = 1.0L;
    long double sum = big + one;
    int r = (sum - big == one) ? 1 : -1;
    __atomic_store_n(&ext_ok, r, __ATOMIC_RELAXED);
}
#endif

/* Decimal text to double. Fast path (Clinger): a mantissa below 2^53 and a
 * power of ten up to 22 give the correctly rounded result in one IEEE
 * operation; everything else goes to strtod. Accepts exactly what Go's
 * strconv.FormatFloat writes plus "NaN", "+Inf", "-Inf". */
int scope__prom_parse_value(const char *s, size_t len, double *out)
{
    if (len == 0 || len > 400)
        return -1;
    if (len == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return 0;
    }
    if (len == 4 && (s[0] == '+' || s[0] == '-') && memcmp(s + 1, "Inf", 3) == 0) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    const char *p = s, *e = s + len;
    int neg = 0;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int digits = 0, exp10 = 0, any = 0, ok = 1;
    while (p < e && *p >= '0' && *p <= '9') {
        any = 1;
        if (digits < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (m)
                digits++;
        } else {
            exp10++;
            ok = 0;
        }
        p++;
    }
    if (p < e && *p == '.') {
        p++;
        while (p < e && *p >= '0' && *p <= '9') {
            any = 1;
            if (digits < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                if (m)
                    digits++;
                exp10--;
            } else {
                ok = 0;
            }
            p++;
        }
    }
    if (!any)
        return -1;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, ev = 0, edig = 0;
        if (p < e && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        while (p < e && *p >= '0' && *p <= '9') {
            if (ev < 100000)
                ev = ev * 10 + (*p - '0');
            edig++;
            p++;
        }
        if (!edig)
            return -1;
        exp10 += eneg ? -ev : ev;
    }
    if (p != e)
        return -1;
    if (ok && m < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 < 0 ? d / pow10tab[-exp10] : d * pow10tab[exp10];
        *out = neg ? -d : d;
        return 0;
    }
#if defined(__x86_64__) && LDBL_MANT_DIG == 64
    int ext = __atomic_load_n(&ext_ok, __ATOMIC_RELAXED);
    if (ext == 0) {
        ext_check();
        ext = __atomic_load_n(&ext_ok, __ATOMIC_RELAXED);
    }
    /* 17-19 digit mantissas (Go's shortest form often has 17): m and 10^k
     * (k <= 27) are exact in x87 extended precision, so one multiply or
     * divide rounds once to 64 bits. Rounding that to 53 bits gives the
     * correctly rounded double unless the extended result sits on a
     * midpoint between two doubles; those rare cases go to strtod. */
    if (ext > 0 && ok && exp10 >= -27 && exp10 <= 27 && m) {
        static const long double p10l[28] = {
            1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
            1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
            1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
        long double r = exp10 < 0 ? (long double)m / p10l[-exp10] : (long double)m * p10l[exp10];
        uint64_t mant;
        memcpy(&mant, &r, sizeof mant);
        unsigned low = (unsigned)(mant & 0x7ff);
        if (low < 0x3fe || low > 0x402) {
            double d = (double)r;
            *out = neg ? -d : d;
            return 0;
        }
    }
#endif
    char tmp[401];
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    double d = strtod(tmp, &end);
    if (end != tmp + len)
        return -1;
    *out = d;
    return 0;
}

/* Prometheus timestamps: seconds with up to 3 (we take up to 9) fraction
 * digits, exact; an exponent form falls back to strtod rounded to ms. */
int scope__prom_parse_ts(const char *s, size_t len, int64_t *out_ns)
{
    const char *p = s, *e = s + len;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    int64_t sec = 0;
    int n = 0;
    while (p < e && *p >= '0' && *p <= '9') {
        if (++n > 10)
            goto slow;
        sec = sec * 10 + (*p - '0');
        p++;
    }
    if (!n)
        return -1;
    int64_t frac = 0;
    if (p < e && *p == '.') {
        p++;
        int f = 0;
        while (p < e && *p >= '0' && *p <= '9') {
            if (f < 9) {
                frac = frac * 10 + (*p - '0');
                f++;
            }
            p++;
        }
        if (!f)
            return -1;
        while (f < 9) {
            frac *= 10;
            f++;
        }
    }
    if (p != e || sec > 9200000000LL)
        goto slow;
    *out_ns = (neg ? -1 : 1) * (sec * 1000000000LL + frac);
    return 0;
slow:;
    double d;
    if (scope__prom_parse_value(s, len, &d) || !isfinite(d) || fabs(d) > 9.2e9)
        return -1;
    *out_ns = (int64_t)llround(d * 1e3) * 1000000LL;
    return 0;
}

/* --- semantic actions ---------------------------------------------------- */

static int lbuf_add(struct scope__prom_parser *ps, const char *s, size_t n, size_t *off)
{
    if (scope__grow((void **)&ps->lbuf, &ps->lbuf_cap, ps->lbuf_len + n + 1, 1))
        return fail(ps, SCOPE_ENOMEM, "out of memory holding labels");
    memcpy(ps->lbuf + ps->lbuf_len, s, n);
    ps->lbuf[ps->lbuf_len + n] = '\0';
    *off = ps->lbuf_len;
    ps->lbuf_len += n + 1;
    return 0;
}

static void series_desc(struct scope__prom_parser *ps, char *out, size_t cap)
{
    const char *name = ps->has_name ? ps->lbuf + ps->name_off : ps->fallback;
    int w = snprintf(out, cap, "%s{", name);
    for (size_t i = 0; i < ps->nl && w > 0 && (size_t)w < cap; i++)
        w += snprintf(out + w, cap - (size_t)w, "%s%s=\"%s\"", i ? "," : "",
                      ps->lbuf + ps->lkey[i], ps->lbuf + ps->lval[i]);
    if (w > 0 && (size_t)w < cap)
        snprintf(out + w, cap - (size_t)w, "}");
}

static int make_series(struct scope__prom_parser *ps)
{
    const char *keys[SCOPE__PROM_MAX_LABELS], *vals[SCOPE__PROM_MAX_LABELS];
    for (size_t i = 0; i < ps->nl; i++) {
        keys[i] = ps->lbuf + ps->lkey[i];
        vals[i] = ps->lbuf + ps->lval[i];
    }
    const char *name = ps->has_name ? ps->lbuf + ps->name_off : ps->fallback;
    int rc = scope_series_set_add(&ps->cur, ps->set, name, keys, vals, ps->nl, NULL,
                                  SCOPE_GAUGE, NULL);
    if (rc == SCOPE_ENOMEM)
        return fail(ps, rc, "out of memory adding a series");
    if (rc == 0 && ps->expect_points && scope_series_count(ps->cur) == 0 &&
        scope_series_reserve(ps->cur, ps->expect_points))
        return fail(ps, SCOPE_ENOMEM, "out of memory reserving %zu points", ps->expect_points);
    if (rc) {
        char d[200];
        series_desc(ps, d, sizeof d);
        return fail(ps, SCOPE_ENOTSUP,
                    "series %s cannot be held by libscope's series model (%s); rename the "
                    "metric or labels in the query (label_replace) or set a valid fallback name",
                    d, scope_error_message());
    }
    if (ps->pn) {
        if (scope_series_append_n(ps->cur, ps->pts, ps->pvs, ps->pn)) {
            if (scope_error_code() == SCOPE_ENOMEM)
                return fail(ps, SCOPE_ENOMEM, "out of memory storing points");
            return fail(ps, SCOPE_EPARSE, "points of a series are out of time order (%s)",
                        scope_error_message());
        }
        ps->points += ps->pn;
        ps->pn = 0;
    }
    return 0;
}

static int emit_point(struct scope__prom_parser *ps)
{
    if (ps->cur) {
        if (scope_series_append(ps->cur, ps->pair_ts, ps->pair_v)) {
            if (scope_error_code() == SCOPE_ENOMEM)
                return fail(ps, SCOPE_ENOMEM, "out of memory storing points");
            return fail(ps, SCOPE_EPARSE, "%s", scope_error_message());
        }
        ps->points++;
        return 0;
    }
    if (ps->pn == ps->pcap) {
        size_t nc = ps->pcap ? ps->pcap * 2 : 64;
        int64_t *t = realloc(ps->pts, nc * sizeof *t);
        if (!t)
            return fail(ps, SCOPE_ENOMEM, "out of memory buffering points");
        ps->pts = t;
        double *v = realloc(ps->pvs, nc * sizeof *v);
        if (!v)
            return fail(ps, SCOPE_ENOMEM, "out of memory buffering points");
        ps->pvs = v;
        ps->pcap = nc;
    }
    ps->pts[ps->pn] = ps->pair_ts;
    ps->pvs[ps->pn] = ps->pair_v;
    ps->pn++;
    return 0;
}

static int key_role(struct scope__prom_parser *ps, int parent, const char *k, size_t n)
{
#define K(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)
    switch (parent) {
    case R_ROOT:
        if (K("status")) return R_STATUS;
        if (K("data")) return R_DATA;
        if (K("errorType")) return R_ERRTYPE;
        if (K("error")) return R_ERROR;
        if (K("warnings")) return R_WARNS;
        if (K("infos")) return R_INFOS;
        return R_IGNORE;
    case R_DATA:
        if (K("resultType")) return R_RTYPE;
        if (K("result")) return R_RESULT;
        return R_IGNORE;
    case R_SERIES:
        if (K("metric")) return R_METRIC;
        if (K("values")) return R_VALUES;
        if (K("value")) return R_PAIR;
        if (K("histograms")) return R_HISTS;
        if (K("histogram")) return R_HIST;
        return R_IGNORE;
    case R_METRIC: {
        if (K("__name__")) {
            ps->has_name = 2; /* the value that follows is the name */
            return R_LABEL;
        }
        if (ps->nl >= SCOPE__PROM_MAX_LABELS)
            return fail(ps, SCOPE_ENOTSUP, "a series has more than %d labels",
                        SCOPE__PROM_MAX_LABELS), R_IGNORE;
        if (lbuf_add(ps, k, n, &ps->lkey[ps->nl]))
            return R_IGNORE;
        return R_LABEL;
    }
    default:
        return R_IGNORE;
    }
#undef K
}

/* The role of a value about to start, from its parent (-1: a pair with a
 * third element). */
static int child_role(struct scope__prom_parser *ps, int tk)
{
    (void)tk;
    if (ps->depth == 0)
        return R_ROOT;
    struct scope__prom_frame *f = &ps->stack[ps->depth - 1];
    if (f->obj)
        return f->krole;
    switch (f->role) {
    case R_WARNS: return R_WARN;
    case R_INFOS: return R_INFO;
    case R_RESULT:
        if (ps->result_type == SCOPE_PROM_SCALAR || ps->result_type == SCOPE_PROM_STRING)
            return f->index == 0 ? R_TS : f->index == 1 ? R_VAL : -1;
        return R_SERIES;
    case R_VALUES: return R_PAIR;
    case R_PAIR: return f->index == 0 ? R_TS : f->index == 1 ? R_VAL : -1;
    case R_HISTS: return R_HIST;
    default: return R_IGNORE;
    }
}

static int rtype_of(const char *s, size_t n)
{
    if (n == 6 && !memcmp(s, "matrix", 6)) return SCOPE_PROM_MATRIX;
    if (n == 6 && !memcmp(s, "vector", 6)) return SCOPE_PROM_VECTOR;
    if (n == 6 && !memcmp(s, "scalar", 6)) return SCOPE_PROM_SCALAR;
    if (n == 6 && !memcmp(s, "string", 6)) return SCOPE_PROM_STRING;
    return -1;
}

static const char *tk_name(int tk)
{
    switch (tk) {
    case TK_OBJ: return "an object";
    case TK_ARR: return "an array";
    case TK_STR: return "a string";
    case TK_NUM: return "a number";
    default: return "a literal";
    }
}

static const char *role_name(int r)
{
    switch (r) {
    case R_ROOT: return "the body";
    case R_STATUS: return "status";
    case R_ERRTYPE: return "errorType";
    case R_ERROR: return "error";
    case R_WARNS: case R_INFOS: return "warnings/infos";
    case R_WARN: case R_INFO: return "a warning";
    case R_DATA: return "data";
    case R_RTYPE: return "data.resultType";
    case R_RESULT: return "data.result";
    case R_SERIES: return "a result element";
    case R_METRIC: return "metric";
    case R_LABEL: return "a label value";
    case R_VALUES: return "values";
    case R_PAIR: return "a [time, value] pair";
    case R_TS: return "a sample time";
    case R_VAL: return "a sample value";
    case R_HISTS: return "histograms";
    default: return "a value";
    }
}

static int expect(struct scope__prom_parser *ps, int role, int tk)
{
    int want;
    switch (role) {
    case R_IGNORE: case R_HIST: return 0;
    case R_ROOT: case R_SERIES: case R_METRIC: want = TK_OBJ; break;
    case R_DATA: want = TK_OBJ; break;
    case R_WARNS: case R_INFOS: case R_RESULT: case R_VALUES: case R_PAIR: case R_HISTS:
        want = TK_ARR; break;
    case R_TS: want = TK_NUM; break;
    default: want = TK_STR; break;
    }
    if (role == R_RESULT && (ps->result_type == SCOPE_PROM_SCALAR ||
                             ps->result_type == SCOPE_PROM_STRING))
        want = TK_ARR;
    if (tk == want)
        return 0;
    if (role == R_ERROR && tk == TK_LIT)
        return 0; /* "error": null from some proxies */
    return fail(ps, SCOPE_EPARSE, "%s is %s where %s was expected", role_name(role),
                tk_name(tk), tk_name(want));
}

static int open_container(struct scope__prom_parser *ps, int obj)
{
    int tk = obj ? TK_OBJ : TK_ARR;
    int role = child_role(ps, tk);
    if (role < 0)
        return fail(ps, SCOPE_EPARSE, "a [time, value] pair has more than 2 elements");
    if (expect(ps, role, tk))
        return ps->err_code;
    if (ps->depth == SCOPE__PROM_MAX_DEPTH)
        return fail(ps, SCOPE_EPARSE, "JSON nested deeper than %d levels",
                    SCOPE__PROM_MAX_DEPTH);
    if (ps->depth > 0 && ps->stack[ps->depth - 1].role == R_IGNORE)
        role = R_IGNORE;
    switch (role) {
    case R_RESULT:
        if (!ps->result_type)
            return fail(ps, SCOPE_EPARSE,
                        "data.result comes before data.resultType (or resultType is missing)");
        ps->seen_result = 1;
        ps->pair_have_ts = ps->pair_have_v = 0;
        break;
    case R_SERIES:
        ps->cur = NULL;
        ps->nl = 0;
        ps->lbuf_len = 0;
        ps->has_name = 0;
        ps->pn = 0;
        break;
    case R_PAIR:
        ps->pair_have_ts = ps->pair_have_v = 0;
        break;
    case R_HIST:
        ps->hist_samples++;
        if (!ps->hist_series[0])
            series_desc(ps, ps->hist_series, sizeof ps->hist_series);
        break;
    default:
        break;
    }
    struct scope__prom_frame *f = &ps->stack[ps->depth++];
    f->obj = (unsigned char)obj;
    f->role = (unsigned char)role;
    f->krole = R_IGNORE;
    f->index = 0;
    return 0;
}

static int end_pair(struct scope__prom_parser *ps)
{
    if (!ps->pair_have_ts || !ps->pair_have_v)
        return fail(ps, SCOPE_EPARSE, "a [time, value] pair has fewer than 2 elements");
    return emit_point(ps);
}

static int close_container(struct scope__prom_parser *ps)
{
    struct scope__prom_frame *f = &ps->stack[--ps->depth];
    switch (f->role) {
    case R_PAIR:
        return end_pair(ps);
    case R_METRIC:
        return make_series(ps);
    case R_SERIES:
        if (!ps->cur)
            return make_series(ps);
        ps->cur = NULL;
        return 0;
    case R_RESULT:
        if (ps->result_type == SCOPE_PROM_SCALAR || ps->result_type == SCOPE_PROM_STRING) {
            if (!ps->pair_have_ts || !ps->pair_have_v)
                return fail(ps, SCOPE_EPARSE, "a scalar or string result is not [time, value]");
            ps->scalar_ts = ps->pair_ts;
            if (ps->result_type == SCOPE_PROM_SCALAR) {
                ps->nl = 0;
                ps->has_name = 0;
                ps->pn = 0;
                if (make_series(ps) || emit_point(ps))
                    return ps->err_code;
                ps->cur = NULL;
            }
        }
        return 0;
    default:
        return 0;
    }
}

static int on_scalar(struct scope__prom_parser *ps, int tk, const char *s, size_t n)
{
    int role = child_role(ps, tk);
    if (role < 0)
        return fail(ps, SCOPE_EPARSE, "a [time, value] pair has more than 2 elements");
    if (ps->depth > 0 && ps->stack[ps->depth - 1].role == R_IGNORE)
        return 0;
    if (expect(ps, role, tk))
        return ps->err_code;
    switch (role) {
    case R_STATUS:
        free(ps->status);
        if (!(ps->status = scope__strndup(s, n)))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
        break;
    case R_ERRTYPE:
        free(ps->error_type);
        if (!(ps->error_type = scope__strndup(s, n < 200 ? n : 200)))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
        break;
    case R_ERROR:
        if (tk != TK_STR)
            break;
        free(ps->error);
        if (!(ps->error = scope__strndup(s, n < 2000 ? n : 2000)))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
        break;
    case R_WARN:
        if (scope__strlist_push(&ps->warnings, s, n))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
        break;
    case R_INFO:
        if (scope__strlist_push(&ps->infos, s, n))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
        break;
    case R_RTYPE:
        ps->result_type = rtype_of(s, n);
        if (ps->result_type < 0)
            return fail(ps, SCOPE_EPARSE, "unknown resultType \"%.*s\"", (int)(n < 40 ? n : 40),
                        s);
        break;
    case R_LABEL:
        if (ps->has_name == 2) {
            if (lbuf_add(ps, s, n, &ps->name_off))
                return ps->err_code;
            ps->has_name = 1;
        } else {
            if (lbuf_add(ps, s, n, &ps->lval[ps->nl]))
                return ps->err_code;
            ps->nl++;
        }
        break;
    case R_TS:
        if (scope__prom_parse_ts(s, n, &ps->pair_ts))
            return fail(ps, SCOPE_EPARSE, "sample time %.*s is not a number of seconds",
                        (int)(n < 40 ? n : 40), s);
        ps->pair_have_ts = 1;
        break;
    case R_VAL:
        if (ps->result_type == SCOPE_PROM_STRING) {
            free(ps->str_value);
            if (!(ps->str_value = scope__strndup(s, n)))
                return fail(ps, SCOPE_ENOMEM, "out of memory");
            ps->pair_have_v = 1;
            break;
        }
        if (scope__prom_parse_value(s, n, &ps->pair_v))
            return fail(ps, SCOPE_EPARSE, "sample value \"%.*s\" is not a number",
                        (int)(n < 40 ? n : 40), s);
        ps->pair_have_v = 1;
        break;
    default:
        break;
    }
    return 0;
}

/* --- tokenizer ------------------------------------------------------------ */

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexv(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

/* Unescapes the string body [s, s+n) into ps->sbuf. */
static int unescape(struct scope__prom_parser *ps, const char *s, size_t n, size_t *outn)
{
    if (scope__grow((void **)&ps->sbuf, &ps->sbuf_cap, n + 1, 1))
        return fail(ps, SCOPE_ENOMEM, "out of memory");
    char *o = ps->sbuf;
    const char *e = s + n;
    while (s < e) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        s++;
        if (s >= e)
            return fail(ps, SCOPE_EPARSE, "bad escape in a JSON string");
        char c = *s++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (e - s < 4 || hex4(s, &cp))
                return fail(ps, SCOPE_EPARSE, "bad \\u escape in a JSON string");
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return fail(ps, SCOPE_EPARSE, "unpaired surrogate in a JSON string");
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(ps, SCOPE_EPARSE, "unpaired surrogate in a JSON string");
            }
            if (cp == 0)
                return fail(ps, SCOPE_EPARSE, "NUL character in a JSON string");
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            return fail(ps, SCOPE_EPARSE, "bad escape \\%c in a JSON string", c);
        }
    }
    *outn = (size_t)(o - ps->sbuf);
    return 0;
}

static int after_value(struct scope__prom_parser *ps)
{
    if (ps->depth == 0) {
        ps->st = S_DONE;
    } else {
        ps->stack[ps->depth - 1].index++;
        ps->st = S_COMMA_OR_CLOSE;
    }
    return 0;
}

static int is_value_state(int st) { return st == S_VALUE || st == S_VALUE_OR_CLOSE; }

/* The hot path: a whole `[<seconds>,"<value>"]` pair of a matrix "values"
 * array, in plain form (no blanks, exponents or escapes), read in one go.
 * Returns the bytes used, or 0 to let the general tokenizer handle it. */
static size_t fast_pair(struct scope__prom_parser *ps, const char *p, const char *e)
{
    const char *q = p + 1, *ns = q;
    if (q < e && *q == '-')
        q++;
    const char *d0 = q;
    while (q < e && *q >= '0' && *q <= '9')
        q++;
    if (q == d0 || q >= e)
        return 0;
    if (*q == '.') {
        const char *f0 = ++q;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
        if (q == f0 || q >= e)
            return 0;
    }
    size_t nlen = (size_t)(q - ns);
    if (*q != ',' || q + 1 >= e || q[1] != '"')
        return 0;
    q += 2;
    const char *vs = q;
    while (q < e && *q != '"') {
        if (*q == '\\' || (unsigned char)*q < 0x20)
            return 0;
        q++;
    }
    if (q + 1 >= e || q[1] != ']')
        return 0;
    if (nlen > 1 && ns[0] == '0' && ns[1] >= '0' && ns[1] <= '9')
        return 0; /* leading zero: let the tokenizer report it */
    if (scope__prom_parse_ts(ns, nlen, &ps->pair_ts) ||
        scope__prom_parse_value(vs, (size_t)(q - vs), &ps->pair_v))
        return 0;
    if (emit_point(ps))
        return 0;
    return (size_t)(q + 2 - p);
}

/* Processes whole tokens of [buf, buf+len). Returns the bytes consumed; the
 * rest is an incomplete token (more input needed). On error ps->failed. */
static size_t scan(struct scope__prom_parser *ps, const char *buf, size_t len, int final)
{
    const char *p = buf, *e = buf + len;
    while (!ps->failed) {
        while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p == e)
            break;
        char c = *p;
        if (ps->st == S_DONE) {
            fail(ps, SCOPE_EPARSE, "data after the end of the JSON body");
            break;
        }
        switch (c) {
        case '[':
            if (ps->st == S_COMMA_OR_CLOSE || ps->depth == 0)
                goto generic_open;
            {
                struct scope__prom_frame *tf = &ps->stack[ps->depth - 1];
                if (tf->role == R_VALUES && is_value_state(ps->st)) {
                    size_t used = fast_pair(ps, p, e);
                    if (ps->failed)
                        break;
                    if (used) {
                        tf->index++;
                        ps->st = S_COMMA_OR_CLOSE;
                        p += used;
                        continue;
                    }
                }
            }
            /* fall through */
        case '{':
        generic_open:
            if (!is_value_state(ps->st)) {
                fail(ps, SCOPE_EPARSE, "unexpected '%c' in JSON", c);
                break;
            }
            if (open_container(ps, c == '{'))
                break;
            ps->st = c == '{' ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
            p++;
            continue;
        case '}':
        case ']': {
            if (ps->depth == 0 || ps->stack[ps->depth - 1].obj != (c == '}') ||
                !(ps->st == S_COMMA_OR_CLOSE ||
                  ps->st == (c == '}' ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE))) {
                fail(ps, SCOPE_EPARSE, "unexpected '%c' in JSON", c);
                break;
            }
            if (close_container(ps))
                break;
            after_value(ps);
            p++;
            continue;
        }
        case ':':
            if (ps->st != S_COLON) {
                fail(ps, SCOPE_EPARSE, "unexpected ':' in JSON");
                break;
            }
            ps->st = S_VALUE;
            p++;
            continue;
        case ',':
            if (ps->st != S_COMMA_OR_CLOSE) {
                fail(ps, SCOPE_EPARSE, "unexpected ',' in JSON");
                break;
            }
            ps->st = ps->stack[ps->depth - 1].obj ? S_KEY : S_VALUE;
            p++;
            continue;
        case '"': {
            const char *q = p + 1;
            int esc = 0;
            for (;;) {
                const char *r = memchr(q, '"', (size_t)(e - q));
                if (!r) {
                    q = NULL;
                    break;
                }
                /* count backslashes before the quote */
                const char *b = r;
                while (b > p + 1 && b[-1] == '\\')
                    b--;
                if (((r - b) & 1) == 0) {
                    if (!esc)
                        esc = memchr(p + 1, '\\', (size_t)(r - p - 1)) != NULL;
                    q = r;
                    break;
                }
                esc = 1;
                q = r + 1;
            }
            if (!q) {
                if (final)
                    fail(ps, SCOPE_EPARSE, "the body ends inside a JSON string (truncated)");
                return (size_t)(p - buf);
            }
            const char *s = p + 1;
            size_t n = (size_t)(q - s);
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20) {
                    fail(ps, SCOPE_EPARSE, "control character in a JSON string");
                    break;
                }
            if (ps->failed)
                break;
            if (esc) {
                if (unescape(ps, s, n, &n))
                    break;
                s = ps->sbuf;
            }
            if (ps->st == S_KEY_OR_CLOSE || ps->st == S_KEY) {
                struct scope__prom_frame *f = &ps->stack[ps->depth - 1];
                f->krole = f->role == R_IGNORE
                               ? R_IGNORE
                               : (unsigned char)key_role(ps, f->role, s, n);
                ps->st = S_COLON;
            } else if (is_value_state(ps->st)) {
                if (on_scalar(ps, TK_STR, s, n))
                    break;
                after_value(ps);
            } else {
                fail(ps, SCOPE_EPARSE, "unexpected string in JSON");
                break;
            }
            p = q + 1;
            continue;
        }
        default: {
            if (!is_value_state(ps->st)) {
                fail(ps, SCOPE_EPARSE, "unexpected '%c' in JSON", isprint((unsigned char)c) ? c : '?');
                break;
            }
            const char *q = p;
            int tk;
            if (c == '-' || (c >= '0' && c <= '9')) {
                tk = TK_NUM;
                while (q < e && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' ||
                                 *q == '.' || *q == 'e' || *q == 'E'))
                    q++;
            } else if (c == 't' || c == 'f' || c == 'n') {
                tk = TK_LIT;
                while (q < e && *q >= 'a' && *q <= 'z')
                    q++;
            } else {
                fail(ps, SCOPE_EPARSE, "unexpected byte 0x%02x in JSON", (unsigned char)c);
                break;
            }
            if (q == e && !final)
                return (size_t)(p - buf);
            size_t n = (size_t)(q - p);
            if (tk == TK_LIT && !((n == 4 && !memcmp(p, "true", 4)) ||
                                  (n == 5 && !memcmp(p, "false", 5)) ||
                                  (n == 4 && !memcmp(p, "null", 4)))) {
                fail(ps, SCOPE_EPARSE, "bad literal in JSON");
                break;
            }
            if (tk == TK_NUM) {
                /* JSON number syntax */
                const char *r = p;
                if (*r == '-')
                    r++;
                int okn = r < q && *r >= '0' && *r <= '9' && !(*r == '0' && r + 1 < q &&
                                                                r[1] >= '0' && r[1] <= '9');
                while (r < q && *r >= '0' && *r <= '9')
                    r++;
                if (okn && r < q && *r == '.') {
                    r++;
                    okn = r < q && *r >= '0' && *r <= '9';
                    while (r < q && *r >= '0' && *r <= '9')
                        r++;
                }
                if (okn && r < q && (*r == 'e' || *r == 'E')) {
                    r++;
                    if (r < q && (*r == '+' || *r == '-'))
                        r++;
                    okn = r < q && *r >= '0' && *r <= '9';
                    while (r < q && *r >= '0' && *r <= '9')
                        r++;
                }
                if (!okn || r != q) {
                    fail(ps, SCOPE_EPARSE, "bad number in JSON");
                    break;
                }
            }
            if (on_scalar(ps, tk, p, n))
                break;
            after_value(ps);
            p = q;
            continue;
        }
        }
        break;
    }
    return (size_t)(p - buf);
}

int scope__prom_parser_feed(struct scope__prom_parser *ps, const char *data, size_t len)
{
    if (ps->failed)
        return ps->err_code;
    if (ps->head_len < SCOPE__PROM_HEAD) {
        size_t k = SCOPE__PROM_HEAD - ps->head_len;
        if (k > len)
            k = len;
        memcpy(ps->head + ps->head_len, data, k);
        ps->head_len += k;
        ps->head[ps->head_len] = '\0';
    }
    if (ps->total == 0 || (ps->depth == 0 && ps->st == S_VALUE)) {
        /* the first non-blank byte decides whether this is JSON at all */
        size_t i = 0;
        while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' ||
                           data[i] == '\t'))
            i++;
        if (i < len && data[i] != '{')
            ps->nonjson = 1;
    }
    ps->total += len;
    if (ps->nonjson)
        return 0;
    size_t off = 0;
    if (ps->carry_len) {
        /* complete the cut token with as few new bytes as possible, then go
         * on scanning the new piece in place */
        size_t old = ps->carry_len, k = 0, want = len < 256 ? len : 256;
        for (;;) {
            if (scope__grow((void **)&ps->carry, &ps->carry_cap, old + want, 1))
                return fail(ps, SCOPE_ENOMEM, "out of memory");
            memcpy(ps->carry + old + k, data + k, want - k);
            ps->carry_len = old + want;
            k = want;
            size_t used = scan(ps, ps->carry, ps->carry_len, 0);
            if (ps->failed)
                return ps->err_code;
            if (used > old) {
                off = used - old;
                ps->carry_len = 0;
                break;
            }
            if (k == len)
                break; /* all of it went into the carry: still incomplete */
            if (ps->carry_len > SCOPE__PROM_MAX_TOKEN)
                return fail(ps, SCOPE_EPARSE, "a JSON token is longer than %u bytes",
                            SCOPE__PROM_MAX_TOKEN);
            want = len - k < k ? len : 2 * k;
        }
    }
    if (!ps->carry_len && off < len) {
        size_t used = scan(ps, data + off, len - off, 0);
        if (ps->failed)
            return ps->err_code;
        if (off + used < len) {
            if (scope__grow((void **)&ps->carry, &ps->carry_cap, len - off - used, 1))
                return fail(ps, SCOPE_ENOMEM, "out of memory");
            memcpy(ps->carry, data + off + used, len - off - used);
            ps->carry_len = len - off - used;
        }
    }
    if (ps->carry_len > SCOPE__PROM_MAX_TOKEN)
        return fail(ps, SCOPE_EPARSE, "a JSON token is longer than %u bytes",
                    SCOPE__PROM_MAX_TOKEN);
    return 0;
}

int scope__prom_parser_finish(struct scope__prom_parser *ps)
{
    if (ps->failed)
        return ps->err_code;
    if (ps->nonjson)
        return fail(ps, SCOPE_EPARSE, "the body is not JSON");
    if (ps->total == 0)
        return fail(ps, SCOPE_EPARSE, "the body is empty");
    if (ps->carry_len) {
        size_t used = scan(ps, ps->carry, ps->carry_len, 1);
        if (ps->failed)
            return ps->err_code;
        ps->carry_len -= used;
    }
    if (ps->st != S_DONE)
        return fail(ps, SCOPE_EPARSE,
                    "the JSON body ends early after %zu bytes (truncated: the connection "
                    "dropped or a proxy cut the response)",
                    ps->total);
    if (ps->hist_samples && ps->hist_policy != SCOPE_PROM_HIST_WARN)
        return fail(ps, SCOPE_ENOTSUP,
                    "the result holds %zu native-histogram sample%s (first in %s), which "
                    "libscope does not decode; query a float (e.g. histogram_quantile(), "
                    "histogram_count()) or set hist_policy SCOPE_PROM_HIST_WARN to skip them",
                    ps->hist_samples, ps->hist_samples == 1 ? "" : "s", ps->hist_series);
    if (ps->hist_samples) {
        char w[300];
        int n = snprintf(w, sizeof w,
                         "libscope: skipped %zu native-histogram sample%s (first in %s): "
                         "not decoded",
                         ps->hist_samples, ps->hist_samples == 1 ? "" : "s", ps->hist_series);
        if (scope__strlist_push(&ps->warnings, w, n > 0 ? (size_t)n : 0))
            return fail(ps, SCOPE_ENOMEM, "out of memory");
    }
    return 0;
}
