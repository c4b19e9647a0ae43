/* The /metrics scrape endpoint: libmicrohttpd on its own thread serving a
 * page rendered by scope_exporter_publish(). */
#include "../internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct scope_exporter {
    struct MHD_Daemon *d;
    pthread_mutex_t lock;   /* guards page/len */
    pthread_mutex_t render; /* serialises publishers */
    char *page;
    size_t len;
    int port;
    scope_exporter_opts opts;
    atomic_uint_fast64_t scrapes;
};

SCOPE_API int scope_exporter_opts_init(scope_exporter_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_exporter_opts");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    scope_exporter *e = cls;
    struct MHD_Response *resp;
    unsigned status = MHD_HTTP_OK;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static const char msg[] = "only GET /metrics is served\n";
        resp = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(url, "/metrics")) {
        static const char msg[] = "not found: libscope serves /metrics\n";
        resp = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_FOUND;
    } else {
        pthread_mutex_lock(&e->lock);
        resp = MHD_create_response_from_buffer(e->len, e->page ? e->page : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&e->lock);
        atomic_fetch_add(&e->scrapes, 1);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
                                                  : "text/plain; charset=utf-8");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

SCOPE_API int scope_exporter_open(scope_exporter **out, const scope_exporter_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_exporter_open: out is NULL");
    *out = NULL;
    scope_exporter_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_exporter_opts");
    if (rc)
        return rc;
    const char *addr = o.address ? o.address : "127.0.0.1";
    if (o.port < 0 || o.port > 65535)
        return scope__error(SCOPE_EINVAL, 0, "exporter port %d is not a TCP port (0-65535)",
                            o.port);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)o.port);
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)o.port);
        flags |= MHD_USE_IPv6;
    } else {
        return scope__error(SCOPE_EINVAL, 0,
                            "exporter address \"%s\" is not a numeric IPv4 or IPv6 address", addr);
    }
    scope_exporter *e = calloc(1, sizeof *e);
    if (!e)
        return scope__enomem("an exporter");
    e->opts = o;
    e->opts.address = NULL; /* not kept: copied into the socket address above */
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->render, NULL);
    errno = 0;
    e->d = MHD_start_daemon(flags, (uint16_t)o.port, NULL, NULL, answer, e, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                            MHD_OPTION_END);
    if (!e->d) {
        int err = errno;
        pthread_mutex_destroy(&e->lock);
        pthread_mutex_destroy(&e->render);
        free(e);
        if (err == EADDRINUSE)
            return scope__error(SCOPE_EEXIST, err,
                                "exporter: %s port %d is in use: choose another port or 0 for any "
                                "free one",
                                addr, o.port);
        if (err == EACCES)
            return scope__error(SCOPE_EPERM, err,
                                "exporter: binding %s port %d is not permitted: ports below 1024 "
                                "need root or CAP_NET_BIND_SERVICE",
                                addr, o.port);
        return scope__error_sys(SCOPE_EIO, err ? err : EIO,
                                "exporter: cannot serve HTTP on %s port %d", addr, o.port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(e->d, MHD_DAEMON_INFO_BIND_PORT);
    e->port = info ? info->port : o.port;
    *out = e;
    return 0;
}

SCOPE_API int scope_exporter_port(const scope_exporter *e) { return e ? e->port : 0; }

SCOPE_API uint64_t scope_exporter_scrape_count(const scope_exporter *e)
{
    return e ? atomic_load(&((scope_exporter *)e)->scrapes) : 0;
}

SCOPE_API int scope_exporter_publish(scope_exporter *e, const scope_series_set *set)
{
    if (!e || !set)
        return scope__error(SCOPE_EINVAL, 0, "scope_exporter_publish: NULL argument");
    scope_export_opts xo = SCOPE_EXPORT_OPTS_INIT;
    xo.timestamps = e->opts.timestamps;
    pthread_mutex_lock(&e->render);
    char *page;
    size_t len;
    int rc = scope_export_buffer(&page, &len, set, SCOPE_EXPORT_PROMETHEUS, &xo);
    if (!rc) {
        pthread_mutex_lock(&e->lock);
        char *old = e->page;
        e->page = page;
        e->len = len;
        pthread_mutex_unlock(&e->lock);
        free(old);
    }
    pthread_mutex_unlock(&e->render);
    return rc;
}

SCOPE_API void scope_exporter_free(scope_exporter *e)
{
    if (!e)
        return;
    MHD_stop_daemon(e->d);
    free(e->page);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->render);
    free(e);
}
