/* Fault injection for the network parts (issue 10): the load driver and the
 * Prometheus client against tests/fault_server.h, a loopback server that
 * resets, stalls, trickles, sends malformed, oversized or truncated
 * responses. check_load.c already covers refused connects, a silent server
 * (timeouts), chunked/HTTP 1.0/Connection: close framing and a garbage
 * status line; check_prom.c covers retried 5xx/429, a short Content-Length,
 * truncated JSON and 401 with credentials. This suite adds what they lack. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_server.h"
#include "scope/scope.h"

static const char *VECTOR =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
    "{\"metric\":{\"__name__\":\"up\",\"job\":\"x\"},\"value\":[1700000000,\"1\"]}]}}";

/* sent = completed + errors + in flight, overall and per type; the error
 * kinds add up to the errors; the histogram holds exactly the completed
 * requests and the timed-out ones (load.h: a timeout is recorded at its
 * age; other errors are not latencies). */
static void invariants(const scope_load_result *r, scope_load_stats *all)
{
    ck_assert_int_eq(scope_load_result_stats(r, -1, all), 0);
    ck_assert_int_eq(all->sent, all->completed + all->errors + all->in_flight);
    for (int i = 0; i < scope_load_result_type_count(r); i++) {
        scope_load_stats t = SCOPE_LOAD_STATS_INIT;
        ck_assert_int_eq(scope_load_result_stats(r, i, &t), 0);
        ck_assert_int_eq(t.sent, t.completed + t.errors + t.in_flight);
    }
    int64_t errs = 0, timeouts = 0;
    for (int k = 1; k < SCOPE_LOAD_ERR_KINDS; k++) {
        int64_t n = 0;
        scope_load_result_errors(r, k, NULL, NULL, 0, &n);
        if (k != SCOPE_LOAD_ERR_CONNECT)
            errs += n;
        if (k == SCOPE_LOAD_ERR_TIMEOUT)
            timeouts = n;
    }
    ck_assert_int_eq(errs, all->errors);
    ck_assert_int_eq(scope_hist_count(scope_load_result_hist(r, -1, 1)),
                     all->completed + timeouts);
}

static scope_load_result *run_load(struct fault_server *s, int mode, double rate, int conns,
                                   int64_t dur_ns, int64_t timeout_ns)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", s->port);
    scope_load_opts o = SCOPE_LOAD_OPTS_INIT;
    o.mode = mode;
    o.rate = rate;
    o.connections = conns;
    o.duration_ns = dur_ns;
    o.timeout_ns = timeout_ns;
    o.reconnect_delay_ns = 1000000;
    scope_load *l;
    ck_assert_msg(scope_load_new(&l, url, &o) == 0, "%s", scope_error_message());
    scope_load_result *r = NULL;
    ck_assert_msg(scope_load_run(&r, l) == 0, "%s", scope_error_message());
    scope_load_free(l);
    return r;
}

static int64_t errs_of(const scope_load_result *r, int kind, int32_t *first_errno)
{
    int32_t en[8] = {0};
    int64_t cnt[8], total = 0;
    int n = scope_load_result_errors(r, kind, en, cnt, 8, &total);
    if (first_errno)
        *first_errno = n > 0 ? en[0] : -1;
    return total;
}

/* A reset after every request: each is a read error (ECONNRESET), the
 * connection is reopened, and the server saw every request that was sent. */
START_TEST(load_reset)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_RESET, NULL), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_CLOSED, 0, 2, 300000000, 500000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    int32_t en;
    int64_t n = errs_of(r, SCOPE_LOAD_ERR_READ, &en);
    ck_assert_int_gt(n, 10);
    ck_assert_msg(en == ECONNRESET || en == 0, "errno %d", en);
    ck_assert_int_eq(st.completed, 0);
    ck_assert_int_eq(st.errors, n);
    /* every request reached the server: the ones the driver sent */
    ck_assert_int_ge(atomic_load(&s.requests), st.sent - st.in_flight);
    ck_assert_int_le(atomic_load(&s.requests), st.sent);
    /* a reconnect per reset (the first connect of each slot is not one) */
    ck_assert_int_ge(st.reconnects, n - 2);
    ck_assert_int_le(st.reconnects, n);
    scope_load_result_free(r);
}
END_TEST

/* Every other request reset, open loop: the schedule holds (the intended
 * sends all happen), the OK half completes, the reset half are read errors. */
START_TEST(load_alternate_keeps_schedule)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_ALTERNATE, "hello"), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_OPEN, 400, 4, 500000000, 500000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    /* 400/s for 0.5 s: 200 intended sends, (almost) none left in the backlog */
    ck_assert_int_ge(st.sent + st.backlog, 195);
    ck_assert_int_le(st.sent + st.backlog, 205);
    ck_assert_int_le(st.backlog, 10); /* 5%: a loaded 2-core machine */
    int64_t rd = errs_of(r, SCOPE_LOAD_ERR_READ, NULL);
    ck_assert_int_gt(st.completed, 60);
    ck_assert_int_gt(rd, 60);
    ck_assert_int_eq(st.status_2xx, st.completed);
    /* the server answered exactly the completed ones (+ any in flight) */
    ck_assert_int_ge(atomic_load(&s.answered), st.completed);
    ck_assert_int_le(atomic_load(&s.answered), st.completed + st.in_flight);
    ck_assert_int_eq(atomic_load(&s.resets), rd);
    scope_load_result_free(r);
}
END_TEST

/* One byte per millisecond: responses complete (slowly), nothing is an
 * error, and each takes at least as long as its bytes took to trickle. */
START_TEST(load_trickle)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_TRICKLE, "ok"), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_CLOSED, 0, 2, 600000000, 2000000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    ck_assert_int_ge(st.completed, 2);
    ck_assert_int_eq(st.errors, 0);
    ck_assert_int_eq(st.status_2xx, st.completed);
    /* the response is about 70 bytes: at least 70 ms at 1 byte/ms */
    ck_assert_int_ge(scope_hist_min(scope_load_result_hist(r, -1, 1)), 60000000);
    ck_assert_int_eq(st.reconnects, 0);
    scope_load_result_free(r);
}
END_TEST

/* A header longer than the parser keeps: a parse error, not a hang or a
 * crash, and the connection is dropped and reopened. */
START_TEST(load_oversized_head)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_OVERSIZED, NULL), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_CLOSED, 0, 1, 300000000, 1000000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    int64_t n = errs_of(r, SCOPE_LOAD_ERR_PARSE, NULL);
    ck_assert_int_gt(n, 3);
    ck_assert_int_eq(st.errors, n);
    ck_assert_int_eq(st.completed, 0);
    ck_assert_int_ge(st.reconnects, n - 1);
    scope_load_result_free(r);
}
END_TEST

/* Content-Length 100 with about 60 bytes, then the server closes: a read
 * error (the peer closed mid-response), never a completed response. */
START_TEST(load_close_mid_body)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_MID_BODY, NULL), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_CLOSED, 0, 2, 300000000, 1000000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    int32_t en;
    int64_t n = errs_of(r, SCOPE_LOAD_ERR_READ, &en);
    ck_assert_msg(n > 10, "read %ld parse %ld timeout %ld write %ld; sent %ld completed %ld "
                  "errors %ld in flight %ld", (long)n, (long)errs_of(r, SCOPE_LOAD_ERR_PARSE, NULL),
                  (long)errs_of(r, SCOPE_LOAD_ERR_TIMEOUT, NULL),
                  (long)errs_of(r, SCOPE_LOAD_ERR_WRITE, NULL), (long)st.sent, (long)st.completed,
                  (long)st.errors, (long)st.in_flight);
    ck_assert_int_eq(st.errors, n);
    ck_assert_int_eq(st.completed, 0);
    ck_assert_int_eq(st.status_2xx, 0);
    scope_load_result_free(r);
}
END_TEST

/* The server resets every connection as it accepts it: the request either
 * fails to send (write) or to read (read); the counters still add up and
 * the driver keeps reconnecting for the whole run. */
START_TEST(load_accept_reset)
{
    struct fault_server s;
    ck_assert_int_eq(fault_start(&s, FAULT_ACCEPT_RESET, NULL), 0);
    scope_load_result *r = run_load(&s, SCOPE_LOAD_CLOSED, 0, 2, 300000000, 500000000);
    fault_stop(&s);
    scope_load_stats st = SCOPE_LOAD_STATS_INIT;
    invariants(r, &st);
    int64_t rd = errs_of(r, SCOPE_LOAD_ERR_READ, NULL);
    int64_t wr = errs_of(r, SCOPE_LOAD_ERR_WRITE, NULL);
    int64_t cn = errs_of(r, SCOPE_LOAD_ERR_CONNECT, NULL);
    ck_assert_int_eq(st.completed, 0);
    ck_assert_int_eq(st.errors, rd + wr);
    ck_assert_int_gt(rd + wr + cn, 10);
    ck_assert_int_ge(atomic_load(&s.accepted), 10);
    scope_load_result_free(r);
}
END_TEST

/* --- Prometheus client ---------------------------------------------------- */

static scope_prom *prom_client(struct fault_server *s, int timeout_ms, const char *user,
                               const char *pass, const char *token)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s->port);
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = url;
    o.timeout_ms = timeout_ms;
    o.connect_timeout_ms = 1000;
    o.max_retries = 1;
    o.retry_base_ms = 10;
    o.username = user;
    o.password = pass;
    o.bearer_token = token;
    scope_prom *p;
    ck_assert_msg(scope_prom_new(&p, &o) == 0, "%s", scope_error_message());
    return p;
}

/* A failed query: the error code, no result, and a message. */
static const char *prom_fails(struct fault_server *s, int timeout_ms, int want)
{
    scope_prom *p = prom_client(s, timeout_ms, "alice", "hunter2-pw", NULL);
    scope_prom_result *r = (scope_prom_result *)&r; /* must be reset to NULL */
    int rc = scope_prom_query(&r, p, "up", 0, NULL);
    ck_assert_msg(rc == want, "rc %d (%s), want %d", rc, scope_error_message(), want);
    ck_assert_ptr_null(r);
    const char *msg = scope_error_message();
    ck_assert(msg && *msg);
    ck_assert_msg(!strstr(msg, "hunter2-pw"), "%s", msg);
    scope_prom_free(p);
    return msg;
}

START_TEST(prom_faults)
{
    struct fault_server s;
    const char *msg;

    /* control: the same server healthy answers */
    ck_assert_int_eq(fault_start(&s, FAULT_OK, VECTOR), 0);
    scope_prom *p = prom_client(&s, 2000, NULL, NULL, NULL);
    scope_prom_result *r;
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), 0);
    ck_assert_uint_eq(scope_series_set_count(scope_prom_result_series(r)), 1);
    scope_prom_result_free(r);
    scope_prom_free(p);
    fault_stop(&s);

    /* reset: a network error, retried once */
    ck_assert_int_eq(fault_start(&s, FAULT_RESET, VECTOR), 0);
    msg = prom_fails(&s, 2000, SCOPE_ENET);
    ck_assert_int_eq(atomic_load(&s.requests), 2);
    fault_stop(&s);

    /* stall: the request timeout, not a hang */
    ck_assert_int_eq(fault_start(&s, FAULT_STALL, VECTOR), 0);
    msg = prom_fails(&s, 300, SCOPE_ETIMEDOUT);
    fault_stop(&s);

    /* closed after 60 of 100 bytes: an error, never partial data */
    ck_assert_int_eq(fault_start(&s, FAULT_MID_BODY, VECTOR), 0);
    scope_prom *q = prom_client(&s, 2000, NULL, NULL, NULL);
    int rc = scope_prom_query(&r, q, "up", 0, NULL);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_null(r);
    scope_prom_free(q);
    fault_stop(&s);

    /* malformed status line */
    ck_assert_int_eq(fault_start(&s, FAULT_MALFORMED, VECTOR), 0);
    q = prom_client(&s, 2000, NULL, NULL, NULL);
    ck_assert_int_ne(scope_prom_query(&r, q, "up", 0, NULL), 0);
    ck_assert_ptr_null(r);
    scope_prom_free(q);
    fault_stop(&s);

    /* an 8 MiB body that never closes its JSON: a parse error naming the
     * truncation, no result */
    ck_assert_int_eq(fault_start(&s, FAULT_HUGE_BODY, VECTOR), 0);
    msg = prom_fails(&s, 5000, SCOPE_EPARSE);
    fault_stop(&s);

    /* one byte per millisecond still parses to the right answer */
    ck_assert_int_eq(fault_start(&s, FAULT_TRICKLE, VECTOR), 0);
    p = prom_client(&s, 5000, NULL, NULL, NULL);
    ck_assert_msg(scope_prom_query(&r, p, "up", 0, NULL) == 0, "%s", scope_error_message());
    const scope_series_set *set = scope_prom_result_series(r);
    ck_assert_uint_eq(scope_series_set_count(set), 1);
    scope_prom_result_free(r);
    scope_prom_free(p);
    fault_stop(&s);

    /* Connection: close after each answer: two queries on one client */
    ck_assert_int_eq(fault_start(&s, FAULT_CONN_CLOSE, VECTOR), 0);
    p = prom_client(&s, 2000, NULL, NULL, NULL);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), 0);
        scope_prom_result_free(r);
    }
    ck_assert_int_eq(atomic_load(&s.accepted), 2);
    scope_prom_free(p);
    fault_stop(&s);
    (void)msg;
}
END_TEST

/* Credentials never reach an error message, whatever the failure: bearer
 * token, basic auth, and a password given in the URL. */
START_TEST(prom_secrets_in_errors)
{
    struct fault_server s;
    enum fault_mode modes[] = {FAULT_RESET, FAULT_MALFORMED, FAULT_MID_BODY, FAULT_OK};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        ck_assert_int_eq(fault_start(&s, modes[i], "<html>not json</html>"), 0);
        s.status = modes[i] == FAULT_OK ? 500 : 0;
        char url[128];
        scope_prom_result *r;
        scope_prom *p = prom_client(&s, 1000, "bob", "pw-S3CRET-basic", "tok-S3CRET-bearer");
        ck_assert_int_ne(scope_prom_query(&r, p, "up", 0, NULL), 0);
        const char *msg = scope_error_message();
        ck_assert_msg(!strstr(msg, "S3CRET"), "%s", msg);
        scope_prom_free(p);
        /* user:password@host in the URL */
        snprintf(url, sizeof url, "http://carol:pw-S3CRET-url@127.0.0.1:%d", s.port);
        scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
        o.url = url;
        o.max_retries = -1;
        o.timeout_ms = 1000;
        int rc = scope_prom_new(&p, &o);
        if (rc == 0) {
            ck_assert_int_ne(scope_prom_query(&r, p, "up", 0, NULL), 0);
            scope_prom_free(p);
        }
        msg = scope_error_message();
        ck_assert_msg(!strstr(msg, "S3CRET"), "%s", msg);
        fault_stop(&s);
    }
}
END_TEST

int main(void)
{
    Suite *su = suite_create("faults");
    TCase *tl = tcase_create("load");
    tcase_set_timeout(tl, 60);
    tcase_add_test(tl, load_reset);
    tcase_add_test(tl, load_alternate_keeps_schedule);
    tcase_add_test(tl, load_trickle);
    tcase_add_test(tl, load_oversized_head);
    tcase_add_test(tl, load_close_mid_body);
    tcase_add_test(tl, load_accept_reset);
    suite_add_tcase(su, tl);
    TCase *tp = tcase_create("prom");
    tcase_set_timeout(tp, 60);
    tcase_add_test(tp, prom_faults);
    tcase_add_test(tp, prom_secrets_in_errors);
    suite_add_tcase(su, tp);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
