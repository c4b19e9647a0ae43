/* The /metrics endpoint, fetched with a plain socket client. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <scope/scope.h>

/* GET @path from 127.0.0.1:@port with HTTP/1.0; returns the whole response. */
static char *get(int port, const char *method, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while ((r = read(fd, buf + len, cap - len - 1)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(fd);
    return buf;
}

START_TEST(serves_published_page)
{
    scope_exporter *e;
    ck_assert_int_eq(scope_exporter_open(&e, NULL), 0);
    int port = scope_exporter_port(e);
    ck_assert_int_gt(port, 0);
    char *r = get(port, "GET", "/metrics");
    ck_assert_ptr_nonnull(strstr(r, "HTTP/1.0 200") ? r : strstr(r, "HTTP/1.1 200"));
    ck_assert_ptr_nonnull(strstr(r, "text/plain; version=0.0.4"));
    free(r);

    scope_series_set *set;
    scope_series_set_new(&set);
    const char *k[1] = {"cgroup"}, *v[1] = {"/kubepods/pod1"};
    scope_series *s;
    scope_series_set_add(&s, set, "container_cpu_usage_seconds_total", k, v, 1, "seconds",
                         SCOPE_COUNTER, "CPU");
    scope_series_append(s, 1000, 1.25);
    scope_series_append(s, 2000, 2.5);
    ck_assert_int_eq(scope_exporter_publish(e, set), 0);
    char *expect;
    scope_export_buffer(&expect, NULL, set, SCOPE_EXPORT_PROMETHEUS, NULL);
    r = get(port, "GET", "/metrics");
    char *body = strstr(r, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body + 4, expect);
    ck_assert_ptr_nonnull(strstr(body, "container_cpu_usage_seconds_total{cgroup=\"/kubepods/pod1\"} 2.5\n"));
    free(r);
    scope_buffer_free(expect);
    r = get(port, "GET", "/other");
    ck_assert_ptr_nonnull(strstr(r, " 404 "));
    free(r);
    r = get(port, "POST", "/metrics");
    ck_assert_ptr_nonnull(strstr(r, " 405 "));
    free(r);
    ck_assert_uint_eq(scope_exporter_scrape_count(e), 2);

    /* The port is taken now: a second exporter on it fails clearly. */
    scope_exporter_opts o = SCOPE_EXPORTER_OPTS_INIT;
    o.port = port;
    scope_exporter *e2;
    ck_assert_int_eq(scope_exporter_open(&e2, &o), SCOPE_EEXIST);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "in use"));
    o.port = 0;
    o.address = "not-an-address";
    ck_assert_int_eq(scope_exporter_open(&e2, &o), SCOPE_EINVAL);
    o.address = "::1";
    ck_assert_int_eq(scope_exporter_open(&e2, &o), 0);
    ck_assert_int_gt(scope_exporter_port(e2), 0);
    scope_exporter_free(e2);
    o.address = NULL;
    o.port = 70000;
    ck_assert_int_eq(scope_exporter_open(&e2, &o), SCOPE_EINVAL);
    scope_series_set_free(set);
    scope_exporter_free(e);
    scope_exporter_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exporter");
    TCase *t = tcase_create("exporter");
    tcase_add_test(t, serves_published_page);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
