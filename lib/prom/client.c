/* The Prometheus HTTP client: handle, request building, the transfer engine
 * (curl multi, bounded concurrency, retries with backoff), error reporting,
 * and the api/v1 endpoints. */
#include "prom_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:9090"
#define MAX_BUFFERED_BODY (512u << 20)
#define SPLIT_MIN_POINTS 1000 /* per request, when splitting for parallelism */

struct hdr {
    char *line;
};

struct scope_prom {
    scope_prom_opts o;      /* strings below are owned copies */
    char *base;             /* without trailing '/' */
    char *shown;            /* base without user:password@, for messages */
    struct curl_slist *headers;
};

struct scope_prom_result {
    int type;
    scope_series_set *set;
    struct scope__strlist strings, warnings, infos;
    int64_t time_ns, start_ns, end_ns, step_ns;
    size_t requests;
};

/* --- global init ---------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;
static int curl_has_tls;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    curl_has_tls = v && (v->features & CURL_VERSION_SSL);
}

/* --- options and handle --------------------------------------------------- */

SCOPE_API int scope_prom_opts_init(scope_prom_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_prom_opts");
}

SCOPE_API int scope_prom_query_opts_init(scope_prom_query_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_prom_query_opts");
}

static int dup_opt(const char **field)
{
    if (!*field)
        return 0;
    char *c = scope__strdup(*field);
    if (!c)
        return scope__enomem("client options");
    *field = c;
    return 0;
}

static void free_opts(scope_prom_opts *o)
{
    const char **f[] = {&o->url,      &o->ca_file,      &o->client_cert,       &o->client_key,
                        &o->username, &o->password,     &o->bearer_token,      &o->bearer_token_file,
                        &o->proxy,    &o->user_agent};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free((char *)*f[i]);
        *f[i] = NULL;
    }
}

SCOPE_API void scope_prom_free(scope_prom *p)
{
    if (!p)
        return;
    if (p->o.password) /* do not leave secrets in freed memory */
        memset((char *)p->o.password, 0, strlen(p->o.password));
    if (p->o.bearer_token)
        memset((char *)p->o.bearer_token, 0, strlen(p->o.bearer_token));
    free_opts(&p->o);
    free(p->base);
    free(p->shown);
    curl_slist_free_all(p->headers);
    free(p);
}

SCOPE_API int scope_prom_new(scope_prom **out, const scope_prom_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_new: out is NULL");
    *out = NULL;
    scope_prom_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_prom_opts");
    if (rc)
        return rc;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return scope__error(SCOPE_ENOTSUP, 0, "curl_global_init failed: %s",
                            curl_easy_strerror(curl_init_rc));
    const char *url = o.url && *o.url ? o.url : DEFAULT_URL;
    int https = strncmp(url, "https://", 8) == 0;
    if (!https && strncmp(url, "http://", 7) != 0)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts.url must start with http:// or https:// "
                            "(e.g. \"http://127.0.0.1:9090\")");
    if (strpbrk(url, " \r\n\t?#"))
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts.url must not hold blanks, '?' or '#': give the "
                            "base URL (with a path prefix if any), e.g. https://gw/prometheus");
    if (https && !curl_has_tls)
        return scope__error(SCOPE_ENOTSUP, 0,
                            "this libcurl has no TLS support: use http:// or a libcurl built "
                            "with TLS");
    if (o.connect_timeout_ms < 0 || o.timeout_ms < 0 || o.max_retries < -1 ||
        o.retry_base_ms < 0 || o.retry_max_ms < 0 || o.post_threshold < 0 ||
        o.max_concurrency < 0 || o.tls_insecure < 0 || o.tls_insecure > 1)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts: timeouts, retries, thresholds and concurrency "
                            "must be >= 0 (max_retries may be -1), tls_insecure 0 or 1");
    if (o.client_key && !o.client_cert)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts.client_key is set without client_cert: set both");
    if (o.password && !o.username)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts.password is set without username: set both");
    if (o.bearer_token && o.bearer_token_file)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_opts: set bearer_token or bearer_token_file, not both");
    scope_prom *p = calloc(1, sizeof *p);
    if (!p)
        return scope__enomem("a Prometheus client");
    p->o = o;
    p->o.url = NULL;
    const char **f[] = {&p->o.ca_file,   &p->o.client_cert, &p->o.client_key,
                        &p->o.username,  &p->o.password,    &p->o.bearer_token,
                        &p->o.bearer_token_file, &p->o.proxy, &p->o.user_agent};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (dup_opt(f[i])) {
            for (size_t j = i; j < sizeof f / sizeof f[0]; j++)
                *f[j] = NULL; /* not ours yet */
            scope_prom_free(p);
            return SCOPE_ENOMEM;
        }
    size_t n = strlen(url);
    while (n > 8 && url[n - 1] == '/')
        n--;
    p->base = scope__strndup(url, n);
    /* the shown URL drops user:password@ */
    const char *hs = strstr(url, "://") + 3;
    const char *slash = strchr(hs, '/');
    const char *at = memchr(hs, '@', (size_t)((slash ? slash : url + n) - hs));
    if (p->base)
        p->shown = at ? scope__asprintf("%.*s%.*s", (int)(hs - url), url, (int)(url + n - at - 1),
                                        at + 1)
                      : scope__strdup(p->base);
    if (!p->base || !p->shown) {
        scope_prom_free(p);
        return scope__enomem("a Prometheus client");
    }
    if (!p->o.connect_timeout_ms)
        p->o.connect_timeout_ms = 5000;
    if (!p->o.timeout_ms)
        p->o.timeout_ms = 120000;
    if (!p->o.max_retries)
        p->o.max_retries = 3;
    if (p->o.max_retries < 0)
        p->o.max_retries = 0;
    if (!p->o.retry_base_ms)
        p->o.retry_base_ms = 200;
    if (!p->o.retry_max_ms)
        p->o.retry_max_ms = 5000;
    if (!p->o.post_threshold)
        p->o.post_threshold = 4096;
    if (!p->o.max_concurrency)
        p->o.max_concurrency = 2;
    *out = p;
    return 0;
}

SCOPE_API int scope_prom_add_header(scope_prom *p, const char *name, const char *value)
{
    if (!p || !name || !value || !*name)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_add_header: client, name and value must be non-NULL "
                            "and the name non-empty");
    if (strpbrk(name, ":\r\n \t") || strpbrk(value, "\r\n"))
        return scope__error(SCOPE_EINVAL, 0,
                            "header \"%.64s\": names must not hold ':', blanks, CR or LF and "
                            "values must not hold CR or LF",
                            name);
    char *line = scope__asprintf("%s: %s", name, value);
    if (!line)
        return scope__enomem("a header");
    struct curl_slist *l = curl_slist_append(p->headers, line);
    free(line);
    if (!l)
        return scope__enomem("a header");
    p->headers = l;
    return 0;
}

/* --- results ---------------------------------------------------------------- */

static scope_prom_result *result_new(int type)
{
    scope_prom_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->type = type;
    return r;
}

SCOPE_API void scope_prom_result_free(scope_prom_result *r)
{
    if (!r)
        return;
    scope_series_set_free(r->set);
    scope__strlist_free(&r->strings);
    scope__strlist_free(&r->warnings);
    scope__strlist_free(&r->infos);
    free(r);
}

SCOPE_API const char *scope_prom_result_type_name(int type)
{
    switch (type) {
    case SCOPE_PROM_MATRIX: return "matrix";
    case SCOPE_PROM_VECTOR: return "vector";
    case SCOPE_PROM_SCALAR: return "scalar";
    case SCOPE_PROM_STRING: return "string";
    case SCOPE_PROM_SERIES: return "series";
    case SCOPE_PROM_STRINGS: return "strings";
    default: return "unknown";
    }
}

SCOPE_API int scope_prom_result_type(const scope_prom_result *r) { return r ? r->type : 0; }
SCOPE_API const scope_series_set *scope_prom_result_series(const scope_prom_result *r)
{
    return r ? r->set : NULL;
}
SCOPE_API scope_series_set *scope_prom_result_take_series(scope_prom_result *r)
{
    if (!r)
        return NULL;
    scope_series_set *s = r->set;
    r->set = NULL;
    return s;
}
SCOPE_API size_t scope_prom_result_string_count(const scope_prom_result *r)
{
    return r ? r->strings.n : 0;
}
SCOPE_API const char *scope_prom_result_string_at(const scope_prom_result *r, size_t i)
{
    return r && i < r->strings.n ? r->strings.v[i] : NULL;
}
SCOPE_API int64_t scope_prom_result_time(const scope_prom_result *r) { return r ? r->time_ns : 0; }
SCOPE_API size_t scope_prom_result_warning_count(const scope_prom_result *r)
{
    return r ? r->warnings.n : 0;
}
SCOPE_API const char *scope_prom_result_warning_at(const scope_prom_result *r, size_t i)
{
    return r && i < r->warnings.n ? r->warnings.v[i] : NULL;
}
SCOPE_API size_t scope_prom_result_info_count(const scope_prom_result *r)
{
    return r ? r->infos.n : 0;
}
SCOPE_API const char *scope_prom_result_info_at(const scope_prom_result *r, size_t i)
{
    return r && i < r->infos.n ? r->infos.v[i] : NULL;
}
SCOPE_API void scope_prom_result_window(const scope_prom_result *r, int64_t *start_ns,
                                        int64_t *end_ns, int64_t *step_ns, size_t *requests)
{
    if (start_ns)
        *start_ns = r ? r->start_ns : 0;
    if (end_ns)
        *end_ns = r ? r->end_ns : 0;
    if (step_ns)
        *step_ns = r ? r->step_ns : 0;
    if (requests)
        *requests = r ? r->requests : 0;
}

static int move_list(struct scope__strlist *dst, struct scope__strlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (scope__strlist_push(dst, src->v[i], strlen(src->v[i])))
            return scope__enomem("warnings");
    return 0;
}

/* --- request building ------------------------------------------------------- */

static void form_enc(scope__buf *b, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            scope__buf_append(b, (const char *)p, 1);
        } else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            scope__buf_append(b, t, 3);
        }
    }
}

/* Appends k=v to a form (or query string), both percent-encoded. */
static void form_add(scope__buf *b, const char *k, const char *v)
{
    if (b->len)
        scope__buf_puts(b, "&");
    form_enc(b, k);
    scope__buf_puts(b, "=");
    form_enc(b, v);
}

/* Seconds with millisecond precision, as Prometheus reads them. */
static void fmt_time(char *out, size_t cap, int64_t ns)
{
    int64_t ms = ns / 1000000;
    const char *sign = ms < 0 ? "-" : "";
    uint64_t a = ms < 0 ? (uint64_t)(-(ms + 1)) + 1 : (uint64_t)ms;
    snprintf(out, cap, "%s%llu.%03llu", sign, (unsigned long long)(a / 1000),
             (unsigned long long)(a % 1000));
}

static void form_add_time(scope__buf *b, const char *k, int64_t ns)
{
    char t[40];
    fmt_time(t, sizeof t, ns);
    form_add(b, k, t);
}

/* --- transfers ---------------------------------------------------------------- */

struct xfer {
    CURL *h;
    char *url;              /* full GET URL, or the endpoint for POST */
    char *post;             /* form body, or NULL for GET */
    const char *what;       /* endpoint path, for messages */
    const char *query;      /* the PromQL or selector, for messages (borrowed) */
    int stream;             /* 1: streaming parser; 0: buffered body */
    const char *fallback;
    int hist_policy;
    size_t expect_points;
    int server_timeout;     /* the last answer was errorType timeout */
    struct scope__prom_parser ps;
    scope_series_set *set;
    scope__buf body;
    char head[SCOPE__PROM_HEAD + 1];
    size_t head_len;
    int too_big;
    long retry_after_s;
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs;
    int attempts;
    int64_t not_before;     /* mono ns */
    int state;              /* 0 waiting, 1 running, 2 done */
    int rc;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (x->stream)
        return scope__prom_parser_feed(&x->ps, data, n) ? 0 : n;
    if (x->head_len < SCOPE__PROM_HEAD) {
        size_t k = SCOPE__PROM_HEAD - x->head_len;
        if (k > n)
            k = n;
        memcpy(x->head + x->head_len, data, k);
        x->head_len += k;
        x->head[x->head_len] = '\0';
    }
    if (x->body.len + n > MAX_BUFFERED_BODY) {
        x->too_big = 1;
        return 0;
    }
    scope__buf_append(&x->body, data, n);
    return x->body.failed ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        long v = strtol(data + 12, NULL, 10);
        x->retry_after_s = v > 0 ? v : 0;
    }
    return n;
}

static int read_token_file(const char *path, char **out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return scope__error_sys(scope__code_from_errno(errno), errno,
                                "cannot open bearer_token_file %s; check the path and its "
                                "permissions",
                                path);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                 buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    if (!n || strpbrk(buf, "\r\n"))
        return scope__error(SCOPE_EINVAL, 0,
                            "bearer_token_file %s is empty or holds several lines: it must "
                            "hold one token",
                            path);
    *out = scope__asprintf("Authorization: Bearer %s", buf);
    memset(buf, 0, sizeof buf);
    return *out ? 0 : scope__enomem("a token");
}

static void xfer_drop_json(struct xfer *x);

static void xfer_reset_output(struct xfer *x)
{
    xfer_drop_json(x);
    if (x->stream) {
        scope__prom_parser_free(&x->ps);
        scope_series_set_free(x->set);
        x->set = NULL;
    }
    scope__buf_free(&x->body);
    memset(&x->body, 0, sizeof x->body);
    x->head_len = 0;
    x->head[0] = '\0';
    x->too_big = 0;
    x->retry_after_s = 0;
    x->errbuf[0] = '\0';
}

static int xfer_prepare(scope_prom *p, struct xfer *x)
{
    xfer_reset_output(x);
    if (x->stream) {
        if (scope_series_set_new(&x->set))
            return SCOPE_ENOMEM;
        scope__prom_parser_init(&x->ps, x->set, x->fallback, x->hist_policy);
        x->ps.expect_points = x->expect_points;
    }
    if (!x->h) {
        x->h = curl_easy_init();
        if (!x->h)
            return scope__enomem("a curl handle");
        CURL *h = x->h;
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
        /* bigger pieces: fewer reads and callbacks on multi-MB bodies */
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)p->o.connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)p->o.timeout_ms);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, p->o.tls_insecure ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, p->o.tls_insecure ? 0L : 2L);
        if (p->o.ca_file)
            curl_easy_setopt(h, CURLOPT_CAINFO, p->o.ca_file);
        if (p->o.client_cert)
            curl_easy_setopt(h, CURLOPT_SSLCERT, p->o.client_cert);
        if (p->o.client_key)
            curl_easy_setopt(h, CURLOPT_SSLKEY, p->o.client_key);
        if (p->o.username) {
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(h, CURLOPT_USERNAME, p->o.username);
            curl_easy_setopt(h, CURLOPT_PASSWORD, p->o.password ? p->o.password : "");
        }
        if (p->o.proxy)
            curl_easy_setopt(h, CURLOPT_PROXY, p->o.proxy);
        curl_easy_setopt(h, CURLOPT_USERAGENT,
                         p->o.user_agent ? p->o.user_agent : "libscope/" SCOPE_VERSION_STRING);
        curl_easy_setopt(h, CURLOPT_URL, x->url);
        if (x->post) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->post);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->post));
        }
        struct curl_slist *l = NULL;
        for (struct curl_slist *i = p->headers; i; i = i->next) {
            struct curl_slist *t = curl_slist_append(l, i->data);
            if (!t)
                goto nomem;
            l = t;
        }
        const char *fixed[] = {"Accept: application/json", "Expect:"};
        for (size_t i = 0; i < 2; i++) {
            struct curl_slist *t = curl_slist_append(l, fixed[i]);
            if (!t)
                goto nomem;
            l = t;
        }
        if (p->o.bearer_token || p->o.bearer_token_file) {
            char *line = NULL;
            if (p->o.bearer_token_file) {
                int rc = read_token_file(p->o.bearer_token_file, &line);
                if (rc) {
                    curl_slist_free_all(l);
                    return rc;
                }
            } else {
                line = scope__asprintf("Authorization: Bearer %s", p->o.bearer_token);
            }
            struct curl_slist *t = line ? curl_slist_append(l, line) : NULL;
            if (line) {
                memset(line, 0, strlen(line));
                free(line);
            }
            if (!t)
                goto nomem;
            l = t;
        }
        x->hdrs = l;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
        return 0;
    nomem:
        curl_slist_free_all(l);
        return scope__enomem("request headers");
    }
    return 0;
}

static void xfer_free(struct xfer *x)
{
    if (x->h)
        curl_easy_cleanup(x->h);
    curl_slist_free_all(x->hdrs);
    free(x->url);
    free(x->post);
    xfer_reset_output(x);
    if (x->stream)
        scope__prom_parser_free(&x->ps);
}

/* Builds the request: GET url?form, or POST when the URL would be long. */
static int xfer_init(scope_prom *p, struct xfer *x, const char *path, scope__buf *form,
                     int post_ok)
{
    if (form->failed)
        return scope__enomem("a request");
    size_t baselen = strlen(p->base) + strlen(path);
    if (post_ok && baselen + 1 + form->len > (size_t)p->o.post_threshold) {
        x->url = scope__asprintf("%s%s", p->base, path);
        x->post = scope__strdup(form->data ? form->data : "");
        if (!x->url || !x->post)
            return scope__enomem("a request");
    } else {
        x->url = scope__asprintf("%s%s%s%s", p->base, path, form->len ? "?" : "",
                                 form->len ? form->data : "");
        if (!x->url)
            return scope__enomem("a request");
    }
    return 0;
}

static int64_t backoff_ns(scope_prom *p, struct xfer *x)
{
    int64_t ms = (int64_t)p->o.retry_base_ms << (x->attempts - 1 < 20 ? x->attempts - 1 : 20);
    if (x->retry_after_s > 0)
        ms = x->retry_after_s * 1000;
    if (ms > p->o.retry_max_ms)
        ms = p->o.retry_max_ms;
    return ms * 1000000;
}

static const char *hint_for(long http, const char *etype, const char *err)
{
    if (err && strstr(err, "11,000 points"))
        return "libscope splits ranges by itself: keep max_points at or below 11001 for "
               "Prometheus (the default), or raise the step";
    if (etype && !strcmp(etype, "bad_data"))
        return "check the PromQL syntax and the start/end/step/time parameters";
    if (etype && !strcmp(etype, "execution"))
        return "the query failed while being evaluated (e.g. rate() dropped __name__ and left "
               "duplicate label sets, or too many samples): change the query or narrow the "
               "window";
    if (etype && !strcmp(etype, "timeout"))
        return "the server's query timeout ran out: narrow the window, raise the step, or "
               "raise the server's --query.timeout or the query's server_timeout_ms";
    if (http == 401 || http == 403)
        return "check the credentials (username/password, bearer token, client certificate)";
    if (http == 404)
        return "check the base URL and its path prefix (the API lives under <url>/api/v1)";
    if (http == 414 || http == 431)
        return "the URL is too long: lower post_threshold so that long queries are POSTed";
    if (http == 429 || http == 502 || http == 503 || http == 504)
        return "the server or a gateway is overloaded or down: retry later or raise "
               "max_retries";
    return "check the server and the query";
}

/* Turns a finished transfer into 0 or an error (message recorded). Sets
 * *retry when it may be retried. */
static int xfer_judge(scope_prom *p, struct xfer *x, CURLcode cc, int *retry)
{
    *retry = 0;
    long http = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &http);
    const char *method = x->post ? "POST" : "GET";
    char shown[600];
    snprintf(shown, sizeof shown, "%s %s%s", method, p->shown, x->what);
    char qs[160] = "";
    if (x->query)
        snprintf(qs, sizeof qs, " (query \"%.100s%s\")", x->query,
                 strlen(x->query) > 100 ? "..." : "");
    int parse_failed = x->stream && x->ps.failed;
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && (parse_failed || x->too_big))) {
        int transient = cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
                        cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
                        cc == CURLE_PARTIAL_FILE || cc == CURLE_HTTP2 ||
                        cc == CURLE_HTTP2_STREAM;
        *retry = transient;
        int code = cc == CURLE_OPERATION_TIMEDOUT ? SCOPE_ETIMEDOUT : SCOPE_ENET;
        if (cc == CURLE_OUT_OF_MEMORY)
            code = SCOPE_ENOMEM;
        const char *fix = cc == CURLE_OPERATION_TIMEDOUT
                              ? "raise timeout_ms, or narrow the window / raise the step"
                          : cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE
                              ? "give the server's CA with ca_file (tls_insecure only for tests)"
                          : cc == CURLE_SSL_CERTPROBLEM
                              ? "check client_cert and client_key"
                              : "check that the server runs and the URL and proxy are right";
        return scope__error(code, 0, "%s%s failed after %d attempt%s: %s (%s); %s", shown, qs,
                            x->attempts, x->attempts == 1 ? "" : "s",
                            x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc),
                            curl_easy_strerror(cc), fix);
    }
    if (x->too_big)
        return scope__error(SCOPE_ELIMIT, 0,
                            "%s%s: the response is larger than %u MiB; narrow the request "
                            "(add matchers, a time window)",
                            shown, qs, MAX_BUFFERED_BODY >> 20);
    const char *status = NULL, *etype = NULL, *emsg = NULL;
    int nonjson = 0, bad = 0;
    char perr[400] = "";
    const char *head;
    size_t head_len;
    json_t *root = NULL;
    if (x->stream) {
        int rc = scope__prom_parser_finish(&x->ps);
        head = x->ps.head;
        head_len = x->ps.head_len;
        nonjson = x->ps.nonjson;
        if (rc && !nonjson) {
            if (rc == SCOPE_ENOMEM)
                return scope__error(SCOPE_ENOMEM, 0, "%s%s: %s", shown, qs, x->ps.err);
            if (rc == SCOPE_ENOTSUP && http / 100 == 2)
                return scope__error(SCOPE_ENOTSUP, 0, "%s%s: %s", shown, qs, x->ps.err);
            bad = 1;
            snprintf(perr, sizeof perr, "%s", x->ps.err);
        }
        status = x->ps.status;
        etype = x->ps.error_type;
        emsg = x->ps.error;
    } else {
        head = x->head;
        head_len = x->head_len;
        size_t i = 0;
        while (i < x->body.len && strchr(" \r\n\t", x->body.data[i]))
            i++;
        if (i == x->body.len || x->body.data[i] != '{') {
            nonjson = 1;
        } else {
            json_error_t je;
            root = json_loadb(x->body.data, x->body.len, 0, &je);
            if (!root || !json_is_object(root)) {
                bad = 1;
                snprintf(perr, sizeof perr, "malformed JSON: %s at byte %d (truncated?)",
                         je.text, je.position);
            } else {
                status = json_string_value(json_object_get(root, "status"));
                etype = json_string_value(json_object_get(root, "errorType"));
                emsg = json_string_value(json_object_get(root, "error"));
            }
        }
    }
    int rc = 0;
    int ok_http = http >= 200 && http < 300;
    x->server_timeout = etype && !strcmp(etype, "timeout");
    if (http == 429 || http == 502 || http == 504 ||
        (http == 503 && !(etype && !strcmp(etype, "timeout"))))
        *retry = 1;
    if (nonjson || bad) {
        scope__buf b = {0};
        scope__prom_quote(&b, head, head_len, 200);
        if (ok_http && nonjson)
            rc = scope__error(SCOPE_EPARSE, 0,
                              "%s%s: HTTP %ld but the body is not JSON, it starts with %s; "
                              "check that the URL points at Prometheus' API and not at a "
                              "proxy or UI page",
                              shown, qs, http, b.data ? b.data : "\"\"");
        else if (ok_http)
            rc = scope__error(SCOPE_EPARSE, 0,
                              "%s%s: HTTP %ld with a malformed body: %s; the body starts "
                              "with %s",
                              shown, qs, http, perr, b.data ? b.data : "\"\"");
        else
            rc = scope__error(SCOPE_EHTTP, 0, "%s%s: HTTP %ld, body %s; %s", shown, qs, http,
                              b.data ? b.data : "\"\"", hint_for(http, NULL, NULL));
        scope__buf_free(&b);
    } else if (!ok_http || !status || strcmp(status, "success") != 0) {
        int code = etype && !strcmp(etype, "timeout") ? SCOPE_ETIMEDOUT : SCOPE_ESERVER;
        if (!etype && !emsg) {
            scope__buf b = {0};
            scope__prom_quote(&b, head, head_len, 200);
            rc = scope__error(ok_http ? SCOPE_EPARSE : SCOPE_EHTTP, 0,
                              "%s%s: HTTP %ld, status \"%s\" without errorType/error; the body "
                              "starts with %s; %s",
                              shown, qs, http, status ? status : "(missing)",
                              b.data ? b.data : "\"\"", hint_for(http, NULL, NULL));
            scope__buf_free(&b);
        } else {
            rc = scope__error(code, 0, "%s%s: HTTP %ld, %s: %s; %s", shown, qs, http,
                              etype ? etype : "(no errorType)", emsg ? emsg : "(no error text)",
                              hint_for(http, etype, emsg));
        }
    } else if (x->stream && !x->ps.seen_result) {
        rc = scope__error(SCOPE_EPARSE, 0,
                          "%s%s: status success but no data.result in the body; check that "
                          "the URL points at Prometheus' API",
                          shown, qs);
    }
    if (root && rc == 0) {
        /* keep the DOM for the caller: stash it in the body buffer's place */
        scope__buf_free(&x->body);
        memset(&x->body, 0, sizeof x->body);
        x->body.data = (char *)root;
        x->body.len = (size_t)-1; /* marks a json_t */
        root = NULL;
    }
    json_decref(root);
    return rc;
}

static json_t *xfer_json(struct xfer *x)
{
    return x->body.len == (size_t)-1 ? (json_t *)x->body.data : NULL;
}

static void xfer_drop_json(struct xfer *x)
{
    if (x->body.len == (size_t)-1) {
        json_decref((json_t *)x->body.data);
        x->body.data = NULL;
        x->body.len = 0;
    }
}

/* Runs the transfers with at most @conc in flight, retrying as allowed.
 * Returns 0 when all succeeded, else the error of the first that failed
 * (the others are stopped). */
static int run_xfers(scope_prom *p, struct xfer *xs, size_t n, int conc)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return scope__enomem("a curl multi handle");
    if (conc < 1)
        conc = 1;
    size_t done = 0, running = 0;
    int rc = 0;
    while (done < n && !rc) {
        int64_t now = scope__mono_ns(), wait_ns = -1;
        for (size_t i = 0; i < n && running < (size_t)conc && !rc; i++) {
            struct xfer *x = &xs[i];
            if (x->state != 0)
                continue;
            if (x->not_before > now) {
                if (wait_ns < 0 || x->not_before - now < wait_ns)
                    wait_ns = x->not_before - now;
                continue;
            }
            if ((rc = xfer_prepare(p, x)))
                break;
            x->attempts++;
            if (curl_multi_add_handle(m, x->h) != CURLM_OK) {
                rc = scope__error(SCOPE_EINTERNAL, 0, "curl_multi_add_handle failed");
                break;
            }
            x->state = 1;
            running++;
        }
        if (rc)
            break;
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            for (size_t i = 0; i < n; i++)
                if (xs[i].h == msg->easy_handle)
                    x = &xs[i];
            CURLcode cc = msg->data.result;
            curl_multi_remove_handle(m, x->h);
            running--;
            int retry = 0;
            int r = xfer_judge(p, x, cc, &retry);
            if (r && retry && x->attempts <= p->o.max_retries) {
                x->state = 0;
                x->not_before = scope__mono_ns() + backoff_ns(p, x);
                continue;
            }
            x->state = 2;
            x->rc = r;
            done++;
            if (r && !rc)
                rc = r;
        }
        if (rc || done == n)
            break;
        /* free slots and requests ready to go: launch them now */
        int launchable = 0;
        int64_t t = scope__mono_ns();
        wait_ns = -1;
        for (size_t i = 0; i < n; i++) {
            if (xs[i].state != 0)
                continue;
            if (xs[i].not_before <= t)
                launchable = running < (size_t)conc;
            else if (wait_ns < 0 || xs[i].not_before - t < wait_ns)
                wait_ns = xs[i].not_before - t;
        }
        if (launchable)
            continue;
        int timeout_ms = 1000;
        if (wait_ns >= 0 && wait_ns / 1000000 < timeout_ms)
            timeout_ms = (int)(wait_ns / 1000000) + 1;
        curl_multi_poll(m, NULL, 0, timeout_ms, NULL);
    }
    for (size_t i = 0; i < n; i++)
        if (xs[i].state == 1)
            curl_multi_remove_handle(m, xs[i].h);
    curl_multi_cleanup(m);
    return rc;
}

/* --- queries ------------------------------------------------------------------ */

static int check_ms(int64_t v, const char *what)
{
    if (v % 1000000)
        return scope__error(SCOPE_EINVAL, 0,
                            "%s (%lld ns) is not a whole number of milliseconds: Prometheus "
                            "works in ms; round it",
                            what, (long long)v);
    return 0;
}

static int query_common_checks(scope_prom_result **out, scope_prom *p, const char *query,
                               const scope_prom_query_opts *opts, scope_prom_query_opts *o)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "Prometheus query: out is NULL");
    *out = NULL;
    if (!p || !query || !*query)
        return scope__error(SCOPE_EINVAL, 0,
                            "Prometheus query: the client and a non-empty query are required");
    int rc = scope__opts_copy(o, opts, sizeof *o, "scope_prom_query_opts");
    if (rc)
        return rc;
    if (o->hist_policy != SCOPE_PROM_HIST_ERROR && o->hist_policy != SCOPE_PROM_HIST_WARN)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_query_opts.hist_policy %d is unknown: use "
                            "SCOPE_PROM_HIST_ERROR or SCOPE_PROM_HIST_WARN",
                            o->hist_policy);
    if (o->max_points == 0)
        o->max_points = 11001;
    if (o->max_points < 2 || o->max_points > 1000000)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_query_opts.max_points %d is out of range: use 2..1000000 "
                            "(Prometheus refuses more than 11,001 points per series; other "
                            "backends have other limits)",
                            o->max_points);
    if (o->max_concurrency < 0 || o->server_timeout_ms < 0 || o->align < 0 || o->align > 1 ||
        o->split_on_timeout < 0 || o->split_on_timeout > 1 || o->no_split < 0 ||
        o->no_split > 1)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_query_opts: max_concurrency and server_timeout_ms "
                            "must be >= 0, align, split_on_timeout and no_split 0 or 1");
    return 0;
}

static void add_server_timeout(scope__buf *f, const scope_prom_query_opts *o)
{
    if (o->server_timeout_ms > 0) {
        char t[40];
        snprintf(t, sizeof t, "%lldms", (long long)o->server_timeout_ms);
        form_add(f, "timeout", t);
    }
}

static int collect_lists(scope_prom_result *r, struct xfer *x)
{
    if (move_list(&r->warnings, &x->ps.warnings) || move_list(&r->infos, &x->ps.infos))
        return SCOPE_ENOMEM;
    return 0;
}

/* One attempt at a range query with @per points per series per request.
 * *timed_out tells whether a request failed on the server's query timeout. */
static int range_attempt(scope_prom_result **out, scope_prom *p, const char *query,
                         int64_t start_ns, int64_t end_ns, int64_t step_ns,
                         const scope_prom_query_opts *o, uint64_t per, int *timed_out)
{
    int rc = 0;
    *timed_out = 0;
    uint64_t npoints = (uint64_t)(end_ns - start_ns) / (uint64_t)step_ns + 1;
    size_t nchunks = (size_t)((npoints + per - 1) / per);
    if (nchunks > 1000000)
        return scope__error(SCOPE_EINVAL, 0,
                            "query_range: %llu points per series would take %zu requests; "
                            "raise the step",
                            (unsigned long long)npoints, nchunks);
    struct xfer *xs = calloc(nchunks, sizeof *xs);
    if (!xs)
        return scope__enomem("query_range requests");
    for (size_t k = 0; k < nchunks && !rc; k++) {
        int64_t cs = start_ns + (int64_t)(k * per) * step_ns;
        int64_t ce = cs + (int64_t)(per - 1) * step_ns;
        if (ce > end_ns || k == nchunks - 1)
            ce = end_ns;
        scope__buf f = {0};
        form_add(&f, "query", query);
        form_add_time(&f, "start", cs);
        form_add_time(&f, "end", ce);
        form_add_time(&f, "step", step_ns);
        add_server_timeout(&f, o);
        struct xfer *x = &xs[k];
        x->stream = 1;
        x->what = "/api/v1/query_range";
        x->query = query;
        x->fallback = o->name;
        x->hist_policy = o->hist_policy;
        /* the first chunk's series become the result's: room for the
         * points of up to 4 chunks, so that merging the others does not
         * move them (reserved pages cost no RSS until written) */
        size_t here = (size_t)((ce - cs) / step_ns + 1);
        x->expect_points = k == 0 ? (size_t)(npoints < 4 * (uint64_t)here ? npoints : 4 * here)
                                  : here;
        rc = xfer_init(p, x, "/api/v1/query_range", &f, 1);
        scope__buf_free(&f);
    }
    if (!rc)
        rc = run_xfers(p, xs, nchunks, o->max_concurrency ? o->max_concurrency
                                                          : p->o.max_concurrency);
    for (size_t k = 0; k < nchunks && rc; k++)
        if (xs[k].state == 2 && xs[k].rc == SCOPE_ETIMEDOUT && xs[k].server_timeout)
            *timed_out = 1;
    scope_prom_result *r = NULL;
    if (!rc) {
        r = result_new(SCOPE_PROM_MATRIX);
        if (!r)
            rc = scope__enomem("a result");
    }
    for (size_t k = 0; k < nchunks && !rc; k++) {
        struct xfer *x = &xs[k];
        if (x->ps.result_type != SCOPE_PROM_MATRIX) {
            rc = scope__error(SCOPE_EPARSE, 0,
                              "query_range answered with resultType %s instead of matrix",
                              scope_prom_result_type_name(x->ps.result_type));
            break;
        }
        if ((rc = collect_lists(r, x)))
            break;
        if (!r->set) {
            r->set = x->set;
            x->set = NULL;
        } else if ((rc = scope_series_set_merge(r->set, x->set))) {
            break;
        }
        scope_series_set_free(x->set);
        x->set = NULL;
    }
    for (size_t k = 0; k < nchunks; k++)
        xfer_free(&xs[k]);
    free(xs);
    if (rc) {
        scope_prom_result_free(r);
        return rc;
    }
    r->start_ns = start_ns;
    r->end_ns = end_ns;
    r->step_ns = step_ns;
    r->requests = nchunks;
    *out = r;
    return 0;
}

SCOPE_API int scope_prom_query_range(scope_prom_result **out, scope_prom *p, const char *query,
                                     int64_t start_ns, int64_t end_ns, int64_t step_ns,
                                     const scope_prom_query_opts *opts)
{
    scope_prom_query_opts o;
    int rc = query_common_checks(out, p, query, opts, &o);
    if (rc)
        return rc;
    if (step_ns <= 0)
        return scope__error(SCOPE_EINVAL, 0, "query_range: step must be > 0 (got %lld ns)",
                            (long long)step_ns);
    if ((rc = check_ms(start_ns, "query_range start")) || (rc = check_ms(end_ns, "query_range end")) ||
        (rc = check_ms(step_ns, "query_range step")))
        return rc;
    if (o.align) {
        int64_t s = start_ns - ((start_ns % step_ns) + step_ns) % step_ns;
        int64_t e = end_ns - ((end_ns % step_ns) + step_ns) % step_ns;
        start_ns = s;
        end_ns = e;
    }
    if (end_ns < start_ns)
        return scope__error(SCOPE_EINVAL, 0,
                            "query_range: end (%lld ns) is before start (%lld ns)%s",
                            (long long)end_ns, (long long)start_ns,
                            o.align ? " after aligning both to the step" : "");
    uint64_t per = (uint64_t)o.max_points;
    uint64_t npoints = (uint64_t)(end_ns - start_ns) / (uint64_t)step_ns + 1;
    /* A range that would take fewer requests than may run at once is split
     * so that they do: Prometheus builds a whole body before sending it, so
     * parsing one part overlaps with the server evaluating and encoding the
     * next (measured: 10M points 1.37x the curl fetch instead of 1.55x). */
    int conc = o.max_concurrency ? o.max_concurrency : p->o.max_concurrency;
    if (!o.no_split && conc > 1 && npoints >= 2 * SPLIT_MIN_POINTS) {
        uint64_t parts = npoints / SPLIT_MIN_POINTS;
        if (parts > (uint64_t)conc)
            parts = (uint64_t)conc;
        uint64_t per2 = (npoints + parts - 1) / parts;
        if (per2 < per)
            per = per2;
    }
    int shrunk = 0;
    for (int split = 0;; split++) {
        int timed_out;
        rc = range_attempt(out, p, query, start_ns, end_ns, step_ns, &o, per, &timed_out);
        if (rc != SCOPE_ETIMEDOUT || !timed_out || !o.split_on_timeout || split >= 6)
            break;
        /* the server's query timeout: ask for half as much per request */
        uint64_t cur = per < npoints ? per : npoints;
        if (cur < 4)
            break;
        per = (cur + 1) / 2;
        shrunk = 1;
    }
    if (rc == 0 && shrunk) {
        char w[200];
        int n = snprintf(w, sizeof w,
                         "libscope: the server's query timeout hit larger requests; the range "
                         "was fetched with %llu points per series per request",
                         (unsigned long long)per);
        if (scope__strlist_push(&(*out)->warnings, w, (size_t)n)) {
            scope_prom_result_free(*out);
            *out = NULL;
            return scope__enomem("a warning");
        }
    }
    return rc;
}

SCOPE_API int scope_prom_query(scope_prom_result **out, scope_prom *p, const char *query,
                               int64_t time_ns, const scope_prom_query_opts *opts)
{
    scope_prom_query_opts o;
    int rc = query_common_checks(out, p, query, opts, &o);
    if (rc)
        return rc;
    if (time_ns && (rc = check_ms(time_ns, "query time")))
        return rc;
    scope__buf f = {0};
    form_add(&f, "query", query);
    if (time_ns)
        form_add_time(&f, "time", time_ns);
    add_server_timeout(&f, &o);
    struct xfer x;
    memset(&x, 0, sizeof x);
    x.stream = 1;
    x.what = "/api/v1/query";
    x.query = query;
    x.fallback = o.name;
    x.hist_policy = o.hist_policy;
    rc = xfer_init(p, &x, "/api/v1/query", &f, 1);
    scope__buf_free(&f);
    if (!rc)
        rc = run_xfers(p, &x, 1, 1);
    scope_prom_result *r = NULL;
    if (!rc && !(r = result_new(x.ps.result_type)))
        rc = scope__enomem("a result");
    if (!rc)
        rc = collect_lists(r, &x);
    if (!rc && x.ps.result_type == SCOPE_PROM_STRING &&
        scope__strlist_push(&r->strings, x.ps.str_value ? x.ps.str_value : "",
                            x.ps.str_value ? strlen(x.ps.str_value) : 0))
        rc = scope__enomem("a result");
    if (!rc) {
        r->set = x.set;
        x.set = NULL;
        r->requests = 1;
        if (x.ps.result_type == SCOPE_PROM_SCALAR || x.ps.result_type == SCOPE_PROM_STRING)
            r->time_ns = x.ps.scalar_ts;
    }
    xfer_free(&x);
    if (rc) {
        scope_prom_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Metadata endpoints: small bodies, parsed with jansson. */
static int meta(scope_prom_result **out, scope_prom *p, const char *path, const char *what,
                const char *const *match, size_t nmatch, int64_t start_ns, int64_t end_ns,
                int type, int post_ok)
{
    int rc;
    if (nmatch && !match)
        return scope__error(SCOPE_EINVAL, 0, "%s: match is NULL but nmatch is %zu", what,
                            nmatch);
    if ((start_ns && (rc = check_ms(start_ns, "start"))) ||
        (end_ns && (rc = check_ms(end_ns, "end"))))
        return rc;
    scope__buf f = {0};
    for (size_t i = 0; i < nmatch; i++) {
        if (!match[i])
            return scope__buf_free(&f), scope__error(SCOPE_EINVAL, 0, "%s: match[%zu] is NULL",
                                                     what, i);
        form_add(&f, "match[]", match[i]);
    }
    if (start_ns)
        form_add_time(&f, "start", start_ns);
    if (end_ns)
        form_add_time(&f, "end", end_ns);
    struct xfer x;
    memset(&x, 0, sizeof x);
    x.what = what;
    x.query = nmatch ? match[0] : NULL;
    rc = xfer_init(p, &x, path, &f, post_ok);
    scope__buf_free(&f);
    if (!rc)
        rc = run_xfers(p, &x, 1, 1);
    scope_prom_result *r = NULL;
    if (!rc && !(r = result_new(type)))
        rc = scope__enomem("a result");
    json_t *root = rc ? NULL : xfer_json(&x);
    if (!rc) {
        const char *ln[2] = {"warnings", "infos"};
        struct scope__strlist *dst[2] = {&r->warnings, &r->infos};
        for (int k = 0; k < 2 && !rc; k++) {
            json_t *a = json_object_get(root, ln[k]), *v;
            size_t i;
            json_array_foreach(a, i, v) if (json_is_string(v) &&
                                            scope__strlist_push(dst[k], json_string_value(v),
                                                                json_string_length(v)))
                rc = scope__enomem("warnings");
        }
    }
    json_t *data = root ? json_object_get(root, "data") : NULL;
    if (!rc && !json_is_array(data))
        rc = scope__error(SCOPE_EPARSE, 0, "%s%s: data is not a list; check the URL", p->shown,
                          what);
    if (!rc && type == SCOPE_PROM_STRINGS) {
        size_t i;
        json_t *v;
        json_array_foreach(data, i, v)
        {
            if (!json_is_string(v)) {
                rc = scope__error(SCOPE_EPARSE, 0, "%s%s: data[%zu] is not a string", p->shown,
                                  what, i);
                break;
            }
            if (scope__strlist_push(&r->strings, json_string_value(v), json_string_length(v))) {
                rc = scope__enomem("strings");
                break;
            }
        }
    } else if (!rc) {
        if ((rc = scope_series_set_new(&r->set)) == 0) {
            size_t i;
            json_t *v;
            json_array_foreach(data, i, v)
            {
                if (!json_is_object(v)) {
                    rc = scope__error(SCOPE_EPARSE, 0, "%s%s: data[%zu] is not a label map",
                                      p->shown, what, i);
                    break;
                }
                const char *keys[SCOPE__PROM_MAX_LABELS], *vals[SCOPE__PROM_MAX_LABELS];
                const char *name = "value";
                size_t nl = 0;
                const char *k;
                json_t *lv;
                json_object_foreach(v, k, lv)
                {
                    if (!json_is_string(lv)) {
                        rc = scope__error(SCOPE_EPARSE, 0, "%s%s: label %s is not a string",
                                          p->shown, what, k);
                        break;
                    }
                    if (!strcmp(k, "__name__")) {
                        name = json_string_value(lv);
                        continue;
                    }
                    if (nl == SCOPE__PROM_MAX_LABELS) {
                        rc = scope__error(SCOPE_ENOTSUP, 0, "%s%s: a series has more than %d "
                                          "labels", p->shown, what, SCOPE__PROM_MAX_LABELS);
                        break;
                    }
                    keys[nl] = k;
                    vals[nl++] = json_string_value(lv);
                }
                if (rc)
                    break;
                if ((rc = scope_series_set_add(NULL, r->set, name, keys, vals, nl, NULL,
                                               SCOPE_GAUGE, NULL))) {
                    if (rc != SCOPE_ENOMEM)
                        rc = scope__error(SCOPE_ENOTSUP, 0,
                                          "%s%s: series %s cannot be held by libscope's series "
                                          "model: %s",
                                          p->shown, what, name, scope_error_message());
                    break;
                }
            }
        }
    }
    xfer_drop_json(&x);
    xfer_free(&x);
    if (rc) {
        scope_prom_result_free(r);
        return rc;
    }
    r->requests = 1;
    *out = r;
    return 0;
}

SCOPE_API int scope_prom_series(scope_prom_result **out, scope_prom *p, const char *const *match,
                                size_t nmatch, int64_t start_ns, int64_t end_ns)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_series: out is NULL");
    *out = NULL;
    if (!p || nmatch == 0)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_series: a client and at least one match[] selector "
                            "are required (e.g. \"up\" or \"{job=\\\"node\\\"}\")");
    return meta(out, p, "/api/v1/series", "/api/v1/series", match, nmatch, start_ns, end_ns,
                SCOPE_PROM_SERIES, 1);
}

SCOPE_API int scope_prom_labels(scope_prom_result **out, scope_prom *p, const char *const *match,
                                size_t nmatch, int64_t start_ns, int64_t end_ns)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_labels: out is NULL");
    *out = NULL;
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_labels: client is NULL");
    return meta(out, p, "/api/v1/labels", "/api/v1/labels", match, nmatch, start_ns, end_ns,
                SCOPE_PROM_STRINGS, 1);
}

SCOPE_API int scope_prom_label_values(scope_prom_result **out, scope_prom *p, const char *name,
                                      const char *const *match, size_t nmatch,
                                      int64_t start_ns, int64_t end_ns)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_label_values: out is NULL");
    *out = NULL;
    if (!p || !name || !*name)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_label_values: a client and a label name are required");
    scope__buf path = {0};
    scope__buf_puts(&path, "/api/v1/label/");
    form_enc(&path, name); /* percent-encoded path segment */
    scope__buf_puts(&path, "/values");
    if (path.failed) {
        scope__buf_free(&path);
        return scope__enomem("a request");
    }
    int rc = meta(out, p, path.data, path.data, match, nmatch, start_ns, end_ns,
                  SCOPE_PROM_STRINGS, 0);
    scope__buf_free(&path);
    return rc;
}

/* --- usage helpers ------------------------------------------------------------- */

SCOPE_API const char *scope_prom_usage_name(int what)
{
    switch (what) {
    case SCOPE_PROM_CPU_CORES: return "cpu_cores";
    case SCOPE_PROM_NET_MBITS: return "net_mbits";
    case SCOPE_PROM_DISK_BYTES: return "disk_bytes";
    default: return "unknown";
    }
}

static const char *usage_series_name(int what, int dir)
{
    switch (what) {
    case SCOPE_PROM_CPU_CORES: return "cpu_cores";
    case SCOPE_PROM_NET_MBITS: return dir ? "net_transmit_mbits" : "net_receive_mbits";
    default: return dir ? "disk_write_bytes_per_second" : "disk_read_bytes_per_second";
    }
}

SCOPE_API int scope_prom_usage_query(char *buf, size_t cap, int what, int direction,
                                     const char *selector, int64_t rate_window_ms)
{
    if (!buf || what < SCOPE_PROM_CPU_CORES || what > SCOPE_PROM_DISK_BYTES ||
        direction < 0 || direction > 1 || (what == SCOPE_PROM_CPU_CORES && direction) ||
        rate_window_ms < 0)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_prom_usage_query: bad arguments (what %d, direction %d; "
                            "CPU has only direction 0)",
                            what, direction);
    if (!rate_window_ms)
        rate_window_ms = 60000;
    const char *sel = selector && *selector ? selector : NULL;
    if (sel && strpbrk(sel, "{}"))
        return scope__error(SCOPE_EINVAL, 0,
                            "usage selector \"%.80s\": give matchers without braces, e.g. "
                            "namespace=\"shop\",pod=~\"api-.*\"",
                            sel);
    int n;
    switch (what) {
    case SCOPE_PROM_CPU_CORES:
        n = snprintf(buf, cap,
                     "sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total"
                     "{container!=\"\",container!=\"POD\"%s%s}[%lldms]))",
                     sel ? "," : "", sel ? sel : "", (long long)rate_window_ms);
        break;
    case SCOPE_PROM_NET_MBITS:
        n = snprintf(buf, cap,
                     "sum by (namespace, pod) (rate(container_network_%s_bytes_total%s%s%s"
                     "[%lldms])) * 8 / 1e6",
                     direction ? "transmit" : "receive", sel ? "{" : "", sel ? sel : "",
                     sel ? "}" : "", (long long)rate_window_ms);
        break;
    default:
        n = snprintf(buf, cap,
                     "sum by (namespace, pod, container) (rate(container_fs_%s_bytes_total"
                     "{container!=\"\"%s%s}[%lldms]))",
                     direction ? "writes" : "reads", sel ? "," : "", sel ? sel : "",
                     (long long)rate_window_ms);
        break;
    }
    if (n < 0 || (size_t)n >= cap)
        return scope__error(SCOPE_ENOSPC, 0, "scope_prom_usage_query: buffer of %zu bytes is "
                            "too small (%d needed)", cap, n + 1);
    return n;
}

SCOPE_API int scope_prom_usage(scope_prom_result **out, scope_prom *p, int what,
                               const char *selector, int64_t rate_window_ms, int64_t start_ns,
                               int64_t end_ns, int64_t step_ns, const scope_prom_query_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_prom_usage: out is NULL");
    *out = NULL;
    scope_prom_query_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_prom_query_opts");
    if (rc)
        return rc;
    int ndir = what == SCOPE_PROM_CPU_CORES ? 1 : 2;
    scope_prom_result *acc = NULL;
    for (int d = 0; d < ndir; d++) {
        char q[2048];
        rc = scope_prom_usage_query(q, sizeof q, what, d, selector, rate_window_ms);
        if (rc < 0)
            break;
        o.name = usage_series_name(what, d);
        scope_prom_result *r;
        rc = scope_prom_query_range(&r, p, q, start_ns, end_ns, step_ns, &o);
        if (rc)
            break;
        if (!acc) {
            acc = r;
            continue;
        }
        rc = scope_series_set_merge(acc->set, r->set);
        if (!rc && (move_list(&acc->warnings, &r->warnings) || move_list(&acc->infos, &r->infos)))
            rc = SCOPE_ENOMEM;
        acc->requests += r->requests;
        scope_prom_result_free(r);
        if (rc)
            break;
    }
    if (rc < 0) {
        scope_prom_result_free(acc);
        return rc;
    }
    *out = acc;
    return 0;
}
