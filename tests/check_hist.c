/* Histogram tests: percentiles against exact percentiles of the same
 * samples, exact merges, lossless encodings and the interval log. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scope/scope.h"

/* A deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Log-uniform over 1 us .. 60 s in ns, the latency range that matters. */
static int64_t latency_sample(void)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    return (int64_t)(1000.0 * pow(6e7, u));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(test_percentiles_vs_exact)
{
    enum { N = 200000 };
    int64_t *v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    scope_hist *h;
    ck_assert_int_eq(scope_hist_new(&h, NULL), 0);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        v[i] = latency_sample();
        sum += (double)v[i];
        ck_assert_int_eq(scope_hist_record(h, v[i]), 0);
    }
    qsort(v, N, sizeof *v, cmp_i64);
    ck_assert_int_eq(scope_hist_count(h), N);
    const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        int64_t rank = (int64_t)(ps[k] / 100.0 * N + 0.5);
        if (rank < 1)
            rank = 1;
        int64_t exact = v[rank - 1];
        int64_t got = scope_hist_percentile(h, ps[k]);
        /* 3 significant digits: the reported value is the top of the bucket
         * holding the exact one, never below it and within 0.1 % above. */
        ck_assert_msg(got >= exact && (double)(got - exact) <= (double)exact * 1e-3,
                      "p%g: hist %lld exact %lld", ps[k], (long long)got, (long long)exact);
    }
    ck_assert_int_ge(scope_hist_max(h), v[N - 1]);
    ck_assert_int_le(scope_hist_max(h) - v[N - 1], v[N - 1] / 1000);
    ck_assert_int_le(scope_hist_min(h), v[0]);
    ck_assert_int_ge(scope_hist_min(h), v[0] - v[0] / 1000);
    double mean = sum / N;
    ck_assert_msg(fabs(scope_hist_mean(h) - mean) <= mean * 1e-3, "mean %f vs %f",
                  scope_hist_mean(h), mean);
    double var = 0;
    for (int i = 0; i < N; i++)
        var += ((double)v[i] - mean) * ((double)v[i] - mean);
    double sd = sqrt(var / N);
    ck_assert_msg(fabs(scope_hist_stdev(h) - sd) <= sd * 2e-3, "stdev %f vs %f",
                  scope_hist_stdev(h), sd);
    scope_hist_free(h);
    free(v);
}
END_TEST

START_TEST(test_small_values_exact)
{
    /* Below 2048 (one sub-bucket per unit) every value is exact. */
    scope_hist *h;
    ck_assert_int_eq(scope_hist_new(&h, NULL), 0);
    for (int64_t x = 1; x <= 2000; x++)
        scope_hist_record(h, x);
    ck_assert_int_eq(scope_hist_percentile(h, 50), 1000);
    ck_assert_int_eq(scope_hist_percentile(h, 99), 1980);
    ck_assert_int_eq(scope_hist_min(h), 1);
    ck_assert_int_eq(scope_hist_max(h), 2000);
    ck_assert_double_eq_tol(scope_hist_mean(h), 1000.5, 1e-9);
    ck_assert_int_eq(scope_hist_count_at(h, 1234), 1);
    /* 60 s in ns is trackable, one hour and one more ns is not. */
    ck_assert_int_eq(scope_hist_record(h, INT64_C(60000000000)), 0);
    ck_assert_int_eq(scope_hist_record(h, INT64_C(3600000000001)), SCOPE_EINVAL);
    ck_assert_int_eq(scope_hist_record(h, -1), SCOPE_EINVAL);
    ck_assert_int_eq(scope_hist_overflow(h), 2);
    ck_assert_int_eq(scope_hist_count(h), 2001);
    int64_t hi = scope_hist_max(h);
    ck_assert_int_ge(hi, INT64_C(60000000000));
    ck_assert_int_le(hi, INT64_C(60000000000) + INT64_C(60000000));
    scope_hist_free(h);
}
END_TEST

START_TEST(test_corrected)
{
    scope_hist *h;
    ck_assert_int_eq(scope_hist_new(&h, NULL), 0);
    /* A 100 ms stall with 10 ms expected interval: 100, 90, ..., 10. */
    ck_assert_int_eq(scope_hist_record_corrected(h, 100000000, 10000000), 0);
    ck_assert_int_eq(scope_hist_count(h), 10);
    ck_assert_int_eq(scope_hist_lowest_equivalent(h, scope_hist_min(h)),
                     scope_hist_lowest_equivalent(h, 10000000));
    scope_hist_free(h);
}
END_TEST

struct shard {
    scope_hist *h;
    const int64_t *v;
    size_t n;
};

static void *record_shard(void *arg)
{
    struct shard *s = arg;
    for (size_t i = 0; i < s->n; i++)
        scope_hist_record(s->h, s->v[i]);
    return NULL;
}

START_TEST(test_merge_exact)
{
    enum { N = 100000, T = 4 };
    int64_t *v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int i = 0; i < N; i++)
        v[i] = latency_sample();
    scope_hist *all;
    ck_assert_int_eq(scope_hist_new(&all, NULL), 0);
    for (int i = 0; i < N; i++)
        scope_hist_record(all, v[i]);
    struct shard sh[T];
    pthread_t th[T];
    for (int t = 0; t < T; t++) {
        ck_assert_int_eq(scope_hist_new(&sh[t].h, NULL), 0);
        sh[t].v = v + (size_t)t * N / T;
        sh[t].n = N / T;
        ck_assert_int_eq(pthread_create(&th[t], NULL, record_shard, &sh[t]), 0);
    }
    scope_hist *merged;
    ck_assert_int_eq(scope_hist_new(&merged, NULL), 0);
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        ck_assert_int_eq(scope_hist_add(merged, sh[t].h), 0);
    }
    ck_assert(scope_hist_equal(merged, all));
    ck_assert_int_eq(scope_hist_max(merged), scope_hist_max(all));
    ck_assert_int_eq(scope_hist_min(merged), scope_hist_min(all));
    ck_assert_double_eq(scope_hist_mean(merged), scope_hist_mean(all));
    /* Subtracting the shards back gives an empty histogram. */
    for (int t = 0; t < T; t++)
        ck_assert_int_eq(scope_hist_subtract(merged, sh[t].h), 0);
    ck_assert_int_eq(scope_hist_count(merged), 0);
    ck_assert_int_eq(scope_hist_subtract(merged, sh[0].h), SCOPE_EINVAL);
    for (int t = 0; t < T; t++)
        scope_hist_free(sh[t].h);
    scope_hist_free(merged);
    scope_hist_free(all);
    free(v);
}
END_TEST

START_TEST(test_encode_roundtrip)
{
    scope_hist *h, *d;
    ck_assert_int_eq(scope_hist_new(&h, NULL), 0);
    for (int i = 0; i < 50000; i++)
        scope_hist_record(h, latency_sample());
    scope_hist_record_n(h, 0, 3);
    void *bin;
    size_t n;
    ck_assert_int_eq(scope_hist_encode(&bin, &n, h), 0);
    ck_assert_int_eq(scope_hist_decode(&d, bin, n), 0);
    ck_assert(scope_hist_equal(h, d));
    ck_assert_int_eq(scope_hist_min(d), 0);
    scope_hist_free(d);
    /* Truncation and corruption are refused with EPARSE, nothing leaks. */
    ck_assert_int_eq(scope_hist_decode(&d, bin, n / 2), SCOPE_EPARSE);
    ck_assert_ptr_null(d);
    ((unsigned char *)bin)[0] ^= 0xff;
    ck_assert_int_eq(scope_hist_decode(&d, bin, n), SCOPE_EPARSE);
    ck_assert(strstr(scope_error_message(), "cookie") != NULL);
    scope_hist_buf_free(bin);
    char *text;
    ck_assert_int_eq(scope_hist_encode_base64(&text, h), 0);
    ck_assert_int_eq(strncmp(text, "HISTF", 5), 0);
    ck_assert_int_eq(scope_hist_decode_base64(&d, text, strlen(text)), 0);
    ck_assert(scope_hist_equal(h, d));
    scope_hist_free(d);
    text[10] = '*';
    ck_assert_int_eq(scope_hist_decode_base64(&d, text, strlen(text)), SCOPE_EPARSE);
    scope_hist_buf_free(text);
    /* Empty histograms round-trip too. */
    scope_hist_reset(h);
    ck_assert_int_eq(scope_hist_encode(&bin, &n, h), 0);
    ck_assert_int_eq(scope_hist_decode(&d, bin, n), 0);
    ck_assert_int_eq(scope_hist_count(d), 0);
    ck_assert(scope_hist_equal(h, d));
    scope_hist_buf_free(bin);
    scope_hist_free(d);
    scope_hist_free(h);
}
END_TEST

/* A plain V2 encoding built by hand from the format description: values
 * 1 (x2) and 3 (x1) in a 1..3.6e12 3-digit histogram. */
/* Freed counts arrays are reused (a process-wide cache in non-sanitizer
 * builds): every new histogram must still start empty, whatever its
 * predecessors held, including one whose decoding failed after it had
 * written counts, and one emptied by reset or subtract. */
START_TEST(test_reused_counts_start_empty)
{
    static const int64_t probe[] = {0, 1, 3, 1000, 123456, 99999999, 3000000000000LL};
    const size_t np = sizeof probe / sizeof probe[0];
    for (int round = 0; round < 64; round++) {
        scope_hist *h, *d = NULL;
        ck_assert_int_eq(scope_hist_new(&h, NULL), 0);
        ck_assert_int_eq(scope_hist_count(h), 0);
        for (size_t i = 0; i < np; i++)
            ck_assert_int_eq(scope_hist_count_at(h, probe[i]), 0);
        for (size_t i = 0; i < np; i++)
            ck_assert_int_eq(scope_hist_record_n(h, probe[i] + round, 1 + (int64_t)i), 0);
        switch (round % 4) {
        case 1: /* a copy freed with the original */
            ck_assert_int_eq(scope_hist_dup(&d, h), 0);
            ck_assert_int_eq(scope_hist_count(d), scope_hist_count(h));
            break;
        case 2: /* emptied, then freed */
            scope_hist_reset(h);
            ck_assert_int_eq(scope_hist_count_at(h, probe[np - 1] + round), 0);
            break;
        case 3: /* emptied by subtracting a snapshot */
            ck_assert_int_eq(scope_hist_dup(&d, h), 0);
            ck_assert_int_eq(scope_hist_subtract(h, d), 0);
            ck_assert_int_eq(scope_hist_count(h), 0);
            break;
        default: {
            /* a V2 payload that writes counts (value 1 twice, value 3 once),
             * then ends inside a number */
            unsigned char b[64] = {0x1c, 0x84, 0x93, 0x13, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3};
            b[23] = 1;
            uint64_t hi = 3600000000000ull;
            for (int i = 0; i < 8; i++)
                b[24 + i] = (unsigned char)(hi >> (56 - 8 * i));
            b[32] = 0x3f, b[33] = 0xf0;
            b[40] = 1, b[41] = 4, b[42] = 1, b[43] = 2, b[44] = 0x80;
            scope_hist *bad = NULL;
            ck_assert_int_eq(scope_hist_decode(&bad, b, 45), SCOPE_EPARSE);
            ck_assert_ptr_null(bad);
            break;
        }
        }
        scope_hist_free(d);
        scope_hist_free(h);
        /* more at once than the cache holds: every cached array comes back */
        scope_hist *many[24];
        for (int k = 0; k < 24; k++) {
            ck_assert_int_eq(scope_hist_new(&many[k], NULL), 0);
            for (size_t i = 0; i < np; i++)
                ck_assert_int_eq(scope_hist_count_at(many[k], probe[i] + round), 0);
            ck_assert_int_eq(scope_hist_count_at(many[k], 3), 0);
        }
        for (int k = 0; k < 24; k++)
            scope_hist_free(many[k]);
    }
}
END_TEST

START_TEST(test_decode_handmade)
{
    unsigned char b[64] = {0x1c, 0x84, 0x93, 0x13, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3};
    b[23] = 1;                                 /* lowest = 1 */
    uint64_t hi = 3600000000000ull;
    for (int i = 0; i < 8; i++)
        b[24 + i] = (unsigned char)(hi >> (56 - 8 * i));
    b[32] = 0x3f, b[33] = 0xf0;                /* 1.0 */
    b[40] = 1;                                 /* zigzag(-1): one zero bucket (value 0) */
    b[41] = 4;                                 /* zigzag(2): value 1 twice */
    b[42] = 1;                                 /* one zero (value 2) */
    b[43] = 2;                                 /* zigzag(1): value 3 once */
    scope_hist *d;
    ck_assert_int_eq(scope_hist_decode(&d, b, 44), 0);
    ck_assert_int_eq(scope_hist_count(d), 3);
    ck_assert_int_eq(scope_hist_count_at(d, 1), 2);
    ck_assert_int_eq(scope_hist_count_at(d, 3), 1);
    ck_assert_int_eq(scope_hist_max(d), 3);
    scope_hist_free(d);
}
END_TEST

/* Interchange: a histogram encoded by hdr-histogram-js (see the fixture's
 * README) decodes to the same buckets as recording the same values here. */
START_TEST(test_decode_foreign)
{
    const char *dir = getenv("SCOPE_FIXTURES");
    ck_assert_ptr_nonnull(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/hist/hdrjs-50000.b64", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    scope_hist *d, *mine;
    ck_assert_int_eq(scope_hist_decode_base64(&d, text, n), 0);
    ck_assert_int_eq(scope_hist_count(d), 50000);
    ck_assert_int_eq(scope_hist_percentile(d, 50), 4952063);
    ck_assert_int_eq(scope_hist_percentile(d, 99), 9904127);
    ck_assert_int_eq(scope_hist_percentile(d, 99.9), 9994239);
    ck_assert_int_eq(scope_hist_max(d), 10002431);
    ck_assert_double_eq_tol(scope_hist_mean(d), 4969244.681, 1e-3);
    ck_assert_int_eq(scope_hist_new(&mine, NULL), 0);
    for (int64_t i = 0; i < 50000; i++)
        scope_hist_record(mine, 1 + (i * 7919) % 10000000);
    ck_assert(scope_hist_equal(d, mine));
    scope_hist_free(d);
    scope_hist_free(mine);
}
END_TEST

START_TEST(test_log_roundtrip)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    scope_hist *h[3];
    int64_t base = INT64_C(1700000000) * 1000000000;
    ck_assert_int_eq(scope_hist_log_header(f, base), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(scope_hist_new(&h[i], NULL), 0);
        for (int k = 0; k < 1000 * (i + 1); k++)
            scope_hist_record(h[i], latency_sample());
        ck_assert_int_eq(scope_hist_log_write(f, i == 1 ? "search" : NULL,
                                              (int64_t)i * 1000000000, 1000000000, h[i]), 0);
    }
    ck_assert_int_eq(scope_hist_log_write(f, "bad,tag", 0, 1, h[0]), SCOPE_EINVAL);
    fclose(f);
    ck_assert(strstr(buf, "#[Histogram log format version 1.3]") != NULL);
    ck_assert(strstr(buf, "Tag=search,1.000,1.000,") != NULL);
    f = fmemopen(buf, len, "r");
    double base_s = 0, st, ln;
    char tag[32];
    for (int i = 0; i < 3; i++) {
        scope_hist *d;
        ck_assert_int_eq(scope_hist_log_read(&d, f, tag, sizeof tag, &st, &ln, &base_s), 1);
        ck_assert_str_eq(tag, i == 1 ? "search" : "");
        ck_assert_double_eq_tol(st, 1700000000.0 + i, 1e-3);
        ck_assert_double_eq_tol(ln, 1.0, 1e-9);
        ck_assert(scope_hist_equal(d, h[i]));
        scope_hist_free(d);
    }
    scope_hist *d;
    ck_assert_int_eq(scope_hist_log_read(&d, f, tag, sizeof tag, &st, &ln, &base_s), 0);
    fclose(f);
    /* A malformed line is reported with its text. */
    const char *bad = "0.000,1.000,notbase64\n";
    f = fmemopen((void *)bad, strlen(bad), "r");
    ck_assert_int_eq(scope_hist_log_read(&d, f, NULL, 0, NULL, NULL, &base_s), SCOPE_EPARSE);
    fclose(f);
    for (int i = 0; i < 3; i++)
        scope_hist_free(h[i]);
    free(buf);
}
END_TEST

START_TEST(test_print_and_opts)
{
    scope_hist *h;
    scope_hist_opts o = SCOPE_HIST_OPTS_INIT;
    o.sigfigs = 6;
    ck_assert_int_eq(scope_hist_new(&h, &o), SCOPE_EINVAL);
    o.sigfigs = 2;
    o.highest = 1000000;
    ck_assert_int_eq(scope_hist_new(&h, &o), 0);
    for (int i = 1; i <= 1000; i++)
        scope_hist_record(h, i * 1000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(scope_hist_print(f, h, 1000.0, 0), 0);
    fclose(f);
    ck_assert(strstr(buf, "Total count    =         1000") != NULL);
    ck_assert(strstr(buf, "1.000000000000       1000") != NULL);
    free(buf);
    /* Merging into a different layout re-records values. */
    scope_hist *big;
    ck_assert_int_eq(scope_hist_new(&big, NULL), 0);
    ck_assert_int_eq(scope_hist_add(big, h), 0);
    ck_assert_int_eq(scope_hist_count(big), 1000);
    scope_hist_free(big);
    scope_hist_free(h);
}
END_TEST

/* fuzz_hist: a decoded header with a lowest value near INT64_MAX overflowed
 * "2 * lowest" (UBSan) before the range check rejected it. */
START_TEST(test_decode_huge_lowest)
{
    static const char b64[] = "HISTEwAAAAAchJMUAAAAAWkAVHRTYXRybWVhLCwsLO+GdCpzbQsLCwsLCwH/";
    scope_hist *h = NULL;
    ck_assert_int_eq(scope_hist_decode_base64(&h, b64, sizeof b64 - 1), SCOPE_EPARSE);
    ck_assert_ptr_null(h);
    /* a zero-run of -2^63 (negating it overflowed) */
    static const char b64b[] =
        "HISTEwAAABwAhJMUAAAAAQBTU1NTU7FTU1NTU1NTU1NTU1NTU/////////////////////9TU1NTU1NTU1NTU1NTU1"
        "NTU1NTU1NTU1NTU1NTFBQUFBT//////////xQUU////xyEkxMAf///////////c///bQsLCwv/";
    ck_assert_int_eq(scope_hist_decode_base64(&h, b64b, sizeof b64b - 1), SCOPE_EPARSE);
    ck_assert_ptr_null(h);
    /* a valid histogram up to ~INT64_MAX: the top bucket's highest
     * equivalent value saturates instead of overflowing */
    static const char b64c[] = "HISTEwAAABwAhJMUAAAAAQBTLS0tLS1TdGFydFRpbS0tLS0tvC0QEBAQEBAQEBAQEBAQ"
                               "EBAQEBAxKzE0hBAQEBAQEBAQEBAQEBATAAAAHACEAF9fX19f/w==";
    if (scope_hist_decode_base64(&h, b64c, sizeof b64c - 1) == 0) {
        ck_assert_int_le(scope_hist_percentile(h, 100.0), INT64_MAX);
        ck_assert_int_ge(scope_hist_highest_equivalent(h, scope_hist_max(h)),
                         scope_hist_max(h));
        scope_hist_mean(h);
        scope_hist_stdev(h);
        scope_hist_free(h);
        h = NULL;
    }
    scope_hist_opts o = SCOPE_HIST_OPTS_INIT;
    o.lowest = INT64_MAX / 2 + 1;
    o.highest = INT64_MAX;
    ck_assert_int_eq(scope_hist_new(&h, &o), SCOPE_EINVAL);
    ck_assert_msg(strstr(scope_error_message(), "twice lowest"), "%s", scope_error_message());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("hist");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_percentiles_vs_exact);
    tcase_add_test(tc, test_small_values_exact);
    tcase_add_test(tc, test_corrected);
    tcase_add_test(tc, test_merge_exact);
    tcase_add_test(tc, test_encode_roundtrip);
    tcase_add_test(tc, test_decode_handmade);
    tcase_add_test(tc, test_reused_counts_start_empty);
    tcase_add_test(tc, test_decode_foreign);
    tcase_add_test(tc, test_log_roundtrip);
    tcase_add_test(tc, test_print_and_opts);
    tcase_add_test(tc, test_decode_huge_lowest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
