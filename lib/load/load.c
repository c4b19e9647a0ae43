/* The HTTP/1.1 load engine: open and closed loop over T epoll threads. */
#include "../internal.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#ifdef SCOPE_HAVE_URING
#include <liburing.h>
#include <poll.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h> /* RUNNING_ON_VALGRIND: no inline cost outside it */
#endif
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define MAX_ERRNOS 16
#define ERRMSG_MAX 320
#define RBUF_INIT 32768
#define BACKLOG_MAX (1u << 22)
/* Open loop with sends at most this far apart per thread: the thread wakes
 * only on its send schedule and reads responses then, with their kernel
 * arrival times (see TICK MODE below). Above 1 ms a tick would wake the
 * thread more often than the sends and responses do. */
#define TICK_MAX_GAP_NS 1000000.0
#define TICK_MAX_SLEEP_NS 1000000
/* Timer advance (TICK MODE): a timed sleep ends some tens of us after its
 * deadline on virtual machines (about 40 us on the reference VM), which
 * would make every send that late. Each thread learns that lateness as a
 * running quantile and sleeps that much less; a wake that lands before the
 * deadline spins on the vDSO clock for the rest, at most TICK_SPIN_MAX_NS
 * (a longer remainder sleeps again). Tracking the 30 % quantile makes about
 * 30 % of the wakes spin a few us: median send lateness falls from ~40 us
 * to ~1 us for ~0.5 us of CPU per wake. A wait shorter than the advance
 * plus TICK_MIN_SLEEP_NS spins (a sleep too short to block still programs
 * the timer, a hypercall here; and a late wake would leave the next wait
 * short as well). Threads whose sends are less than TICK_ADV_MIN_GAP_NS
 * apart (over ~12k req/s per thread) get no advance: most of their waits
 * are shorter than the lateness and spinning them costs more than it buys
 * (0.7 instead of 0.45 core at 20k/s); they sleep to the deadline and spin
 * only the last TICK_SPIN_SHORT_NS. */
#define TICK_ADV_Q 0.3
#define TICK_ADV_STEP_NS 1000.0
#define TICK_ADV_MAX_NS 200000.0
#define TICK_SPIN_MAX_NS 50000
#define TICK_SPIN_SHORT_NS 5000
#define TICK_MIN_SLEEP_NS 5000
#define TICK_ADV_MIN_GAP_NS 80000.0

struct header {
    char *name, *value;
};

struct rtype {
    char *name;
    double weight;
    char *method;
    char **paths;
    size_t npaths;
    struct header *headers;
    size_t nheaders;
    char *body;
    size_t body_len;
    int head_request;
    /* prebuilt requests, per path: [0] keep-alive, [1] with Connection: close */
    char **req[2];
    size_t *req_len[2];
};

struct scope_load {
    char *host;       /* Host header value */
    char *url_path;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    scope_load_opts o;
    struct rtype *types;
    size_t ntypes;
    struct header *gheaders; /* for every type */
    size_t ngheaders;
    int user_close;          /* a "Connection: close" header was given */
    scope_load_request_cb on_request;
    scope_load_response_cb on_response;
    void *user;
    int wake_fd;             /* eventfd, lives as long as the handle */
    SSL_CTX *ssl_ctx;        /* https: client context (verifies unless tls_insecure) */
    char *ca_file;           /* copy of opts.ca_file */
    BIO_METHOD *bio_meth;    /* socket BIO that sends with MSG_NOSIGNAL */
    char *sni;               /* host name for SNI */
    atomic_int stop;
    atomic_int running;
};

struct scope_load_request {
    scope__buf path, body, headers;
    int has_path, has_body;
};

/* --- per-thread state -------------------------------------------------------- */

enum { C_CONNECTING, C_IDLE, C_BUSY, C_WAIT, C_CLOSED, C_HANDSHAKE };
enum { P_HEAD, P_BODY };

struct conn {
    int fd;
    int state;
    int type;            /* type of the request in flight */
    int want_close;      /* close after this response */
    int connected_once;
    int wait_connect;    /* C_WAIT ends in a connect (else: a send after think) */
    int64_t intended, sent_at, start; /* start: of the connect or request (timeouts) */
    int64_t deadline;    /* C_WAIT */
    int64_t nreq;        /* requests on this connection */
    const char *wbuf;
    size_t wlen, woff;
    char *rbuf;
    size_t rlen, roff, rcap;
    int phase, body_mode;
    struct scope__http_head head;
    struct scope__http_chunk chunk;
    int64_t body_left, body_bytes;
    int got_bytes;
    struct conn *prev, *next;   /* busy list (connecting or in flight), by start */
    struct conn *wprev, *wnext; /* wait list, by deadline */
    scope__buf own;             /* request built by the request callback */
    SSL *ssl;                   /* https only */
    SSL_SESSION *sess;          /* resumed on reconnects */
    /* URING MODE: a read is always in flight on an established connection;
     * completions carry the generations, so a closed connection's are known */
    uint32_t gen, sgen;         /* connection, request */
    int u_recv, u_send;         /* a read, a send in flight */
    struct iovec u_iov;
    struct msghdr u_mh;
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } u_cm;
};

struct errtab {
    int32_t errnum[MAX_ERRNOS];
    int64_t count[MAX_ERRNOS];
    int64_t total;
    int64_t msg_at;          /* CLOCK_MONOTONIC of the first error (its message) */
    char msg[ERRMSG_MAX];    /* the first error described; "" = none yet */
};

struct tstats {
    int64_t sent, completed, errors, in_flight, late;
    int64_t *status; /* [1000] */
    scope_hist *corr, *unc, *iv;
    int64_t *iv_completed, *iv_errors, *iv_sent;
    void **iv_enc;   /* encoded interval histograms */
    size_t *iv_len;
};

/* Parks the load threads until the run's start time is fixed (all threads
 * created), so that no fixed lead time is needed for thread start-up. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int go;
};

struct worker {
    scope_load *l;
    struct gate *gate;
    uint32_t id;
    int ep;
    pthread_t th;
    struct conn *conns;
    size_t nconns;
    struct conn **idle;
    size_t nidle;
    struct conn *busy_head, *busy_tail;
    struct conn *wait_head, *wait_tail;
    struct tstats *ts; /* per type */
    struct errtab err[SCOPE_LOAD_ERR_KINDS];
    int64_t connects, reconnects, bytes_read, backlog_left;
    int64_t *bl;       /* backlog ring of intended times */
    size_t bl_cap, bl_head, bl_n;
    uint64_t rng;
    size_t *path_rr;   /* per type */
    double next_intended; /* ns */
    int64_t sched_k;
    double gap_ns;
    int64_t start, end, interval;
    int niv, cur_iv;
    int rc;            /* SCOPE_EUSER when a callback stopped the run */
    int failed;        /* internal error: ENOMEM or the errno of epoll */
    int tfd;           /* timerfd, used where epoll_pwait2 is missing (valgrind, seccomp) */
    int64_t tfd_armed; /* the deadline the timerfd is armed for */
    int tick;          /* TICK MODE: wake on the schedule only */
    int stamps;        /* plain TCP: responses timed by kernel receive timestamps */
    int64_t rt_off;    /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns, refreshed every tick */
    int64_t slack;     /* open loop: opts.send_slack_ns */
    double adv;        /* TICK MODE: learned wake-up lateness, ns (timer advance) */
    int64_t poll;      /* opts.poll_ns: busy-poll this long before blocking */
    int uring;         /* URING MODE: established connections' I/O through io_uring */
    int used_uring;    /* the ring was set up (the result's engine) */
    int ep_ready;      /* URING MODE: the epoll set (connects, stop) has events */
    unsigned u_sends;  /* URING MODE: sends queued since the last wait */
#ifdef SCOPE_HAVE_URING
    struct io_uring ring;
#endif
};

struct scope_load_result {
    int ntypes;
    char **names;
    struct tstats *ts;   /* ntypes + 1 (the last: all types), hists merged */
    struct errtab err[SCOPE_LOAD_ERR_KINDS];
    int64_t connects, reconnects, bytes_read, backlog, duration_ns;
    double target_rate;
    int64_t start_wall, interval;
    int niv;
    int nuring, nthreads; /* threads that used io_uring, of all */
    scope_series_set *series;
};

/* --- small helpers ------------------------------------------------------------ */

static inline int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

static inline double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

/* --- TLS: a socket BIO without SIGPIPE, and send/recv over either ------------ */

static int bio_write(BIO *b, const char *data, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = send((int)(intptr_t)BIO_get_data(b), data, (size_t)len,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *data, int len)
{
    BIO_clear_retry_flags(b);
    ssize_t n = recv((int)(intptr_t)BIO_get_data(b), data, (size_t)len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* Maps an OpenSSL failure to the send/recv convention: -1 with errno
 * (EAGAIN: wait for the socket; EPROTO: TLS failure), 0 for the end. */
static ssize_t ssl_result(struct conn *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    if (e == SSL_ERROR_SYSCALL && errno)
        return -1;
    if (e == SSL_ERROR_SYSCALL)
        return 0;
    errno = EPROTO;
    return -1;
}

static ssize_t io_send(struct conn *c, const char *b, size_t n)
{
    if (!c->ssl)
        return send(c->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    ERR_clear_error();
    int r = SSL_write(c->ssl, b, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : ssl_result(c, r);
}

static inline int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The kernel's receive time in a recvmsg's control data (SO_TIMESTAMPNS,
 * CLOCK_REALTIME) on the thread's CLOCK_MONOTONIC; 0 when it has none. */
static int64_t rx_stamp(const struct worker *w, struct msghdr *mh)
{
    int64_t rx = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS &&
            h->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(h), sizeof t);
            rx = ts_ns(&t) - w->rt_off;
        }
    return rx;
}

/* TICK MODE's receive: the bytes and, in *rx_mono, when the kernel received
 * the last segment read (SO_TIMESTAMPNS, CLOCK_REALTIME, converted with the
 * thread's offset); 0 when the kernel gave no timestamp. */
static ssize_t recv_ts(struct worker *w, struct conn *c, char *b, size_t n, int64_t *rx_mono)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } cm;
    struct iovec iov = {.iov_base = b, .iov_len = n};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                        .msg_controllen = sizeof cm.buf};
    ssize_t r = recvmsg(c->fd, &mh, MSG_DONTWAIT);
    *rx_mono = r > 0 ? rx_stamp(w, &mh) : 0;
    return r;
}

static ssize_t io_recv(struct conn *c, char *b, size_t n)
{
    if (!c->ssl)
        return recv(c->fd, b, n, MSG_DONTWAIT);
    ERR_clear_error();
    int r = SSL_read(c->ssl, b, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : ssl_result(c, r);
}

static int tls_setup(scope_load *l, const char *host)
{
    ERR_clear_error();
    l->ssl_ctx = SSL_CTX_new(TLS_client_method());
    l->bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "scope-socket");
    l->sni = scope__strdup(host);
    if (!l->ssl_ctx || !l->bio_meth || !l->sni)
        return scope__error(SCOPE_ENOMEM, 0, "creating the TLS client context failed");
    BIO_meth_set_write(l->bio_meth, bio_write);
    BIO_meth_set_read(l->bio_meth, bio_read);
    BIO_meth_set_ctrl(l->bio_meth, bio_ctrl);
    BIO_meth_set_create(l->bio_meth, bio_create);
    if (l->o.tls_insecure) {
        SSL_CTX_set_verify(l->ssl_ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(l->ssl_ctx, SSL_VERIFY_PEER, NULL);
        if (l->ca_file) {
            if (SSL_CTX_load_verify_locations(l->ssl_ctx, l->ca_file, NULL) != 1) {
                char why[160];
                ERR_error_string_n(ERR_get_error(), why, sizeof why);
                ERR_clear_error();
                return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.ca_file \"%s\" holds no "
                                    "usable PEM certificate (%s): give a readable PEM file of "
                                    "CA certificates", l->ca_file, why);
            }
        } else if (SSL_CTX_set_default_verify_paths(l->ssl_ctx) != 1) {
            ERR_clear_error();
            return scope__error(SCOPE_ENOENT, 0, "the system's CA store could not be loaded: "
                                "install ca-certificates, give scope_load_opts.ca_file, or "
                                "set tls_insecure to skip verification");
        }
        /* the certificate must name the URL's host: an IP address matches
         * only an IP subjectAltName, a name the DNS names (RFC 6125) */
        X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(l->ssl_ctx);
        unsigned char ipbuf[16];
        int is_ip = inet_pton(AF_INET, host, ipbuf) == 1 || inet_pton(AF_INET6, host, ipbuf) == 1;
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host)
                       : X509_VERIFY_PARAM_set1_host(vp, host, 0);
        if (ok != 1) {
            ERR_clear_error();
            return scope__error(SCOPE_EINVAL, 0, "host \"%s\" cannot be checked against a "
                                "certificate", host);
        }
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    SSL_CTX_set_mode(l->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(l->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(l->ssl_ctx, SSL_SESS_CACHE_CLIENT);
    return 0;
}

SCOPE_API const char *scope_load_error_kind_name(int kind)
{
    switch (kind) {
    case SCOPE_LOAD_ERR_CONNECT: return "connect";
    case SCOPE_LOAD_ERR_READ: return "read";
    case SCOPE_LOAD_ERR_WRITE: return "write";
    case SCOPE_LOAD_ERR_TIMEOUT: return "timeout";
    case SCOPE_LOAD_ERR_PARSE: return "parse";
    default: return "unknown";
    }
}

SCOPE_API const char *scope_load_mode_name(int mode)
{
    return mode == SCOPE_LOAD_OPEN ? "open" : mode == SCOPE_LOAD_CLOSED ? "closed" : "unknown";
}

SCOPE_API int scope_load_opts_init(scope_load_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_load_opts");
}

static int valid_header(const char *name, const char *value)
{
    if (!name || !value || !*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (*p <= ' ' || *p == ':' || *p == 127)
            return 0;
    return strpbrk(value, "\r\n") == NULL;
}

/* --- configuration ------------------------------------------------------------- */

static int check_opts(scope_load_opts *o)
{
    if (!o->mode)
        o->mode = SCOPE_LOAD_OPEN;
    if (o->mode != SCOPE_LOAD_OPEN && o->mode != SCOPE_LOAD_CLOSED)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.mode %d: use SCOPE_LOAD_OPEN or "
                            "SCOPE_LOAD_CLOSED", (int)o->mode);
    if (!o->arrival)
        o->arrival = SCOPE_LOAD_CONSTANT;
    if (o->arrival != SCOPE_LOAD_CONSTANT && o->arrival != SCOPE_LOAD_POISSON)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.arrival %d: use "
                            "SCOPE_LOAD_CONSTANT or SCOPE_LOAD_POISSON", (int)o->arrival);
    if (o->rate < 0 || !isfinite(o->rate) || o->rate > 1e8)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.rate %g: give requests per "
                            "second, > 0 and at most 1e8", o->rate);
    if (!o->duration_ns)
        o->duration_ns = INT64_C(10000000000);
    if (o->duration_ns < 0 || o->duration_ns > INT64_C(86400000000000))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.duration_ns %" PRId64
                            ": must be 1 ns .. 24 h", o->duration_ns);
    if (!o->connections)
        o->connections = 10;
    if (!o->threads)
        o->threads = 1;
    if (o->connections < 1 || o->connections > 1000000 || o->threads < 1 || o->threads > 1024 ||
        o->threads > o->connections)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts: %d connections over %d threads: "
                            "need 1 <= threads <= connections", (int)o->connections,
                            (int)o->threads);
    if (!o->timeout_ns)
        o->timeout_ns = INT64_C(2000000000);
    if (!o->interval_ns)
        o->interval_ns = INT64_C(1000000000);
    if (!o->late_ns)
        o->late_ns = 1000000;
    if (!o->reconnect_delay_ns)
        o->reconnect_delay_ns = 10000000;
    if (o->timeout_ns < 0 || o->interval_ns < 1000000 || o->late_ns < 0 || o->think_ns < 0 ||
        o->requests_per_conn < 0 || o->reconnect_delay_ns < 0)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts: timeout, think, late, "
                            "requests_per_conn and reconnect_delay must be >= 0 and "
                            "interval_ns >= 1 ms");
    if (o->duration_ns / o->interval_ns > 1000000)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts: more than a million intervals; "
                            "raise interval_ns");
    if (!o->seed)
        o->seed = 0x5c09e10adull;
    if (o->reserved)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.reserved is %d: it must be 0 "
                            "(initialise with SCOPE_LOAD_OPTS_INIT)", (int)o->reserved);
    if (o->poll_ns < 0 || o->poll_ns > INT64_C(10000000))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.poll_ns %" PRId64 ": must be "
                            "0 (block at once) .. 10 ms", o->poll_ns);
    if (o->send_slack_ns < 0 || o->send_slack_ns > INT64_C(1000000000))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.send_slack_ns %" PRId64 ": must be "
                            "0 (send on time) .. 1 s", o->send_slack_ns);
    if (o->tls_insecure != 0 && o->tls_insecure != 1)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_opts.tls_insecure is %d: use 0 "
                            "(verify) or 1", (int)o->tls_insecure);
    return 0;
}

SCOPE_API int scope_load_new(scope_load **out, const char *url, const scope_load_opts *opts)
{
    if (!out || !url)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_new: out or url is NULL");
    *out = NULL;
    scope_load_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_load_opts");
    if (rc)
        return rc;
    if ((rc = check_opts(&o)))
        return rc;
    int tls = !strncmp(url, "https://", 8);
    if (!tls && strncmp(url, "http://", 7))
        return scope__error(SCOPE_EINVAL, 0, "URL \"%s\" must start with http:// or https://",
                            url);
    const char *hp = url + (tls ? 8 : 7), *slash = strchr(hp, '/');
    size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
    if (!hl || hl > 255)
        return scope__error(SCOPE_EINVAL, 0, "URL \"%s\" has no host", url);
    char hostport[256], host[256], port[16];
    snprintf(port, sizeof port, "%s", tls ? "443" : "80");
    memcpy(hostport, hp, hl);
    hostport[hl] = '\0';
    if (hostport[0] == '[') {
        char *rb = strchr(hostport, ']');
        if (!rb)
            return scope__error(SCOPE_EINVAL, 0, "URL \"%s\": unclosed [ in the host", url);
        size_t n = (size_t)(rb - hostport - 1);
        memcpy(host, hostport + 1, n);
        host[n] = '\0';
        if (rb[1] == ':')
            snprintf(port, sizeof port, "%s", rb + 2);
    } else {
        char *colon = strrchr(hostport, ':');
        size_t n = colon ? (size_t)(colon - hostport) : hl;
        memcpy(host, hostport, n);
        host[n] = '\0';
        if (colon)
            snprintf(port, sizeof port, "%s", colon + 1);
    }
    char *endp;
    long pn = strtol(port, &endp, 10);
    if (*endp || pn < 1 || pn > 65535)
        return scope__error(SCOPE_EINVAL, 0, "URL \"%s\": port \"%s\" is not 1..65535", url, port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g || !ai)
        return scope__error(SCOPE_ENET, 0, "resolving \"%s\": %s; check the host name", host,
                            gai_strerror(g));
    scope_load *l = calloc(1, sizeof *l);
    if (!l) {
        freeaddrinfo(ai);
        return scope__enomem("a load handle");
    }
    memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
    l->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    l->o = o;
    l->o.ca_file = NULL; /* the caller's string is not kept; l->ca_file is */
    l->ca_file = o.ca_file ? scope__strdup(o.ca_file) : NULL;
    l->host = scope__strndup(hp, hl);
    l->url_path = scope__strdup(slash ? slash : "/");
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!l->host || !l->url_path || l->wake_fd < 0 || (o.ca_file && !l->ca_file)) {
        int e = errno, no_fd = l->wake_fd < 0;
        scope_load_free(l);
        return no_fd ? scope__error_sys(SCOPE_ELIMIT, e, "eventfd for a load handle")
                     : scope__enomem("a load handle");
    }
    if (tls && (rc = tls_setup(l, host))) {
        scope_load_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

static void free_type(struct rtype *t)
{
    free(t->name);
    free(t->method);
    for (size_t i = 0; i < t->npaths; i++) {
        free(t->paths[i]);
        for (int k = 0; k < 2; k++)
            if (t->req[k])
                free(t->req[k][i]);
    }
    for (int k = 0; k < 2; k++) {
        free(t->req[k]);
        free(t->req_len[k]);
        t->req[k] = NULL;
        t->req_len[k] = NULL;
    }
    free(t->paths);
    for (size_t i = 0; i < t->nheaders; i++) {
        free(t->headers[i].name);
        free(t->headers[i].value);
    }
    free(t->headers);
    free(t->body);
}

SCOPE_API void scope_load_free(scope_load *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->ntypes; i++)
        free_type(&l->types[i]);
    free(l->types);
    for (size_t i = 0; i < l->ngheaders; i++) {
        free(l->gheaders[i].name);
        free(l->gheaders[i].value);
    }
    free(l->gheaders);
    free(l->host);
    free(l->url_path);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    SSL_CTX_free(l->ssl_ctx);
    if (l->bio_meth)
        BIO_meth_free(l->bio_meth);
    free(l->sni);
    free(l->ca_file);
    free(l);
}

static int not_running(scope_load *l, const char *fn)
{
    if (!l)
        return scope__error(SCOPE_EINVAL, 0, "%s: the handle is NULL", fn);
    if (atomic_load(&l->running))
        return scope__error(SCOPE_ESTATE, 0, "%s: the load is running; change it between runs",
                            fn);
    return 0;
}

SCOPE_API int scope_load_set_rate(scope_load *l, double rate)
{
    int rc = not_running(l, "scope_load_set_rate");
    if (rc)
        return rc;
    if (!(rate > 0) || !isfinite(rate) || rate > 1e8)
        return scope__error(SCOPE_EINVAL, 0, "rate %g: give requests per second, > 0", rate);
    l->o.rate = rate;
    return 0;
}

SCOPE_API int scope_load_set_mode(scope_load *l, int mode)
{
    int rc = not_running(l, "scope_load_set_mode");
    if (rc)
        return rc;
    if (mode != SCOPE_LOAD_OPEN && mode != SCOPE_LOAD_CLOSED)
        return scope__error(SCOPE_EINVAL, 0, "mode %d: use SCOPE_LOAD_OPEN or SCOPE_LOAD_CLOSED",
                            mode);
    l->o.mode = mode;
    return 0;
}

static int push_str(char ***arr, size_t *n, const char *s)
{
    char *d = scope__strdup(s);
    char **na = d ? realloc(*arr, (*n + 1) * sizeof **arr) : NULL;
    if (!na) {
        free(d);
        return scope__enomem("a path list");
    }
    na[(*n)++] = d;
    *arr = na;
    return 0;
}

static int valid_path(const char *p)
{
    if (!p || !*p)
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 127)
            return 0;
    return 1;
}

static int add_type(scope_load *l, const char *name, double weight, const char *method,
                    const char *path);

SCOPE_API int scope_load_add_type(scope_load *l, const char *name, double weight,
                                  const char *method, const char *path)
{
    int rc = not_running(l, "scope_load_add_type");
    if (rc)
        return rc;
    return add_type(l, name, weight, method, path);
}

static int add_type(scope_load *l, const char *name, double weight, const char *method,
                    const char *path)
{
    if (!name || !*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789_.-") != strlen(name))
        return scope__error(SCOPE_EINVAL, 0, "request type name \"%s\": use [A-Za-z0-9_.-]+",
                            name ? name : "(null)");
    if (!(weight > 0) || !isfinite(weight))
        return scope__error(SCOPE_EINVAL, 0, "request type %s: weight %g must be > 0", name,
                            weight);
    if (method && (!*method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method)))
        return scope__error(SCOPE_EINVAL, 0, "request type %s: method \"%s\" must be upper-case "
                            "letters", name, method);
    if (path && !valid_path(path))
        return scope__error(SCOPE_EINVAL, 0, "request type %s: path \"%s\" is empty or holds "
                            "blanks or control characters", name, path);
    for (size_t i = 0; i < l->ntypes; i++)
        if (!strcmp(l->types[i].name, name))
            return scope__error(SCOPE_EEXIST, 0, "request type %s exists already", name);
    if (l->ntypes >= 4096)
        return scope__error(SCOPE_ELIMIT, 0, "at most 4096 request types");
    struct rtype *nt = realloc(l->types, (l->ntypes + 1) * sizeof *nt);
    if (!nt)
        return scope__enomem("a request type");
    l->types = nt;
    struct rtype *t = &nt[l->ntypes];
    memset(t, 0, sizeof *t);
    t->name = scope__strdup(name);
    t->method = scope__strdup(method ? method : "GET");
    t->weight = weight;
    if (!t->name || !t->method || push_str(&t->paths, &t->npaths, path ? path : l->url_path)) {
        free_type(t);
        return scope__enomem("a request type");
    }
    t->head_request = !strcmp(t->method, "HEAD");
    return (int)l->ntypes++;
}

static int get_type(scope_load *l, int type, const char *fn)
{
    int rc = not_running(l, fn);
    if (rc)
        return rc;
    if (type < -1 || type >= (int)l->ntypes)
        return scope__error(SCOPE_EINVAL, 0, "%s: type %d is not a type index (0..%zu) or -1",
                            fn, type, l->ntypes);
    return 0;
}

SCOPE_API int scope_load_add_path(scope_load *l, int type, const char *path)
{
    int rc = get_type(l, type, "scope_load_add_path");
    if (rc)
        return rc;
    if (type < 0 || !valid_path(path))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_add_path: need a type index and a path "
                            "without blanks");
    return push_str(&l->types[type].paths, &l->types[type].npaths, path);
}

SCOPE_API int scope_load_add_header(scope_load *l, int type, const char *name, const char *value)
{
    int rc = get_type(l, type, "scope_load_add_header");
    if (rc)
        return rc;
    if (!valid_header(name, value))
        return scope__error(SCOPE_EINVAL, 0, "header \"%s\": the name must be a token and the "
                            "value hold no CR or LF", name ? name : "(null)");
    struct header **arr = type < 0 ? &l->gheaders : &l->types[type].headers;
    size_t *n = type < 0 ? &l->ngheaders : &l->types[type].nheaders;
    struct header *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na)
        return scope__enomem("a header");
    *arr = na;
    na[*n].name = scope__strdup(name);
    na[*n].value = scope__strdup(value);
    if (!na[*n].name || !na[*n].value) {
        free(na[*n].name);
        free(na[*n].value);
        return scope__enomem("a header");
    }
    (*n)++;
    if (!strcasecmp(name, "connection") && strcasestr(value, "close"))
        l->user_close = 1;
    return 0;
}

static int set_body(struct rtype *t, const void *body, size_t len)
{
    char *b = NULL;
    if (len) {
        b = malloc(len);
        if (!b)
            return scope__enomem("a request body");
        if (body)
            memcpy(b, body, len);
        else
            memset(b, 'x', len);
    }
    free(t->body);
    t->body = b;
    t->body_len = len;
    return 0;
}

static int ensure_default_type(scope_load *l)
{
    if (l->ntypes)
        return 0;
    int rc = add_type(l, "default", 1.0, NULL, NULL);
    return rc < 0 ? rc : 0;
}

SCOPE_API int scope_load_set_body(scope_load *l, int type, const void *body, size_t len)
{
    int rc = get_type(l, type, "scope_load_set_body");
    if (rc)
        return rc;
    if ((rc = ensure_default_type(l)))
        return rc;
    if (len > (size_t)1 << 30)
        return scope__error(SCOPE_EINVAL, 0, "request body of %zu bytes: at most 1 GiB", len);
    for (size_t i = 0; i < l->ntypes; i++)
        if ((type < 0 || (size_t)type == i) && (rc = set_body(&l->types[i], body, len)))
            return rc;
    return 0;
}

SCOPE_API int scope_load_set_callbacks(scope_load *l, scope_load_request_cb on_request,
                                       scope_load_response_cb on_response, void *user_data)
{
    int rc = not_running(l, "scope_load_set_callbacks");
    if (rc)
        return rc;
    l->on_request = on_request;
    l->on_response = on_response;
    l->user = user_data;
    return 0;
}

/* Writes a request into @b. */
static void build_request(scope__buf *b, const scope_load *l, const struct rtype *t,
                          const char *path, const char *extra, size_t extra_len,
                          const char *body, size_t body_len, int close)
{
    int has_host = 0;
    scope__buf_printf(b, "%s %s HTTP/1.1\r\n", t->method, path);
    for (size_t i = 0; i < l->ngheaders; i++)
        has_host |= !strcasecmp(l->gheaders[i].name, "host");
    for (size_t i = 0; i < t->nheaders; i++)
        has_host |= !strcasecmp(t->headers[i].name, "host");
    if (!has_host)
        scope__buf_printf(b, "Host: %s\r\n", l->host);
    for (size_t i = 0; i < l->ngheaders; i++)
        scope__buf_printf(b, "%s: %s\r\n", l->gheaders[i].name, l->gheaders[i].value);
    for (size_t i = 0; i < t->nheaders; i++)
        scope__buf_printf(b, "%s: %s\r\n", t->headers[i].name, t->headers[i].value);
    if (extra_len)
        scope__buf_append(b, extra, extra_len);
    if (body_len || strcmp(t->method, "GET"))
        if (body_len || !strcmp(t->method, "POST") || !strcmp(t->method, "PUT"))
            scope__buf_printf(b, "Content-Length: %zu\r\n", body_len);
    if (close && !l->user_close)
        scope__buf_puts(b, "Connection: close\r\n");
    scope__buf_puts(b, "\r\n");
    if (body_len)
        scope__buf_append(b, body, body_len);
}

static int prebuild(scope_load *l)
{
    for (size_t i = 0; i < l->ntypes; i++) {
        struct rtype *t = &l->types[i];
        for (int k = 0; k < 2; k++) {
            if (t->req[k]) {
                for (size_t p = 0; p < t->npaths; p++)
                    free(t->req[k][p]);
                free(t->req[k]);
                free(t->req_len[k]);
            }
            t->req[k] = calloc(t->npaths, sizeof *t->req[k]);
            t->req_len[k] = calloc(t->npaths, sizeof *t->req_len[k]);
            if (!t->req[k] || !t->req_len[k])
                return scope__enomem("prebuilt requests");
            for (size_t p = 0; p < t->npaths; p++) {
                scope__buf b = {0};
                build_request(&b, l, t, t->paths[p], NULL, 0, t->body, t->body_len, k);
                if (b.failed) {
                    scope__buf_free(&b);
                    return scope__enomem("a prebuilt request");
                }
                t->req[k][p] = b.data;
                t->req_len[k][p] = b.len;
            }
        }
    }
    return 0;
}

/* --- the request being built by a callback ------------------------------------ */

SCOPE_API int scope_load_request_set_path(scope_load_request *rq, const char *path)
{
    if (!rq || !valid_path(path))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_request_set_path: bad path");
    rq->path.len = 0;
    scope__buf_puts(&rq->path, path);
    rq->has_path = 1;
    return rq->path.failed ? scope__enomem("a request path") : 0;
}

SCOPE_API int scope_load_request_set_body(scope_load_request *rq, const void *body, size_t len)
{
    if (!rq || (!body && len))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_request_set_body: bad arguments");
    rq->body.len = 0;
    if (len)
        scope__buf_append(&rq->body, body, len);
    rq->has_body = 1;
    return rq->body.failed ? scope__enomem("a request body") : 0;
}

SCOPE_API int scope_load_request_add_header(scope_load_request *rq, const char *name,
                                            const char *value)
{
    if (!rq || !valid_header(name, value))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_request_add_header: bad header");
    scope__buf_printf(&rq->headers, "%s: %s\r\n", name, value);
    return rq->headers.failed ? scope__enomem("a request header") : 0;
}

/* --- the engine ---------------------------------------------------------------- */

static void busy_push(struct worker *w, struct conn *c)
{
    c->next = NULL;
    c->prev = w->busy_tail;
    if (w->busy_tail)
        w->busy_tail->next = c;
    else
        w->busy_head = c;
    w->busy_tail = c;
}

static void busy_remove(struct worker *w, struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (w->busy_head == c)
        w->busy_head = c->next;
    else
        return; /* not listed */
    if (c->next)
        c->next->prev = c->prev;
    else
        w->busy_tail = c->prev;
    c->prev = c->next = NULL;
}

static void wait_insert(struct worker *w, struct conn *c, int64_t deadline, int connect)
{
    c->state = C_WAIT;
    c->deadline = deadline;
    c->wait_connect = connect;
    struct conn *p = w->wait_tail;
    while (p && p->deadline > deadline)
        p = p->wprev;
    c->wprev = p;
    c->wnext = p ? p->wnext : w->wait_head;
    if (c->wnext)
        c->wnext->wprev = c;
    else
        w->wait_tail = c;
    if (p)
        p->wnext = c;
    else
        w->wait_head = c;
}

static void wait_remove(struct worker *w, struct conn *c)
{
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else
        w->wait_head = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    else
        w->wait_tail = c->wprev;
    c->wprev = c->wnext = NULL;
}

/* Describes the first error of @kind on this thread (later ones are only
 * counted): the message the result hands out. */
static void note_error(struct worker *w, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_error(struct worker *w, int kind, const char *fmt, ...)
{
    struct errtab *e = &w->err[kind];
    if (e->msg[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->msg_at = mono_now();
}

static void count_error(struct worker *w, int kind, int errnum)
{
    struct errtab *e = &w->err[kind];
    if (!e->msg[0]) {
        const char *h = w->l->host;
        char why[96];
        if (errnum)
            snprintf(why, sizeof why, "%s (errno %d)", strerror(errnum), errnum);
        else
            snprintf(why, sizeof why, "the server closed the connection");
        switch (kind) {
        case SCOPE_LOAD_ERR_CONNECT:
            note_error(w, kind, "connecting to %s: %s; check that the server listens there",
                       h, why);
            break;
        case SCOPE_LOAD_ERR_READ:
            note_error(w, kind, "reading a response from %s: %s", h, why);
            break;
        case SCOPE_LOAD_ERR_WRITE:
            note_error(w, kind, "sending a request to %s: %s", h, why);
            break;
        case SCOPE_LOAD_ERR_TIMEOUT:
            note_error(w, kind, "no complete response from %s within the timeout of %.3f s: the "
                       "server is overloaded or stalled; lower the rate or raise timeout_ns",
                       h, (double)w->l->o.timeout_ns / 1e9);
            break;
        case SCOPE_LOAD_ERR_PARSE:
            note_error(w, kind, "the response from %s is not valid HTTP/1.1 (%s)", h,
                       errnum == EMSGSIZE ? "its head does not fit the read buffer"
                                          : errnum ? strerror(errnum) : "malformed");
            break;
        default: break;
        }
    }
    e->total++;
    for (int i = 0; i < MAX_ERRNOS; i++) {
        if (e->count[i] && e->errnum[i] == errnum) {
            e->count[i]++;
            return;
        }
        if (!e->count[i]) {
            e->errnum[i] = errnum;
            e->count[i] = 1;
            return;
        }
    }
    e->count[MAX_ERRNOS - 1]++; /* table full: lump into the last entry */
}

static inline int iv_index(const struct worker *w, int64_t now)
{
    int64_t k = (now - w->start) / w->interval;
    if (k < 0)
        k = 0;
    if (k >= w->niv)
        k = w->niv - 1;
    return (int)k;
}

/* Closes the interval histograms up to (excluding) interval @k. */
static void roll_intervals(struct worker *w, int k)
{
    while (w->cur_iv < k) {
        for (size_t t = 0; t < w->l->ntypes; t++) {
            struct tstats *s = &w->ts[t];
            if (scope_hist_count(s->iv)) {
                if (scope_hist_encode(&s->iv_enc[w->cur_iv], &s->iv_len[w->cur_iv], s->iv))
                    w->failed = 1;
                scope_hist_reset(s->iv);
            }
        }
        w->cur_iv++;
    }
}

/* A callback asked to stop: end this thread and the others. */
static void user_stop(struct worker *w)
{
    w->rc = SCOPE_EUSER;
    scope_load_stop(w->l);
}

static void u_cancel(struct worker *w, struct conn *c);
static void u_send(struct worker *w, struct conn *c);
static void u_arm_recv(struct worker *w, struct conn *c);

static void conn_close(struct worker *w, struct conn *c)
{
    busy_remove(w, c);
    if (c->state == C_WAIT)
        wait_remove(w, c);
    if (c->state == C_IDLE) {
        for (size_t i = 0; i < w->nidle; i++)
            if (w->idle[i] == c) {
                w->idle[i] = w->idle[--w->nidle];
                break;
            }
    }
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (w->uring && c->fd >= 0)
        u_cancel(w, c);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = C_CLOSED;
    c->rlen = c->roff = 0;
}

static void start_connect(struct worker *w, struct conn *c, int64_t now);
static void conn_ready(struct worker *w, struct conn *c, int64_t now);

/* A request ended with an error: count it once and record its age. */
static void request_failed(struct worker *w, struct conn *c, int kind, int errnum, int64_t now)
{
    struct tstats *s = &w->ts[c->type];
    s->errors++;
    int k = iv_index(w, now);
    if (k > w->cur_iv)
        roll_intervals(w, k);
    s->iv_errors[k]++;
    count_error(w, kind, errnum);
    if (kind == SCOPE_LOAD_ERR_TIMEOUT) {
        /* recorded at its age, which is at least the timeout */
        scope_hist_record(s->corr, now - c->intended);
        scope_hist_record(s->unc, now - c->sent_at);
        scope_hist_record(s->iv, now - c->intended);
    }
    if (w->l->on_response &&
        w->l->on_response(w->id, c->type, 0, kind, now - c->intended, now - c->sent_at, 0,
                          w->l->user))
        user_stop(w);
    conn_close(w, c);
    start_connect(w, c, now);
}

static void start_connect(struct worker *w, struct conn *c, int64_t now)
{
    if (c->connected_once)
        w->reconnects++;
    int fd = socket(w->l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        count_error(w, SCOPE_LOAD_ERR_CONNECT, errno);
        wait_insert(w, c, now + w->l->o.reconnect_delay_ns, 1);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (w->stamps)
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    c->fd = fd;
    c->nreq = 0;
    c->rlen = c->roff = 0;
    c->start = now;
    c->state = C_CONNECTING;
    /* URING MODE: epoll reports the connect once; reads go through the ring */
    struct epoll_event ev = {.events = w->uring ? EPOLLOUT | EPOLLONESHOT
                                                : EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev)) {
        count_error(w, SCOPE_LOAD_ERR_CONNECT, errno);
        close(fd);
        c->fd = -1;
        wait_insert(w, c, now + w->l->o.reconnect_delay_ns, 1);
        return;
    }
    int r = connect(fd, (const struct sockaddr *)&w->l->addr, w->l->addrlen);
    if (r && errno != EINPROGRESS) {
        count_error(w, SCOPE_LOAD_ERR_CONNECT, errno);
        close(fd);
        c->fd = -1;
        c->state = C_CLOSED;
        wait_insert(w, c, now + w->l->o.reconnect_delay_ns, 1);
        return;
    }
    busy_push(w, c); /* connect timeout */
}

static int choose_type(struct worker *w)
{
    size_t n = w->l->ntypes;
    if (n == 1)
        return 0;
    double u = rng_unit(&w->rng) * w->l->types[n - 1].weight; /* weights are cumulative here */
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u < w->l->types[mid].weight)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (int)lo;
}

static void try_write(struct worker *w, struct conn *c, int64_t now);

/* Sends a new request on idle connection @c, intended at @intended. */
static void send_request(struct worker *w, struct conn *c, int64_t intended, int64_t now)
{
    scope_load *l = w->l;
    int type = choose_type(w);
    struct rtype *t = &l->types[type];
    size_t p = 0;
    if (t->npaths > 1) {
        p = w->path_rr[type]++ % t->npaths;
    }
    c->nreq++;
    int close = l->user_close || (l->o.requests_per_conn && c->nreq >= l->o.requests_per_conn);
    c->type = type;
    c->want_close = close;
    if (l->on_request) {
        scope_load_request rq;
        memset(&rq, 0, sizeof rq);
        int stop = l->on_request(&rq, w->id, type, l->user);
        c->own.len = 0;
        build_request(&c->own, l, t, rq.has_path ? rq.path.data : t->paths[p], rq.headers.data,
                      rq.headers.len, rq.has_body ? rq.body.data : t->body,
                      rq.has_body ? rq.body.len : t->body_len, close);
        int failed = rq.path.failed || rq.body.failed || rq.headers.failed || c->own.failed;
        scope__buf_free(&rq.path);
        scope__buf_free(&rq.body);
        scope__buf_free(&rq.headers);
        if (stop)
            user_stop(w);
        if (failed) {
            w->failed = 1;
            return;
        }
        c->wbuf = c->own.data;
        c->wlen = c->own.len;
    } else {
        c->wbuf = t->req[close][p];
        c->wlen = t->req_len[close][p];
    }
    c->woff = 0;
    c->sgen++;
    c->intended = intended;
    c->sent_at = now;
    c->start = now;
    c->state = C_BUSY;
    c->phase = P_HEAD;
    c->got_bytes = 0;
    busy_push(w, c);
    struct tstats *s = &w->ts[type];
    s->sent++;
    int k = iv_index(w, now);
    if (k > w->cur_iv)
        roll_intervals(w, k);
    s->iv_sent[k]++;
    if (now - intended > l->o.late_ns)
        s->late++;
    try_write(w, c, now);
}

static void try_write(struct worker *w, struct conn *c, int64_t now)
{
    if (w->uring) {
        if (!c->u_send && c->woff < c->wlen)
            u_send(w, c);
        if (!c->u_recv)
            u_arm_recv(w, c);
        return;
    }
    while (c->woff < c->wlen) {
        ssize_t n = io_send(c, c->wbuf + c->woff, c->wlen - c->woff);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* EPOLLOUT (edge) resumes */
        request_failed(w, c, SCOPE_LOAD_ERR_WRITE, n < 0 ? errno : 0, now);
        return;
    }
}

static inline int backlog_pop(struct worker *w, int64_t *intended)
{
    if (!w->bl_n)
        return 0;
    *intended = w->bl[w->bl_head];
    w->bl_head = (w->bl_head + 1) & (w->bl_cap - 1);
    w->bl_n--;
    return 1;
}

static void backlog_push(struct worker *w, int64_t intended)
{
    if (w->bl_n == w->bl_cap) {
        if (w->bl_cap >= BACKLOG_MAX) {
            w->backlog_left++; /* never sent */
            return;
        }
        size_t ncap = w->bl_cap * 2;
        int64_t *nb = malloc(ncap * sizeof *nb);
        if (!nb) {
            w->backlog_left++;
            return;
        }
        for (size_t i = 0; i < w->bl_n; i++)
            nb[i] = w->bl[(w->bl_head + i) & (w->bl_cap - 1)];
        free(w->bl);
        w->bl = nb;
        w->bl_cap = ncap;
        w->bl_head = 0;
    }
    w->bl[(w->bl_head + w->bl_n) & (w->bl_cap - 1)] = intended;
    w->bl_n++;
}

/* Connection @c can take a request now. */
static void conn_ready(struct worker *w, struct conn *c, int64_t now)
{
    if (w->l->o.mode == SCOPE_LOAD_CLOSED) {
        if (now < w->start) { /* connected in the lead time: the first send at the start */
            wait_insert(w, c, w->start, 0);
            return;
        }
        if (w->l->o.think_ns && c->nreq > 0) {
            wait_insert(w, c, now + w->l->o.think_ns, 0);
            return;
        }
        send_request(w, c, now, now);
        return;
    }
    int64_t intended;
    if (backlog_pop(w, &intended)) {
        send_request(w, c, intended, now);
        return;
    }
    c->state = C_IDLE;
    w->idle[w->nidle++] = c;
}

/* @t_resp: when the response arrived (latency); @now: the time of this
 * read, for what follows (the next send, a reconnect). */
static void response_done(struct worker *w, struct conn *c, int64_t t_resp, int64_t now)
{
    struct tstats *s = &w->ts[c->type];
    int64_t lat = t_resp - c->intended, svc = t_resp - c->sent_at;
    s->completed++;
    int st = c->head.status;
    s->status[st < 1000 ? st : 0]++;
    scope_hist_record(s->corr, lat);
    scope_hist_record(s->unc, svc);
    int k = iv_index(w, t_resp);
    if (k > w->cur_iv)
        roll_intervals(w, k);
    s->iv_completed[k]++;
    scope_hist_record(s->iv, lat);
    int64_t body = c->body_mode == SCOPE__BODY_CHUNKED ? c->chunk.body : c->body_bytes;
    if (w->l->on_response &&
        w->l->on_response(w->id, c->type, st, 0, lat, svc, body, w->l->user))
        user_stop(w);
    busy_remove(w, c);
    if (c->want_close || c->head.close) {
        conn_close(w, c);
        start_connect(w, c, now);
        return;
    }
    conn_ready(w, c, now);
}

/* Parses what is buffered; returns 1 when a response completed. -1: error
 * (already handled). 0: need more. */
static int parse_buffered(struct worker *w, struct conn *c, int64_t now, int eof)
{
    for (;;) {
        char *b = c->rbuf + c->roff;
        size_t avail = c->rlen - c->roff;
        if (c->phase == P_HEAD) {
            int n = scope__http_head_parse(b, avail, &c->head);
            if (n < 0) {
                request_failed(w, c, SCOPE_LOAD_ERR_PARSE, 0, now);
                return -1;
            }
            if (n == 0)
                return 0;
            c->roff += (size_t)n;
            if (c->head.status < 200 && c->head.status != 101)
                continue; /* interim response: the final one follows */
            c->body_mode = scope__http_body_mode(&c->head, w->l->types[c->type].head_request);
            c->body_left = c->head.content_length;
            c->body_bytes = 0;
            memset(&c->chunk, 0, sizeof c->chunk);
            c->phase = P_BODY;
            continue;
        }
        switch (c->body_mode) {
        case SCOPE__BODY_NONE:
            return 1;
        case SCOPE__BODY_LENGTH: {
            size_t take = (int64_t)avail < c->body_left ? avail : (size_t)c->body_left;
            c->roff += take;
            c->body_left -= (int64_t)take;
            c->body_bytes += (int64_t)take;
            return c->body_left == 0;
        }
        case SCOPE__BODY_CHUNKED: {
            size_t used;
            int r = scope__http_chunk_feed(&c->chunk, b, avail, &used);
            c->roff += used;
            if (r < 0) {
                request_failed(w, c, SCOPE_LOAD_ERR_PARSE, 0, now);
                return -1;
            }
            return r;
        }
        default: /* until EOF */
            c->body_bytes += (int64_t)avail;
            c->roff += avail;
            if (eof) {
                c->head.close = 1;
                return 1;
            }
            return 0;
        }
    }
}

/* Makes room in c->rbuf for the next read; 0 when an unfinished response
 * fills it (the request failed: handled here). */
static int rbuf_room(struct worker *w, struct conn *c)
{
    if (c->roff == c->rlen) {
        c->roff = c->rlen = 0;
    } else if (c->rlen == c->rcap) {
        if (!c->roff) {
            if (c->state == C_BUSY)
                request_failed(w, c, SCOPE_LOAD_ERR_PARSE, EMSGSIZE, mono_now());
            return 0;
        }
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
        c->rlen -= c->roff;
        c->roff = 0;
    }
    return 1;
}

/* One read on @c: @n bytes at c->rbuf + c->rlen (0: the peer closed; -1:
 * failed with @err), the last of them received by the kernel at @rx (0:
 * unknown). Returns 1 while the same connection stays open for reading, 0
 * when it was closed or replaced (handled here). */
static int read_done(struct worker *w, struct conn *c, ssize_t n, int err, int64_t rx)
{
    int64_t now = mono_now();
    /* A response's time is its arrival in the kernel, not this read
     * (which waited for the thread's wake-up, or in TICK MODE for the
     * next tick); never before the send. Sends and reconnects that
     * follow use the read time. */
    int64_t t_resp = now;
    if (rx > 0 && rx < now && c->state == C_BUSY)
        t_resp = rx > c->sent_at ? rx : c->sent_at;
    if (n < 0) {
        if (c->state == C_BUSY) {
            request_failed(w, c, SCOPE_LOAD_ERR_READ, err, now);
        } else {
            conn_close(w, c);
            start_connect(w, c, now);
        }
        return 0;
    }
    if (n == 0) {
        if (c->state == C_BUSY) {
            if (c->phase == P_BODY && c->body_mode == SCOPE__BODY_EOF) {
                if (parse_buffered(w, c, now, 1) == 1)
                    response_done(w, c, now, now);
                return 0;
            }
            request_failed(w, c, SCOPE_LOAD_ERR_READ, 0, now);
        } else {
            /* the server closed an idle keep-alive connection */
            conn_close(w, c);
            start_connect(w, c, now);
        }
        return 0;
    }
    w->bytes_read += n;
    c->rlen += (size_t)n;
    if (c->state != C_BUSY) {
        c->roff = c->rlen = 0; /* unsolicited bytes: drop them */
        return 1;
    }
    int r = parse_buffered(w, c, now, 0);
    if (r < 0)
        return 0;
    if (r == 1) {
        c->roff = c->rlen = 0; /* no pipelining: leftovers are junk */
        response_done(w, c, t_resp, now);
        if (c->fd < 0 || c->state == C_CONNECTING)
            return 0;
    }
    return 1;
}

/* @hup: the event said the peer closed (EPOLLRDHUP/EPOLLHUP): read to the
 * end, as that edge is not reported again. */
static void on_readable(struct worker *w, struct conn *c, int hup)
{
    for (;;) {
        if (!rbuf_room(w, c))
            return;
        size_t space = c->rcap - c->rlen;
        int64_t rx = 0;
        ssize_t n = w->stamps && !c->ssl ? recv_ts(w, c, c->rbuf + c->rlen, space, &rx)
                                         : io_recv(c, c->rbuf + c->rlen, space);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (!read_done(w, c, n, n < 0 ? errno : 0, rx))
            return;
        /* Drained: the next edge tells us about more. Not so for TLS (records
         * are buffered) or a body that ends with the close (the FIN may have
         * come with this data, and its edge is spent). */
        if ((size_t)n < space && !c->ssl && !hup &&
            !(c->state == C_BUSY && c->phase == P_BODY && c->body_mode == SCOPE__BODY_EOF))
            return;
    }
}

/* --- URING MODE -------------------------------------------------------------------
 * Threads on plain TCP without poll_ns (where liburing was found at build
 * time and the kernel takes IORING_SETUP_DEFER_TASKRUN, 6.1+; else epoll)
 * move the sends and reads of established connections to an io_uring: every
 * connection always has a recvmsg in flight (it arms a poll; the copy runs
 * in this thread when it next enters the ring), sends are queued, and one
 * io_uring_enter submits them and waits. In TICK MODE completions do not
 * wake the thread (the wait asks for more than can come): the next tick
 * collects them, with the kernel's receive times as before. That is one
 * system call per tick where epoll needs a sleep, an epoll_wait, and a send
 * and a recvmsg per request: on the reference VM (a syscall costs ~1 us)
 * 10k req/s sent in pairs went from 0.21 to 0.19 core in a bare C loop, and
 * the engine from 0.21 to 0.19. Elsewhere (closed loop, backlog, slow
 * open loop) a thread waits for the first completion, as the epoll engine
 * waits for the first event. Connects stay on epoll (a one-shot EPOLLOUT),
 * and the epoll set is watched by a multishot poll in the ring.
 * SCOPE_LOAD_IO=epoll turns it off (A/B benchmarks, tests); so does running
 * under valgrind, whose memcheck cannot follow the kernel's later writes. */
#ifdef SCOPE_HAVE_URING
enum { U_RECV = 1, U_SEND, U_EPOLL };
#define U_DATA(idx, tag, op) (((uint64_t)(idx) << 40) | ((uint64_t)(uint32_t)(tag) << 8) | (op))
#define U_NO_WAKE (1u << 30) /* a wait count no tick reaches: sleep to the timeout */

static struct io_uring_sqe *u_sqe(struct worker *w)
{
    struct io_uring_sqe *q = io_uring_get_sqe(&w->ring);
    if (!q) { /* full: hand what is queued to the kernel */
        io_uring_submit(&w->ring);
        q = io_uring_get_sqe(&w->ring);
    }
    if (!q && !w->failed)
        w->failed = EBUSY;
    return q;
}

static void u_arm_epoll(struct worker *w)
{
    struct io_uring_sqe *q = u_sqe(w);
    if (!q)
        return;
    io_uring_prep_poll_multishot(q, w->ep, POLLIN);
    io_uring_sqe_set_data64(q, U_DATA(0, 0, U_EPOLL));
}

static void u_arm_recv(struct worker *w, struct conn *c)
{
    if (c->u_recv || c->fd < 0 || !(c->state == C_BUSY || c->state == C_IDLE ||
                                    (c->state == C_WAIT && !c->wait_connect)))
        return; /* not connected */
    if (!rbuf_room(w, c))
        return; /* a response overflowed the buffer: failed and reconnecting */
    struct io_uring_sqe *q = u_sqe(w);
    if (!q)
        return;
    c->u_iov.iov_base = c->rbuf + c->rlen;
    c->u_iov.iov_len = c->rcap - c->rlen;
    memset(&c->u_mh, 0, sizeof c->u_mh);
    c->u_mh.msg_iov = &c->u_iov;
    c->u_mh.msg_iovlen = 1;
    if (w->stamps) {
        c->u_mh.msg_control = c->u_cm.buf;
        c->u_mh.msg_controllen = sizeof c->u_cm.buf;
    }
    io_uring_prep_recvmsg(q, c->fd, &c->u_mh, 0);
    q->ioprio |= IORING_RECVSEND_POLL_FIRST; /* nothing to read yet: skip the try */
    io_uring_sqe_set_data64(q, U_DATA(c - w->conns, c->gen, U_RECV));
    c->u_recv = 1;
}

static void u_send(struct worker *w, struct conn *c)
{
    struct io_uring_sqe *q = u_sqe(w);
    if (!q)
        return;
    io_uring_prep_send(q, c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(q, U_DATA(c - w->conns, c->sgen, U_SEND));
    c->u_send = 1;
    w->u_sends++;
}

/* Before @c's socket is closed: what is in flight on it is cancelled and
 * done with when this returns (a late read must not land in a buffer that
 * the next connection uses, nor act on a reused descriptor number). */
static void u_cancel(struct worker *w, struct conn *c)
{
    c->gen++;
    if (!c->u_recv && !c->u_send)
        return;
    if (io_uring_sq_ready(&w->ring))
        io_uring_submit(&w->ring); /* queued operations on it reach the kernel first */
    struct io_uring_sync_cancel_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.fd = c->fd;
    reg.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
    reg.timeout.tv_sec = -1;
    reg.timeout.tv_nsec = -1;
    io_uring_register_sync_cancel(&w->ring, &reg);
    c->u_recv = c->u_send = 0;
}

static void u_complete(struct worker *w, uint64_t data, int res, unsigned flags)
{
    int op = (int)(data & 0xff);
    uint32_t tag = (uint32_t)(data >> 8);
    size_t idx = (size_t)(data >> 40);
    if (op == U_EPOLL) {
        w->ep_ready = 1;
        if (!(flags & IORING_CQE_F_MORE))
            u_arm_epoll(w); /* the multishot poll ended: renew it */
        return;
    }
    if (idx >= w->nconns)
        return;
    struct conn *c = &w->conns[idx];
    if (op == U_RECV) {
        if (tag != c->gen || !c->u_recv)
            return; /* a closed connection's */
        c->u_recv = 0;
        if (res == -EINTR || res == -EAGAIN || res == -ECANCELED) {
            u_arm_recv(w, c);
            return;
        }
        int64_t rx = res > 0 && w->stamps ? rx_stamp(w, &c->u_mh) : 0;
        if (read_done(w, c, res < 0 ? -1 : res, res < 0 ? -res : 0, rx))
            u_arm_recv(w, c);
    } else if (op == U_SEND) {
        if (tag != c->sgen || !c->u_send)
            return;
        c->u_send = 0;
        if (c->state != C_BUSY)
            return;
        if (res == -EINTR || res == -EAGAIN) {
            u_send(w, c);
            return;
        }
        if (res <= 0) {
            request_failed(w, c, SCOPE_LOAD_ERR_WRITE, res < 0 ? -res : 0, mono_now());
            return;
        }
        c->woff += (size_t)res;
        if (c->woff < c->wlen)
            u_send(w, c);
    }
}

/* Handles every completion the ring holds (none needs a system call). */
static void u_reap(struct worker *w)
{
    struct io_uring_cqe *cq[64];
    unsigned n;
    while ((n = io_uring_peek_batch_cqe(&w->ring, cq, 64)) > 0) {
        uint64_t data[64];
        int res[64];
        unsigned flags[64];
        for (unsigned i = 0; i < n; i++) {
            data[i] = cq[i]->user_data;
            res[i] = cq[i]->res;
            flags[i] = cq[i]->flags;
        }
        io_uring_cq_advance(&w->ring, n);
        for (unsigned i = 0; i < n; i++)
            u_complete(w, data[i], res[i], flags[i]);
    }
}

/* After a wait: the ring's completions, then (only when the ring said the
 * epoll set has some: a connect, the stop) the epoll events, into @evs. */
static int u_collect(struct worker *w, struct epoll_event *evs, int max)
{
    u_reap(w);
    if (!w->ep_ready)
        return 0;
    w->ep_ready = 0;
    return epoll_wait(w->ep, evs, max, 0);
}

/* Submits what is queued, then sleeps until @until (CLOCK_MONOTONIC) or
 * until @nr completions are ready (U_NO_WAKE: the time only). Sends just
 * queued mostly complete during the submission: they do not count towards
 * @nr, or a thread would return at once only to collect them. */
static void u_wait(struct worker *w, int64_t until, unsigned nr)
{
    if (nr != U_NO_WAKE)
        nr += w->u_sends;
    w->u_sends = 0;
    int64_t rel = until - mono_now();
    int r;
    if (rel <= 0) {
        r = io_uring_submit_and_get_events(&w->ring);
    } else {
        struct __kernel_timespec ts = {.tv_sec = rel / 1000000000, .tv_nsec = rel % 1000000000};
        struct io_uring_cqe *cqe;
        r = io_uring_submit_and_wait_timeout(&w->ring, &cqe, nr, &ts, NULL);
    }
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY && !w->failed)
        w->failed = -r;
}

/* Hands what is queued to the kernel and runs finished reads (no sleep). */
static void u_flush(struct worker *w)
{
    w->u_sends = 0;
    io_uring_submit_and_get_events(&w->ring);
}

static int u_setup(struct worker *w)
{
    /* memcheck does not see what the kernel writes into buffers and
     * completions later on its own: it would flag every read of them */
    if (RUNNING_ON_VALGRIND)
        return -1;
    unsigned entries = 8;
    while (entries < 2 * w->nconns + 4 && entries < 32768)
        entries *= 2;
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(entries, &w->ring, &p) < 0)
        return -1;
    if (!(p.features & IORING_FEAT_EXT_ARG)) {
        io_uring_queue_exit(&w->ring);
        return -1;
    }
    io_uring_register_ring_fd(&w->ring); /* optional: saves a lookup per enter */
    u_arm_epoll(w);
    return 0;
}

/* The end: cancels everything in flight (done when this returns: the
 * buffers it would fill are freed next), then the ring. */
static void u_teardown(struct worker *w)
{
    struct io_uring_sync_cancel_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
    reg.timeout.tv_sec = -1;
    reg.timeout.tv_nsec = -1;
    io_uring_submit(&w->ring);
    io_uring_register_sync_cancel(&w->ring, &reg);
    io_uring_queue_exit(&w->ring);
    w->uring = 0;
}
#else
#define U_NO_WAKE 0u
static void u_arm_recv(struct worker *w, struct conn *c) { (void)w; (void)c; }
static void u_send(struct worker *w, struct conn *c) { (void)w; (void)c; }
static void u_cancel(struct worker *w, struct conn *c) { (void)w; (void)c; }
static void u_reap(struct worker *w) { (void)w; }
static int u_collect(struct worker *w, struct epoll_event *evs, int max)
{
    (void)w;
    (void)evs;
    (void)max;
    return 0;
}
static void u_wait(struct worker *w, int64_t until, unsigned nr) { (void)w; (void)until; (void)nr; }
static void u_flush(struct worker *w) { (void)w; }
static int u_setup(struct worker *w) { (void)w; return -1; }
static void u_teardown(struct worker *w) { (void)w; }
#endif

static void connected(struct worker *w, struct conn *c, int64_t now)
{
    busy_remove(w, c);
    w->connects++;
    c->connected_once = 1;
    conn_ready(w, c, now);
    if (w->uring)
        u_arm_recv(w, c); /* (sets nothing up unless conn_ready left it open) */
}

static void connect_failed(struct worker *w, struct conn *c, int err, int64_t now)
{
    busy_remove(w, c);
    count_error(w, SCOPE_LOAD_ERR_CONNECT, err);
    conn_close(w, c);
    wait_insert(w, c, now + w->l->o.reconnect_delay_ns, 1);
}

static int tls_start(struct worker *w, struct conn *c, int64_t now)
{
    BIO *bio = BIO_new(w->l->bio_meth);
    c->ssl = bio ? SSL_new(w->l->ssl_ctx) : NULL;
    if (!c->ssl) {
        BIO_free(bio);
        connect_failed(w, c, ENOMEM, now);
        return -1;
    }
    BIO_set_data(bio, (void *)(intptr_t)c->fd);
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_tlsext_host_name(c->ssl, w->l->sni);
    if (c->sess)
        SSL_set_session(c->ssl, c->sess);
    SSL_set_connect_state(c->ssl);
    c->state = C_HANDSHAKE;
    c->start = now; /* the handshake gets its own timeout; keeps the list in order */
    busy_push(w, c);
    return 0;
}

static void tls_handshake(struct worker *w, struct conn *c, int64_t now)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        SSL_SESSION *s = SSL_get1_session(c->ssl);
        if (s) {
            SSL_SESSION_free(c->sess);
            c->sess = s;
        }
        connected(w, c, now);
        return;
    }
    if (ssl_result(c, r) < 0 && errno == EAGAIN)
        return;
    long vr = SSL_get_verify_result(c->ssl);
    if (vr != X509_V_OK) {
        note_error(w, SCOPE_LOAD_ERR_CONNECT, "TLS handshake with %s: the server's certificate "
                   "failed verification: %s (X509_V_ERR %ld); give the CA that signed it in "
                   "ca_file (scope-load --cacert FILE), connect by a name the certificate "
                   "carries, or set tls_insecure (--insecure) to skip the check",
                   w->l->host, X509_verify_cert_error_string(vr), vr);
    } else {
        char why[160] = "the server ended the handshake";
        unsigned long e = ERR_peek_error();
        if (e)
            ERR_error_string_n(e, why, sizeof why);
        note_error(w, SCOPE_LOAD_ERR_CONNECT, "TLS handshake with %s failed: %s; check that "
                   "the port speaks TLS", w->l->host, why);
    }
    ERR_clear_error();
    connect_failed(w, c, EPROTO, now);
}

static void on_event(struct worker *w, struct conn *c, uint32_t ev)
{
    if (c->state == C_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        int64_t now = mono_now();
        busy_remove(w, c);
        if (err || (ev & (EPOLLERR | EPOLLHUP))) {
            count_error(w, SCOPE_LOAD_ERR_CONNECT, err ? err : ECONNREFUSED);
            conn_close(w, c);
            wait_insert(w, c, now + w->l->o.reconnect_delay_ns, 1);
            return;
        }
        if (w->l->ssl_ctx) {
            if (tls_start(w, c, now))
                return;
            tls_handshake(w, c, now);
            return;
        }
        connected(w, c, now);
        return;
    }
    if (c->state == C_HANDSHAKE) {
        tls_handshake(w, c, mono_now());
        return;
    }
    if (c->state == C_BUSY && c->woff < c->wlen && ((ev & EPOLLOUT) || c->ssl))
        try_write(w, c, mono_now());
    if (c->fd >= 0 && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
        (c->state == C_BUSY || c->state == C_IDLE))
        on_readable(w, c, (ev & (EPOLLRDHUP | EPOLLHUP)) != 0);
}

static void schedule_advance(struct worker *w)
{
    w->sched_k++;
    if (w->l->o.arrival == SCOPE_LOAD_POISSON)
        w->next_intended += -log(1.0 - rng_unit(&w->rng)) * w->gap_ns;
    else
        w->next_intended = (double)w->start + (double)w->id * w->gap_ns / w->l->o.threads +
                           (double)w->sched_k * w->gap_ns;
}

/* Kernels or sandboxes without epoll_pwait2: wait on a timerfd armed at the
 * absolute deadline instead (same precision, one more syscall per change). */
static int timer_fallback(struct worker *w)
{
    w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->tfd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev)) {
        close(w->tfd);
        w->tfd = -1;
        return -1;
    }
    w->tfd_armed = -1;
    return 0;
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* A TICK MODE sleep; in URING MODE it submits the queued sends first. */
static void tick_block(struct worker *w, int64_t t)
{
    if (w->uring)
        u_wait(w, t, U_NO_WAKE);
    else
        sleep_until(t);
}

/* TICK MODE sleep to `deadline` with timer advance (see TICK_ADV_Q):
 * returns at or just after the deadline, never before. */
static void tick_sleep(struct worker *w, int64_t now, int64_t deadline)
{
    if (w->gap_ns < TICK_ADV_MIN_GAP_NS) {
        /* sends too close together for the advance to pay (see above) */
        if (deadline - now > TICK_SPIN_SHORT_NS) {
            tick_block(w, deadline);
            return;
        }
        if (w->uring)
            u_flush(w); /* no sleep to submit the sends */
        while (now < deadline)
            now = mono_now();
        return;
    }
    int64_t target = deadline - (int64_t)w->adv;
    if (target - now < TICK_MIN_SLEEP_NS && w->uring)
        u_flush(w);
    if (target - now >= TICK_MIN_SLEEP_NS) {
        tick_block(w, target);
        now = mono_now();
        /* stochastic quantile step: the estimate settles where a fraction
         * TICK_ADV_Q of the wakes come back earlier than it */
        if (now - target < (int64_t)w->adv)
            w->adv -= TICK_ADV_STEP_NS * (1.0 - TICK_ADV_Q);
        else
            w->adv += TICK_ADV_STEP_NS * TICK_ADV_Q;
        if (w->adv < 0)
            w->adv = 0;
        else if (w->adv > TICK_ADV_MAX_NS)
            w->adv = TICK_ADV_MAX_NS;
    }
    /* the rest (or all of a wait too short to sleep advanced) spins: an
     * unadvanced sleep would land late and leave the next wait short too */
    while (now < deadline) {
        if (deadline - now > TICK_SPIN_MAX_NS) {
            tick_block(w, deadline);
            return;
        }
        now = mono_now();
    }
}

/* opts.poll_ns: non-blocking epoll_wait until something is ready, the
 * poll time is spent or the deadline comes; 0 when nothing was found. */
static int poll_events(struct worker *w, struct epoll_event *evs, int max, int64_t deadline)
{
    int64_t t0 = mono_now(), t = t0;
    int n;
    while ((n = epoll_wait(w->ep, evs, max, 0)) == 0) {
        t = mono_now();
        if (t - t0 >= w->poll || t >= deadline ||
            atomic_load_explicit(&w->l->stop, memory_order_relaxed))
            break;
    }
    return n;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    scope_load *l = w->l;
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* this thread only: us-precise wake-ups */
    pthread_mutex_lock(&w->gate->mu);
    while (!w->gate->go)
        pthread_cond_wait(&w->gate->cv, &w->gate->mu);
    pthread_mutex_unlock(&w->gate->mu); /* start, end and the schedule are final now */
    if (w->uring && u_setup(w))
        w->uring = 0; /* no io_uring here (kernel, seccomp, sysctl): epoll */
    w->used_uring = w->uring;
    /* Connect in the lead time before the first send (and take the connects
     * as they complete), so the first sends find open connections instead of
     * a backlog: started at the first send, the run began milliseconds late. */
    struct epoll_event evs[256];
    int64_t now = mono_now();
    for (size_t i = 0; i < w->nconns; i++)
        start_connect(w, &w->conns[i], now);
    int pw2 = 1; /* epoll_pwait2 (else ms timeouts: sandboxes without it) */
    while ((now = mono_now()) < w->start && w->busy_head && !w->failed) {
        int64_t wait = w->start - now;
        struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
        int n = pw2 ? epoll_pwait2(w->ep, evs, 256, &ts, NULL)
                    : epoll_wait(w->ep, evs, 256, (int)(wait / 1000000));
        if (n < 0 && (errno == ENOSYS || errno == EPERM) && pw2) {
            pw2 = 0;
            continue;
        }
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++)
            if (evs[i].data.ptr)
                on_event(w, evs[i].data.ptr, evs[i].events);
    }
    if (w->start > now)
        sleep_until(w->start);
    int open = l->o.mode == SCOPE_LOAD_OPEN;
    while (!atomic_load_explicit(&l->stop, memory_order_relaxed) && !w->rc && !w->failed) {
        now = mono_now();
        if (now >= w->end)
            break;
        int k = iv_index(w, now);
        if (k > w->cur_iv)
            roll_intervals(w, k);
        if (open) {
            while (w->next_intended <= (double)now && w->next_intended < (double)w->end) {
                int64_t intended = (int64_t)w->next_intended;
                schedule_advance(w);
                if (w->nidle && !w->bl_n)
                    send_request(w, w->idle[--w->nidle], intended, now);
                else
                    backlog_push(w, intended);
            }
        }
        if (w->uring && w->busy_head && w->busy_head->start + l->o.timeout_ns <= now) {
            /* a response may have come but not been read yet: read it first */
            u_flush(w);
            u_reap(w);
            now = mono_now();
        }
        while (w->busy_head && w->busy_head->start + l->o.timeout_ns <= now) {
            struct conn *c = w->busy_head;
            if (c->state == C_CONNECTING || c->state == C_HANDSHAKE) {
                busy_remove(w, c);
                count_error(w, SCOPE_LOAD_ERR_CONNECT, ETIMEDOUT);
                conn_close(w, c);
                start_connect(w, c, now);
            } else {
                request_failed(w, c, SCOPE_LOAD_ERR_TIMEOUT, ETIMEDOUT, now);
            }
        }
        while (w->wait_head && w->wait_head->deadline <= now) {
            struct conn *c = w->wait_head;
            wait_remove(w, c);
            if (c->wait_connect) {
                c->state = C_CLOSED;
                start_connect(w, c, now);
            } else {
                send_request(w, c, c->deadline, now);
            }
        }
        int64_t deadline = w->end;
        if (open && w->next_intended < (double)deadline)
            deadline = (int64_t)ceil(w->next_intended) + w->slack;
        if (w->busy_head && w->busy_head->start + l->o.timeout_ns < deadline)
            deadline = w->busy_head->start + l->o.timeout_ns;
        if (w->wait_head && w->wait_head->deadline < deadline)
            deadline = w->wait_head->deadline;
        int64_t ivend = w->start + (int64_t)(w->cur_iv + 1) * w->interval;
        if (ivend < deadline)
            deadline = ivend;
        now = mono_now();
        int64_t wait = deadline - now;
        if (wait < 0)
            wait = 0;
        int n;
        if (w->stamps) {
            struct timespec rt, mt;
            clock_gettime(CLOCK_REALTIME, &rt);
            clock_gettime(CLOCK_MONOTONIC, &mt);
            w->rt_off = ts_ns(&rt) - ts_ns(&mt);
        }
        if (w->tick && !w->bl_n) {
            /* TICK MODE: sleep to the next send (or deadline), then collect
             * whatever became ready meanwhile without blocking: one wake-up
             * per request instead of two (the send's and the response's).
             * Not while sends wait in the backlog: they need each freed
             * connection at once, so then responses wake the thread. */
            if (wait > TICK_MAX_SLEEP_NS + w->slack)
                deadline = now + TICK_MAX_SLEEP_NS + w->slack;
            if (wait > 0)
                tick_sleep(w, now, deadline);
            else if (w->uring)
                u_flush(w);
            n = w->uring ? u_collect(w, evs, 256) : epoll_wait(w->ep, evs, 256, 0);
        } else if (w->uring) {
            /* sends wait in the backlog: the first completion wakes the thread */
            u_wait(w, deadline, 1);
            n = u_collect(w, evs, 256);
        } else if (w->poll && wait > 0 && (n = poll_events(w, evs, 256, deadline)) != 0) {
            /* found while polling (or an error, handled below) */
        } else if (w->tfd < 0) {
            if (w->poll) { /* polling used some of the wait */
                now = mono_now();
                wait = deadline > now ? deadline - now : 0;
            }
            struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
            n = epoll_pwait2(w->ep, evs, 256, &ts, NULL);
            if (n < 0 && (errno == ENOSYS || errno == EPERM) && timer_fallback(w) == 0)
                continue;
        } else {
            if (w->poll) {
                now = mono_now();
                wait = deadline > now ? deadline - now : 0;
            }
            if (deadline != w->tfd_armed) {
                struct itimerspec its = {.it_value = {.tv_sec = deadline / 1000000000,
                                                      .tv_nsec = deadline % 1000000000}};
                timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
                w->tfd_armed = deadline;
            }
            n = epoll_wait(w->ep, evs, 256, wait ? -1 : 0);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->failed = errno;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == (void *)w) { /* the fallback timer fired */
                uint64_t ticks;
                ssize_t rr = read(w->tfd, &ticks, sizeof ticks);
                (void)rr;
                w->tfd_armed = -1;
                continue;
            }
            if (!evs[i].data.ptr)
                continue; /* the stop eventfd */
            on_event(w, evs[i].data.ptr, evs[i].events);
        }
    }
    /* The end: whatever is in flight stays counted as in flight; what was
     * due but not sent counts as backlog. */
    now = mono_now();
    if (open) {
        double limit = (double)(now < w->end ? now : w->end);
        while (w->next_intended < limit) {
            w->backlog_left++;
            schedule_advance(w);
        }
    }
    roll_intervals(w, w->niv);
    if (w->uring)
        u_teardown(w);
    for (size_t i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (c->state == C_BUSY)
            w->ts[c->type].in_flight++;
        if (c->ssl) {
            SSL_free(c->ssl);
            c->ssl = NULL;
        }
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
    }
    w->backlog_left += (int64_t)w->bl_n;
    return NULL;
}

/* --- results ------------------------------------------------------------------------ */

static void tstats_free(struct tstats *s, int niv)
{
    free(s->status);
    scope_hist_free(s->corr);
    scope_hist_free(s->unc);
    scope_hist_free(s->iv);
    free(s->iv_completed);
    free(s->iv_errors);
    free(s->iv_sent);
    if (s->iv_enc)
        for (int i = 0; i < niv; i++)
            free(s->iv_enc[i]);
    free(s->iv_enc);
    free(s->iv_len);
}

static int tstats_init(struct tstats *s, int niv, int with_iv_hist)
{
    memset(s, 0, sizeof *s);
    s->status = calloc(1000, sizeof *s->status);
    s->iv_completed = calloc((size_t)niv, sizeof(int64_t));
    s->iv_errors = calloc((size_t)niv, sizeof(int64_t));
    s->iv_sent = calloc((size_t)niv, sizeof(int64_t));
    s->iv_enc = calloc((size_t)niv, sizeof(void *));
    s->iv_len = calloc((size_t)niv, sizeof(size_t));
    if (!s->status || !s->iv_completed || !s->iv_errors || !s->iv_sent || !s->iv_enc ||
        !s->iv_len || scope_hist_new(&s->corr, NULL) || scope_hist_new(&s->unc, NULL) ||
        (with_iv_hist && scope_hist_new(&s->iv, NULL)))
        return scope__enomem("load statistics");
    return 0;
}

SCOPE_API void scope_load_result_free(scope_load_result *r)
{
    if (!r)
        return;
    if (r->ts)
        for (int t = 0; t <= r->ntypes; t++)
            tstats_free(&r->ts[t], r->niv);
    free(r->ts);
    if (r->names)
        for (int t = 0; t < r->ntypes; t++)
            free(r->names[t]);
    free(r->names);
    scope_series_set_free(r->series);
    free(r);
}

/* Merges encoded interval histograms of @n sources into one encoding. */
static int merge_encoded(void **out, size_t *len, scope_hist *tmp, void *const *encs,
                         const size_t *lens, size_t n, size_t stride_e)
{
    scope_hist_reset(tmp);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        void *e = encs[i * stride_e];
        size_t el = lens[i * stride_e];
        if (!e)
            continue;
        scope_hist *d;
        int rc = scope_hist_decode(&d, e, el);
        if (rc)
            return rc;
        scope_hist_add(tmp, d);
        scope_hist_free(d);
        any = 1;
    }
    *out = NULL;
    *len = 0;
    return any ? scope_hist_encode(out, len, tmp) : 0;
}

static int add_series(scope_series **out, scope_load_result *r, const char *name,
                      const char *key, const char *value, const char *unit, const char *help)
{
    const char *k[1] = {key}, *v[1] = {value};
    return scope_series_set_add(out, r->series, name, k, v, 1, unit, SCOPE_GAUGE, help);
}

static int build_result(scope_load_result **out, scope_load *l, struct worker *ws, int nw,
                        int64_t start_wall, int64_t duration)
{
    int rc;
    scope_load_result *r = calloc(1, sizeof *r);
    if (!r)
        return scope__enomem("a load result");
    int nt = (int)l->ntypes;
    r->ntypes = nt;
    r->niv = ws[0].niv;
    r->interval = l->o.interval_ns;
    r->start_wall = start_wall;
    r->nthreads = nw;
    for (int i = 0; i < nw; i++)
        r->nuring += ws[i].used_uring;
    r->duration_ns = duration;
    r->target_rate = l->o.mode == SCOPE_LOAD_OPEN ? l->o.rate : 0;
    r->names = calloc((size_t)nt, sizeof *r->names);
    r->ts = calloc((size_t)nt + 1, sizeof *r->ts);
    if (!r->names || !r->ts) {
        scope_load_result_free(r);
        return scope__enomem("a load result");
    }
    for (int t = 0; t <= nt; t++)
        if ((rc = tstats_init(&r->ts[t], r->niv, 0))) {
            scope_load_result_free(r);
            return rc;
        }
    for (int t = 0; t < nt; t++)
        if (!(r->names[t] = scope__strdup(l->types[t].name))) {
            scope_load_result_free(r);
            return scope__enomem("a load result");
        }
    struct tstats *all = &r->ts[nt];
    for (int i = 0; i < nw; i++) {
        struct worker *w = &ws[i];
        for (int t = 0; t < nt; t++) {
            struct tstats *s = &w->ts[t];
            struct tstats *d[2] = {&r->ts[t], all};
            for (int j = 0; j < 2; j++) {
                d[j]->sent += s->sent;
                d[j]->completed += s->completed;
                d[j]->errors += s->errors;
                d[j]->in_flight += s->in_flight;
                d[j]->late += s->late;
                for (int k = 0; k < 1000; k++)
                    d[j]->status[k] += s->status[k];
                scope_hist_add(d[j]->corr, s->corr);
                scope_hist_add(d[j]->unc, s->unc);
                for (int k = 0; k < r->niv; k++) {
                    d[j]->iv_completed[k] += s->iv_completed[k];
                    d[j]->iv_errors[k] += s->iv_errors[k];
                    d[j]->iv_sent[k] += s->iv_sent[k];
                }
            }
        }
        r->connects += w->connects;
        r->reconnects += w->reconnects;
        r->bytes_read += w->bytes_read;
        r->backlog += w->backlog_left;
    }
    /* error tables: merge per kind; the message is the earliest first one */
    for (int k = 0; k < SCOPE_LOAD_ERR_KINDS; k++)
        for (int i = 0; i < nw; i++) {
            const struct errtab *se = &ws[i].err[k];
            if (se->msg[0] && (!r->err[k].msg[0] || se->msg_at < r->err[k].msg_at)) {
                memcpy(r->err[k].msg, se->msg, sizeof se->msg);
                r->err[k].msg_at = se->msg_at;
            }
            for (int e = 0; e < MAX_ERRNOS && ws[i].err[k].count[e]; e++) {
                struct errtab *d = &r->err[k];
                int32_t en = ws[i].err[k].errnum[e];
                int64_t cnt = ws[i].err[k].count[e];
                d->total += cnt;
                int slot = -1;
                for (int j = 0; j < MAX_ERRNOS; j++)
                    if (!d->count[j] || d->errnum[j] == en) {
                        slot = j;
                        break;
                    }
                if (slot < 0)
                    slot = MAX_ERRNOS - 1;
                else
                    d->errnum[slot] = en;
                d->count[slot] += cnt;
            }
        }
    /* interval histograms: merge threads per type, then types */
    scope_hist *tmp = NULL, *one = NULL;
    if ((rc = scope_hist_new(&tmp, NULL)) || (rc = scope_hist_new(&one, NULL)))
        goto fail;
    void **encs = malloc(sizeof(void *) * (size_t)(nw > nt ? nw : nt) + sizeof(void *));
    size_t *lens = malloc(sizeof(size_t) * (size_t)(nw > nt ? nw : nt) + sizeof(size_t));
    if (!encs || !lens) {
        free(encs);
        free(lens);
        rc = scope__enomem("interval histograms");
        goto fail;
    }
    for (int k = 0; k < r->niv && !rc; k++) {
        for (int t = 0; t < nt && !rc; t++) {
            for (int i = 0; i < nw; i++) {
                encs[i] = ws[i].ts[t].iv_enc[k];
                lens[i] = ws[i].ts[t].iv_len[k];
            }
            rc = merge_encoded(&r->ts[t].iv_enc[k], &r->ts[t].iv_len[k], tmp, encs, lens,
                               (size_t)nw, 1);
        }
        for (int t = 0; t < nt && !rc; t++) {
            encs[t] = r->ts[t].iv_enc[k];
            lens[t] = r->ts[t].iv_len[k];
        }
        if (!rc)
            rc = merge_encoded(&all->iv_enc[k], &all->iv_len[k], tmp, encs, lens, (size_t)nt, 1);
    }
    free(encs);
    free(lens);
    if (rc)
        goto fail;
    /* series on the wall-clock timeline, stamped at each interval's end */
    if ((rc = scope_series_set_new(&r->series)))
        goto fail;
    double ivs = (double)r->interval / 1e9;
    for (int t = 0; t <= nt && !rc; t++) {
        const char *tn = t < nt ? r->names[t] : "all";
        scope_series *thr, *err, *snt;
        if ((rc = add_series(&thr, r, "scope_load_throughput", "type", tn, "1/s",
                             "Completed requests per second")) ||
            (rc = add_series(&err, r, "scope_load_errors", "type", tn, "1/s",
                             "Failed requests per second")) ||
            (rc = add_series(&snt, r, "scope_load_sent", "type", tn, "1/s",
                             "Requests sent per second")))
            break;
        for (int k = 0; k < r->niv && !rc; k++) {
            int64_t ts = start_wall + (int64_t)(k + 1) * r->interval;
            int64_t ivlen = r->interval;
            if (k == r->niv - 1 && duration < (int64_t)r->niv * r->interval) {
                ivlen = duration - (int64_t)k * r->interval;
                ts = start_wall + duration;
            }
            if (ivlen <= 0)
                continue;
            double sec = (double)ivlen / 1e9;
            (void)ivs;
            if ((rc = scope_series_append(thr, ts, (double)r->ts[t].iv_completed[k] / sec)) ||
                (rc = scope_series_append(err, ts, (double)r->ts[t].iv_errors[k] / sec)) ||
                (rc = scope_series_append(snt, ts, (double)r->ts[t].iv_sent[k] / sec)))
                break;
        }
    }
    static const struct {
        const char *q;
        double p;
    } qs[] = {{"0.5", 50}, {"0.9", 90}, {"0.99", 99}, {"1", 100}};
    for (size_t q = 0; q < 4 && !rc; q++) {
        scope_series *s;
        if ((rc = add_series(&s, r, "scope_load_latency_seconds", "quantile", qs[q].q, "seconds",
                             "Corrected latency of all types, per interval")))
            break;
        for (int k = 0; k < r->niv && !rc; k++) {
            if (!all->iv_enc[k])
                continue;
            scope_hist *d;
            if ((rc = scope_hist_decode(&d, all->iv_enc[k], all->iv_len[k])))
                break;
            int64_t ts = start_wall + (int64_t)(k + 1) * r->interval;
            if (ts > start_wall + duration)
                ts = start_wall + duration;
            rc = scope_series_append(s, ts, (double)scope_hist_percentile(d, qs[q].p) / 1e9);
            scope_hist_free(d);
        }
    }
    if (rc)
        goto fail;
    scope_hist_free(tmp);
    scope_hist_free(one);
    *out = r;
    return 0;
fail:
    scope_hist_free(tmp);
    scope_hist_free(one);
    scope_load_result_free(r);
    return rc;
}

static void worker_free(struct worker *w, size_t ntypes)
{
    if (w->conns)
        for (size_t i = 0; i < w->nconns; i++) {
            if (w->conns[i].fd >= 0)
                close(w->conns[i].fd);
            free(w->conns[i].rbuf);
            scope__buf_free(&w->conns[i].own);
            if (w->conns[i].ssl)
                SSL_free(w->conns[i].ssl);
            SSL_SESSION_free(w->conns[i].sess);
        }
    free(w->conns);
    free(w->idle);
    if (w->ts)
        for (size_t t = 0; t < ntypes; t++)
            tstats_free(&w->ts[t], w->niv);
    free(w->ts);
    free(w->bl);
    free(w->path_rr);
    if (w->ep >= 0)
        close(w->ep);
    if (w->tfd >= 0)
        close(w->tfd);
}

SCOPE_API void scope_load_stop(scope_load *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, 1);
    uint64_t one = 1;
    ssize_t n = write(l->wake_fd, &one, sizeof one);
    (void)n;
}

SCOPE_API int scope_load_run(scope_load_result **out, scope_load *l)
{
    if (!out || !l)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_run: out or l is NULL");
    *out = NULL;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&l->running, &expected, 1))
        return scope__error(SCOPE_ESTATE, 0, "scope_load_run: this load is running already");
    int rc = 0;
    scope_load_opts *o = &l->o;
    if (o->mode == SCOPE_LOAD_OPEN && !(o->rate > 0)) {
        atomic_store(&l->running, 0);
        return scope__error(SCOPE_EINVAL, 0, "open-loop run without a rate: set "
                            "scope_load_opts.rate or call scope_load_set_rate()");
    }
    /* weights become cumulative for the draw; restored at the end */
    if ((rc = ensure_default_type(l)) || (rc = prebuild(l))) {
        atomic_store(&l->running, 0);
        return rc;
    }
    double *weights = malloc(l->ntypes * sizeof *weights);
    if (!weights) {
        atomic_store(&l->running, 0);
        return scope__enomem("weights");
    }
    double cum = 0;
    for (size_t t = 0; t < l->ntypes; t++) {
        weights[t] = l->types[t].weight;
        cum += weights[t];
        l->types[t].weight = cum;
    }
    /* drain a stale wake-up, forget an old stop */
    uint64_t junk;
    while (read(l->wake_fd, &junk, sizeof junk) > 0)
        ;
    atomic_store(&l->stop, 0);

    /* SCOPE_LOAD_WAKE=eager|tick (diagnostics, A/B benchmarks): eager is the
     * classic engine (a wake-up per event, responses timed when read); tick
     * forces TICK MODE on any open loop; default: TICK MODE where sends are
     * at most 1 ms apart per thread, receive timestamps on plain TCP */
    const char *wenv = getenv("SCOPE_LOAD_WAKE");
    char wake = wenv && !strcmp(wenv, "eager") ? 'e' : wenv && !strcmp(wenv, "tick") ? 't' : 'a';
    /* SCOPE_LOAD_IO=epoll: no URING MODE (A/B benchmarks, tests) */
    const char *ioenv = getenv("SCOPE_LOAD_IO");
    int use_uring = !(ioenv && !strcmp(ioenv, "epoll"));
    int nw = o->threads;
    struct worker *ws = calloc((size_t)nw, sizeof *ws);
    int64_t wall0, mono0;
    scope_clock_now(&wall0, &mono0);
    /* Without start_wall_ns the start is set once every thread is parked at
     * the gate (a fixed lead of 20 ms used to cost short runs most of their
     * time): provisional here, shifted below. */
    int64_t start = mono0;
    if (o->start_wall_ns) {
        int64_t ahead = o->start_wall_ns - wall0;
        if (ahead > INT64_C(60000000000)) {
            rc = scope__error(SCOPE_EINVAL, 0, "scope_load_opts.start_wall_ns is %.1f s ahead: "
                              "at most 60 s", (double)ahead / 1e9);
            goto out;
        }
        start = mono0 + (ahead > 0 ? ahead : 0);
    }
    int64_t start_wall = wall0 + (start - mono0);
    int niv = (int)((o->duration_ns + o->interval_ns - 1) / o->interval_ns);
    if (!ws) {
        rc = scope__enomem("load threads");
        goto out;
    }
    for (int i = 0; i < nw; i++)
        ws[i].ep = ws[i].tfd = -1;
    for (int i = 0; i < nw && !rc; i++) {
        struct worker *w = &ws[i];
        w->l = l;
        w->id = (uint32_t)i;
        w->start = start;
        w->end = start + o->duration_ns;
        w->interval = o->interval_ns;
        w->niv = niv;
        w->rng = o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0xD1B54A32D192ED03ull + 1;
        w->nconns = (size_t)(o->connections / nw + (i < o->connections % nw));
        w->conns = calloc(w->nconns, sizeof *w->conns);
        w->idle = calloc(w->nconns, sizeof *w->idle);
        w->ts = calloc(l->ntypes, sizeof *w->ts);
        w->path_rr = calloc(l->ntypes, sizeof *w->path_rr);
        w->bl_cap = 1024;
        w->bl = malloc(w->bl_cap * sizeof *w->bl);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        if (!w->conns || !w->idle || !w->ts || !w->path_rr || !w->bl) {
            rc = scope__enomem("load thread state");
            break;
        }
        if (w->ep < 0) {
            rc = scope__error_sys(SCOPE_ELIMIT, errno, "epoll_create1 for a load thread");
            break;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, l->wake_fd, &ev)) {
            rc = scope__error_sys(SCOPE_ELIMIT, errno, "registering the stop eventfd");
            break;
        }
        for (size_t t = 0; t < l->ntypes && !rc; t++)
            rc = tstats_init(&w->ts[t], niv, 1);
        for (size_t c = 0; c < w->nconns && !rc; c++) {
            w->conns[c].fd = -1;
            w->conns[c].state = C_CLOSED;
            w->conns[c].rcap = RBUF_INIT;
            w->conns[c].rbuf = malloc(RBUF_INIT);
            if (!w->conns[c].rbuf)
                rc = scope__enomem("connection buffers");
        }
        w->stamps = !l->ssl_ctx && wake != 'e';
        w->poll = o->poll_ns;
        w->uring = use_uring && !l->ssl_ctx && !w->poll;
        if (o->mode == SCOPE_LOAD_OPEN) {
            w->gap_ns = 1e9 * nw / o->rate;
            w->slack = o->send_slack_ns;
            w->tick = !l->ssl_ctx && (wake == 't' || (wake == 'a' && w->gap_ns <= TICK_MAX_GAP_NS));
            w->next_intended = (double)start + (double)i * 1e9 / o->rate;
            if (o->arrival == SCOPE_LOAD_POISSON)
                w->next_intended = (double)start - log(1.0 - rng_unit(&w->rng)) * w->gap_ns;
        }
    }
    struct gate gate = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    int started = 0;
    for (int i = 0; i < nw && !rc; i++) {
        ws[i].gate = &gate;
        if ((errno = pthread_create(&ws[i].th, NULL, worker_main, &ws[i]))) {
            rc = scope__error(SCOPE_EIO, errno, "creating load thread %d", i);
            scope_load_stop(l);
            break;
        }
        started++;
    }
    if (!o->start_wall_ns) {
        /* 1 ms for the parked threads to wake up before the first request is due */
        int64_t shift = mono_now() + 1000000 - start;
        start += shift;
        start_wall += shift;
        for (int i = 0; i < nw; i++) {
            ws[i].start += shift;
            ws[i].end += shift;
            ws[i].next_intended += (double)shift;
        }
    }
    pthread_mutex_lock(&gate.mu);
    gate.go = 1;
    pthread_cond_broadcast(&gate.cv);
    pthread_mutex_unlock(&gate.mu);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].th, NULL);
    int64_t end_mono = mono_now();
    if (!rc && started == nw) {
        int failed = 0, user = 0;
        for (int i = 0; i < nw; i++) {
            if (ws[i].failed)
                failed = ws[i].failed;
            user |= ws[i].rc == SCOPE_EUSER;
        }
        int64_t dur = end_mono - start;
        if (dur > o->duration_ns)
            dur = o->duration_ns;
        if (dur < 0)
            dur = 0;
        if (failed == 1)
            rc = scope__error(SCOPE_ENOMEM, 0, "a load thread ran out of memory");
        else if (failed)
            rc = scope__error_sys(SCOPE_EIO, failed, "epoll_wait in a load thread");
        else if (!(rc = build_result(out, l, ws, nw, start_wall, dur)) && user)
            rc = scope__error(SCOPE_EUSER, 0, "a load callback returned non-zero: run stopped");
    }
out:
    if (ws) {
        for (int i = 0; i < nw; i++)
            worker_free(&ws[i], l->ntypes);
        free(ws);
    }
    for (size_t t = 0; t < l->ntypes; t++)
        l->types[t].weight = weights[t];
    free(weights);
    atomic_store(&l->running, 0);
    return rc;
}

/* --- result accessors ------------------------------------------------------------ */

static const struct tstats *rts(const scope_load_result *r, int type)
{
    if (!r || type < -1 || type >= r->ntypes)
        return NULL;
    return &r->ts[type < 0 ? r->ntypes : type];
}

SCOPE_API int scope_load_result_type_count(const scope_load_result *r) { return r ? r->ntypes : 0; }

SCOPE_API const char *scope_load_result_type_name(const scope_load_result *r, int type)
{
    return r && type >= 0 && type < r->ntypes ? r->names[type] : NULL;
}

SCOPE_API int scope_load_result_stats(const scope_load_result *r, int type, scope_load_stats *out)
{
    const struct tstats *s = rts(r, type);
    if (!s || !out || out->size < sizeof(size_t))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_result_stats: bad result, type %d or "
                            "stats struct (initialise it with SCOPE_LOAD_STATS_INIT)", type);
    scope_load_stats v;
    memset(&v, 0, sizeof v);
    v.size = out->size < sizeof v ? out->size : sizeof v;
    v.sent = s->sent;
    v.completed = s->completed;
    v.errors = s->errors;
    v.in_flight = s->in_flight;
    v.late = s->late;
    for (int k = 0; k < 1000; k++) {
        int64_t c = s->status[k];
        if (k >= 200 && k < 300)
            v.status_2xx += c;
        else if (k >= 300 && k < 400)
            v.status_3xx += c;
        else if (k >= 400 && k < 500)
            v.status_4xx += c;
        else if (k >= 500 && k < 600)
            v.status_5xx += c;
        else
            v.status_other += c;
    }
    if (type < 0) {
        v.backlog = r->backlog;
        v.connects = r->connects;
        v.reconnects = r->reconnects;
        v.bytes_read = r->bytes_read;
    }
    v.duration_ns = r->duration_ns;
    v.rate = r->duration_ns ? (double)s->completed * 1e9 / (double)r->duration_ns : 0;
    v.target_rate = r->target_rate;
    size_t n = out->size < sizeof v ? out->size : sizeof v;
    memcpy(out, &v, n);
    return 0;
}

SCOPE_API const scope_hist *scope_load_result_hist(const scope_load_result *r, int type,
                                                   int corrected)
{
    const struct tstats *s = rts(r, type);
    return s ? (corrected ? s->corr : s->unc) : NULL;
}

SCOPE_API int64_t scope_load_result_status(const scope_load_result *r, int type, int status)
{
    const struct tstats *s = rts(r, type);
    return s && status >= 0 && status < 1000 ? s->status[status] : 0;
}

SCOPE_API int scope_load_result_errors(const scope_load_result *r, int kind, int32_t *errnos,
                                       int64_t *counts, size_t cap, int64_t *total)
{
    if (!r || kind < 1 || kind >= SCOPE_LOAD_ERR_KINDS || (cap && (!errnos || !counts)))
        return scope__error(SCOPE_EINVAL, 0, "scope_load_result_errors: bad result, kind %d or "
                            "arrays", kind);
    const struct errtab *e = &r->err[kind];
    int n = 0;
    for (int i = 0; i < MAX_ERRNOS && e->count[i]; i++, n++)
        if ((size_t)n < cap) {
            errnos[n] = e->errnum[i];
            counts[n] = e->count[i];
        }
    if (total)
        *total = e->total;
    return n;
}

SCOPE_API const char *scope_load_result_error_message(const scope_load_result *r, int kind)
{
    if (!r || kind < 1 || kind >= SCOPE_LOAD_ERR_KINDS || !r->err[kind].msg[0])
        return NULL;
    return r->err[kind].msg;
}

SCOPE_API const scope_series_set *scope_load_result_series(const scope_load_result *r)
{
    return r ? r->series : NULL;
}

SCOPE_API int scope_load_result_interval_count(const scope_load_result *r) { return r ? r->niv : 0; }

SCOPE_API int64_t scope_load_result_start(const scope_load_result *r) { return r ? r->start_wall : 0; }

SCOPE_API const char *scope_load_result_engine(const scope_load_result *r)
{
    if (!r)
        return "";
    return r->nuring == r->nthreads ? "io_uring" : r->nuring ? "mixed" : "epoll";
}

SCOPE_API int scope_load_result_interval(scope_hist **out, const scope_load_result *r, int i,
                                         int type, int64_t *start_wall_ns, int64_t *length_ns)
{
    const struct tstats *s = rts(r, type);
    if (!out || !s || i < 0 || i >= r->niv)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_result_interval: interval %d or type %d "
                            "out of range", i, type);
    *out = NULL;
    if (start_wall_ns)
        *start_wall_ns = r->start_wall + (int64_t)i * r->interval;
    if (length_ns) {
        int64_t len = r->interval;
        if ((int64_t)(i + 1) * r->interval > r->duration_ns)
            len = r->duration_ns - (int64_t)i * r->interval;
        *length_ns = len > 0 ? len : 0;
    }
    if (s->iv_enc[i])
        return scope_hist_decode(out, s->iv_enc[i], s->iv_len[i]);
    return scope_hist_new(out, NULL);
}

SCOPE_API int scope_load_result_write_hlog(const scope_load_result *r, FILE *f)
{
    if (!r || !f)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_result_write_hlog: r or f is NULL");
    int rc = scope_hist_log_header(f, r->start_wall);
    for (int i = 0; i < r->niv && !rc; i++)
        for (int t = -1; t < r->ntypes && !rc; t++) {
            if (t >= 0 && r->ntypes == 1)
                continue;
            scope_hist *h;
            int64_t st, len;
            if ((rc = scope_load_result_interval(&h, r, i, t, &st, &len)))
                break;
            rc = scope_hist_log_write(f, t < 0 ? NULL : r->names[t], st - r->start_wall, len, h);
            scope_hist_free(h);
        }
    return rc;
}

/* --- sweeps --------------------------------------------------------------------- */

static int parse_num(const char **p, double max, int *pct, double *out)
{
    char *e;
    double v = strtod(*p, &e);
    if (e == *p || !isfinite(v))
        return -1;
    int is_pct = *e == '%';
    if (is_pct) {
        e++;
        v = v / 100.0 * max;
    }
    if (*pct >= 0 && *pct != is_pct)
        return -1;
    *pct = is_pct;
    *p = e;
    *out = v;
    return 0;
}

SCOPE_API int scope_load_sweep_parse(double **out, size_t *n, const char *spec, double max)
{
    if (!out || !n || !spec)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_sweep_parse: an argument is NULL");
    *out = NULL;
    *n = 0;
    if (strchr(spec, '%') && !(max > 0))
        return scope__error(SCOPE_EINVAL, 0, "sweep \"%s\" uses percentages but no maximum was "
                            "measured (max %g): run a closed-loop probe first", spec, max);
    const char *p = spec;
    int pct = -1;
    double a, b, step;
    size_t cap = 16, cnt = 0;
    double *v = malloc(cap * sizeof *v);
    if (!v)
        return scope__enomem("sweep values");
    if (strchr(spec, ':')) {
        if (parse_num(&p, max, &pct, &a) || *p++ != ':' || parse_num(&p, max, &pct, &b) ||
            *p++ != ':' || parse_num(&p, max, &pct, &step) || *p || !(step > 0) || b < a)
            goto bad;
        for (double x = a; x <= b * (1 + 1e-12) && cnt < 10000; x = a + step * (double)cnt) {
            if (cnt == cap) {
                double *nv = realloc(v, (cap *= 2) * sizeof *v);
                if (!nv) {
                    free(v);
                    return scope__enomem("sweep values");
                }
                v = nv;
            }
            v[cnt++] = x;
        }
    } else {
        for (;;) {
            if (cnt == 10000 || parse_num(&p, max, &pct, &a))
                goto bad;
            if (cnt == cap) {
                double *nv = realloc(v, (cap *= 2) * sizeof *v);
                if (!nv) {
                    free(v);
                    return scope__enomem("sweep values");
                }
                v = nv;
            }
            v[cnt++] = a;
            if (!*p)
                break;
            if (*p++ != ',')
                goto bad;
        }
    }
    for (size_t i = 0; i < cnt; i++)
        if (!(v[i] >= 0))
            goto bad;
    *out = v;
    *n = cnt;
    return 0;
bad:
    free(v);
    return scope__error(SCOPE_EINVAL, 0, "sweep \"%s\": malformed at offset %zu; use a list "
                        "\"1000,2000\", a range \"1000:5000:1000\" or percentages "
                        "\"10%%:100%%:10%%\"", spec, (size_t)(p - spec));
}

SCOPE_API void scope_load_sweep_free(double *values) { free(values); }

SCOPE_API int scope_load_sweep(scope_load *l, int kind, const double *values, size_t n,
                               scope_load_sweep_cb cb, void *user_data)
{
    int rc = not_running(l, "scope_load_sweep");
    if (rc)
        return rc;
    if ((kind != SCOPE_LOAD_SWEEP_RATE && kind != SCOPE_LOAD_SWEEP_BODY) || (!values && n) || !cb)
        return scope__error(SCOPE_EINVAL, 0, "scope_load_sweep: kind %d, values or callback "
                            "invalid", kind);
    for (size_t i = 0; i < n; i++) {
        if (atomic_load(&l->stop) && i)
            break;
        if (kind == SCOPE_LOAD_SWEEP_RATE)
            rc = scope_load_set_rate(l, values[i]);
        else
            rc = values[i] >= 0 ? scope_load_set_body(l, -1, NULL, (size_t)values[i])
                                : scope__error(SCOPE_EINVAL, 0, "body size %g < 0", values[i]);
        if (rc)
            return rc;
        scope_load_result *r;
        rc = scope_load_run(&r, l);
        if (rc && rc != SCOPE_EUSER)
            return rc;
        int stopped = atomic_load(&l->stop);
        if (cb(i, values[i], r, user_data))
            return scope__error(SCOPE_EUSER, 0, "the sweep callback ended the sweep at step %zu",
                                i);
        if (rc)
            return rc;
        if (stopped)
            break;
    }
    return 0;
}
