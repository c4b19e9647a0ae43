/* A misbehaving HTTP/1.1 server for fault-injection tests: loopback only,
 * one detached thread per connection (at most FAULT_MAX_CONN at once), every
 * wait bounded by a poll of 20 ms against the stop flag; fault_stop() joins
 * the acceptor and waits (bounded) for the connection threads to end.
 * Each request is answered according to the scenario; the server counts
 * what it saw so tests have an independent side. Header-only (static). */
#ifndef SCOPE_TEST_FAULT_SERVER_H
#define SCOPE_TEST_FAULT_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fault_mode {
    FAULT_OK,          /* 200, Content-Length body, keep-alive */
    FAULT_RESET,       /* reads the request, then resets the connection (RST) */
    FAULT_STALL,       /* reads the request, never answers */
    FAULT_TRICKLE,     /* a valid 200, written one byte at a time, 1 ms apart */
    FAULT_MALFORMED,   /* "HTTP/1.1 2x0 Nope" */
    FAULT_OVERSIZED,   /* a 100 KiB header line (more than any client keeps) */
    FAULT_HUGE_BODY,   /* 200 with an 8 MiB body (the client must cope or refuse) */
    FAULT_MID_BODY,    /* Content-Length 100, 50 bytes, then close */
    FAULT_CONN_CLOSE,  /* 200 with Connection: close, then close */
    FAULT_ALTERNATE,   /* the server's odd requests (1st, 3rd, ...) are reset, even OK */
    FAULT_ACCEPT_RESET /* resets every connection as soon as it is accepted */
};

#define FAULT_MAX_CONN 64

struct fault_server {
    int lfd, port;
    enum fault_mode mode;
    const char *body;          /* the OK body; default "{}" */
    const char *content_type;  /* default application/json */
    int status;                /* the OK status; default 200 */
    pthread_t th;
    atomic_int stop;
    atomic_long accepted, requests, answered, resets;
    atomic_int live; /* connection threads running */
};

static void fault_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void fault_rst(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Writes all of @s (or one byte per 1 ms with @trickle); 0 or -1. */
static int fault_send(struct fault_server *s, int fd, const char *p, size_t n, int trickle)
{
    while (n && !atomic_load(&s->stop)) {
        size_t k = trickle ? 1 : n;
        ssize_t w = send(fd, p, k, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, 20);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
        if (trickle)
            fault_sleep_ms(1);
    }
    return n ? -1 : 0;
}

/* Reads one request head (and a Content-Length body). 1: got one, 0: the
 * peer closed or the server stops. */
static int fault_read_request(struct fault_server *s, int fd, char *buf, size_t cap,
                              size_t *have)
{
    for (;;) {
        char *end = memmem(buf, *have, "\r\n\r\n", 4);
        if (end) {
            size_t head = (size_t)(end + 4 - buf);
            size_t body = 0;
            char *cl = memmem(buf, head, "Content-Length:", 15);
            if (cl)
                body = strtoul(cl + 15, NULL, 10);
            if (*have >= head + body) {
                memmove(buf, buf + head + body, *have - head - body);
                *have -= head + body;
                return 1;
            }
        }
        if (*have == cap)
            return 0;
        struct pollfd pf = {fd, POLLIN, 0};
        int r = poll(&pf, 1, 20);
        if (atomic_load(&s->stop))
            return 0;
        if (r <= 0)
            continue;
        ssize_t n = recv(fd, buf + *have, cap - *have, 0);
        if (n <= 0)
            return 0;
        *have += (size_t)n;
    }
}

struct fault_conn {
    struct fault_server *s;
    int fd;
};

static void *fault_conn_main(void *arg)
{
    struct fault_conn c = *(struct fault_conn *)arg;
    free(arg);
    struct fault_server *s = c.s;
    int fd = c.fd;
    size_t cap = 1 << 16, have = 0;
    char *buf = malloc(cap);
    const char *body = s->body ? s->body : "{}";
    char head[512];
    int nreq = 0;
    while (buf && !atomic_load(&s->stop) && fault_read_request(s, fd, buf, cap, &have)) {
        nreq++;
        long seq = atomic_fetch_add(&s->requests, 1) + 1;
        enum fault_mode m = s->mode;
        if (m == FAULT_ALTERNATE)
            m = (seq % 2) ? FAULT_RESET : FAULT_OK;
        if (m == FAULT_RESET) {
            fault_rst(fd);
            atomic_fetch_add(&s->resets, 1);
            break;
        }
        if (m == FAULT_STALL) {
            /* hold the connection until the peer gives up or we stop */
            char sink[256];
            for (;;) {
                struct pollfd pf = {fd, POLLIN, 0};
                if (atomic_load(&s->stop))
                    break;
                if (poll(&pf, 1, 20) > 0 && recv(fd, sink, sizeof sink, 0) <= 0)
                    break;
            }
            break;
        }
        if (m == FAULT_MALFORMED) {
            const char *bad = "HTTP/1.1 2x0 Nope\r\nContent-Length: 0\r\n\r\n";
            fault_send(s, fd, bad, strlen(bad), 0);
            atomic_fetch_add(&s->answered, 1);
            continue;
        }
        if (m == FAULT_OVERSIZED) {
            size_t n = 100 * 1024;
            char *big = malloc(n + 64);
            if (!big)
                break;
            int k = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
            memset(big + k, 'x', n);
            memcpy(big + k + n, "\r\nContent-Length: 2\r\n\r\n{}", 26);
            fault_send(s, fd, big, (size_t)k + n + 26, 0);
            free(big);
            atomic_fetch_add(&s->answered, 1);
            continue;
        }
        if (m == FAULT_HUGE_BODY) {
            size_t n = 8u << 20;
            snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     n);
            char *big = malloc(n);
            if (!big)
                break;
            memset(big, ' ', n);
            const char *open = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                               "\"result\":[";
            memcpy(big, open, strlen(open));
            if (fault_send(s, fd, head, strlen(head), 0) == 0)
                fault_send(s, fd, big, n, 0);
            free(big);
            atomic_fetch_add(&s->answered, 1);
            continue;
        }
        if (m == FAULT_MID_BODY) {
            const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100\r\n\r\n"
                            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[";
            fault_send(s, fd, h, strlen(h), 0);
            break; /* close after about 60 of the 100 bytes */
        }
        int status = s->status ? s->status : 200;
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
                 status == 200 ? "OK" : "Status", s->content_type ? s->content_type
                                                                  : "application/json",
                 strlen(body), m == FAULT_CONN_CLOSE ? "Connection: close\r\n" : "");
        int trickle = m == FAULT_TRICKLE;
        if (fault_send(s, fd, head, strlen(head), trickle) ||
            fault_send(s, fd, body, strlen(body), trickle))
            break;
        atomic_fetch_add(&s->answered, 1);
        if (m == FAULT_CONN_CLOSE)
            break;
    }
    free(buf);
    close(fd);
    atomic_fetch_sub(&s->live, 1);
    return NULL;
}

static void *fault_main(void *arg)
{
    struct fault_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {s->lfd, POLLIN, 0};
        if (poll(&pf, 1, 20) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->accepted, 1);
        int one = 1; /* head and body are two sends: no Nagle/delayed-ACK stall */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s->mode == FAULT_ACCEPT_RESET) {
            fault_rst(fd);
            close(fd);
            atomic_fetch_add(&s->resets, 1);
            continue;
        }
        int full = atomic_load(&s->live) >= FAULT_MAX_CONN;
        struct fault_conn *c = full ? NULL : malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_t th;
        atomic_fetch_add(&s->live, 1);
        if (pthread_create(&th, &at, fault_conn_main, c)) {
            atomic_fetch_sub(&s->live, 1);
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&at);
    }
    return NULL;
}

/* Starts a server on 127.0.0.1 (a free port); 0 or -1. */
static int fault_start(struct fault_server *s, enum fault_mode mode, const char *body)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->body = body;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->lfd < 0)
        return -1;
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 128) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &len)) {
        close(s->lfd);
        return -1;
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->th, NULL, fault_main, s)) {
        close(s->lfd);
        return -1;
    }
    return 0;
}

static void fault_stop(struct fault_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    /* every connection thread polls the flag every 20 ms (a trickle writes
     * at most one more byte): 5 s is far more than they need */
    for (int i = 0; i < 5000 && atomic_load(&s->live); i++)
        fault_sleep_ms(1);
    close(s->lfd);
}

#endif
