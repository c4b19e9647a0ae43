/* The load engine's HTTP/1.x response parser (internal pure functions). */
#include <check.h>
#include <string.h>

#include "load/http.h"

static int head(const char *s, struct scope__http_head *h)
{
    return scope__http_head_parse(s, strlen(s), h);
}

START_TEST(test_head_basic)
{
    struct scope__http_head h;
    const char *r = "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 100\r\n\r\nBODY";
    ck_assert_int_eq(head(r, &h), (int)(strstr(r, "BODY") - r));
    ck_assert_int_eq(h.status, 200);
    ck_assert_int_eq(h.content_length, 100);
    ck_assert_int_eq(h.chunked, 0);
    ck_assert_int_eq(h.close, 0);
    ck_assert_int_eq(scope__http_body_mode(&h, 0), SCOPE__BODY_LENGTH);
    ck_assert_int_eq(scope__http_body_mode(&h, 1), SCOPE__BODY_NONE);
    /* every prefix is incomplete, never an error */
    for (size_t i = 0; i < strlen(r) - 4; i++)
        ck_assert_int_eq(scope__http_head_parse(r, i, &h), 0);
    /* bare LF, no reason phrase, HTTP/1.0 closes */
    ck_assert_int_eq(head("HTTP/1.0 404\nContent-Length: 0\n\n", &h), 32);
    ck_assert_int_eq(h.status, 404);
    ck_assert_int_eq(h.close, 1);
    ck_assert_int_eq(scope__http_body_mode(&h, 0), SCOPE__BODY_NONE);
    ck_assert_int_gt(head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", &h), 0);
    ck_assert_int_eq(h.close, 0);
    ck_assert_int_eq(scope__http_body_mode(&h, 0), SCOPE__BODY_EOF);
    ck_assert_int_gt(head("HTTP/1.1 204 No Content\r\nConnection: keep-alive, CLOSE\r\n\r\n", &h), 0);
    ck_assert_int_eq(h.close, 1);
    ck_assert_int_eq(scope__http_body_mode(&h, 0), SCOPE__BODY_NONE);
    ck_assert_int_gt(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
                          "Content-Length: 5\r\n\r\n", &h), 0);
    ck_assert_int_eq(h.chunked, 1);
    ck_assert_int_eq(h.content_length, -1);
    ck_assert_int_eq(scope__http_body_mode(&h, 0), SCOPE__BODY_CHUNKED);
    ck_assert_int_gt(head("HTTP/1.1 100 Continue\r\n\r\n", &h), 0);
    ck_assert_int_eq(h.status, 100);
}
END_TEST

START_TEST(test_head_malformed)
{
    struct scope__http_head h;
    ck_assert_int_eq(head("HTTP/2 200 OK\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 20 OK\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 2000 OK\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nBad Header: 1\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", &h), -1);
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &h),
                     -1);
    ck_assert_int_eq(head("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", &h),
                     -1);
    ck_assert_int_eq(head("garbage\r\n\r\n", &h), -1);
    /* an endless head is refused once it passes the limit */
    static char big[SCOPE__HTTP_HEAD_MAX + 16];
    memset(big, 'a', sizeof big);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    ck_assert_int_eq(scope__http_head_parse(big, sizeof big, &h), -1);
}
END_TEST

static int feed_all(const char *s, size_t step, int64_t *body)
{
    struct scope__http_chunk c;
    memset(&c, 0, sizeof c);
    size_t len = strlen(s), have = 0, pos = 0;
    for (;;) {
        have = have + step < len ? have + step : len;
        size_t used;
        int r = scope__http_chunk_feed(&c, s + pos, have - pos, &used);
        pos += used;
        if (r)
            return *body = c.body, r == 1 ? (int)pos : -1;
        if (have == len)
            return 0;
    }
}

START_TEST(test_chunked)
{
    const char *s = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    int64_t body;
    for (size_t step = 1; step < 80; step++) {
        int n = feed_all(s, step, &body);
        ck_assert_msg(n == (int)(strstr(s, "NEXT") - s), "step %zu: %d", step, n);
        ck_assert_int_eq(body, 31);
    }
    ck_assert_int_eq(feed_all("0\r\n\r\n", 100, &body), 5);
    ck_assert_int_eq(body, 0);
    ck_assert_int_eq(feed_all("zz\r\n", 100, &body), -1);
    ck_assert_int_eq(feed_all("5\r\nhelloXX", 100, &body), -1);
    ck_assert_int_eq(feed_all("5 junk\r\nhello\r\n", 100, &body), -1);
    ck_assert_int_eq(feed_all("fffffffffffffffff\r\n", 100, &body), -1);
    ck_assert_int_eq(feed_all("5\r\nhel", 100, &body), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("load_http");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_head_basic);
    tcase_add_test(tc, test_head_malformed);
    tcase_add_test(tc, test_chunked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
