/* Internal helpers: option copying, kernel text parsing, buffers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Public opts structs never have padding (see docs/conventions.md): a
 * caller's padding bytes are not guaranteed zero and would be read as the
 * next version's fields. */
struct v1 {
    size_t size;
    int32_t a;
    int32_t a2;
};
struct v2 {
    size_t size;
    int32_t a;
    int32_t b;
    int64_t c;
};

START_TEST(opts_copy_rules)
{
    struct v2 dst;
    ck_assert_int_eq(scope__opts_copy(&dst, NULL, sizeof dst, "v2"), 0);
    ck_assert_uint_eq(dst.size, sizeof dst);
    ck_assert_int_eq(dst.a, 0);
    struct v1 old = {sizeof old, 7, 0};
    ck_assert_int_eq(scope__opts_copy(&dst, &old, sizeof dst, "v2"), 0);
    ck_assert_int_eq(dst.a, 7);
    ck_assert_int_eq(dst.b, 0); /* v2's b is v1's a2 */
    ck_assert_int_eq(dst.c, 0);
    struct v2 newer = {sizeof newer, 1, 2, 3};
    struct v1 small;
    ck_assert_int_eq(scope__opts_copy(&small, &newer, sizeof small, "v1"), SCOPE_EINVAL);
    newer.b = 0;
    newer.c = 0;
    ck_assert_int_eq(scope__opts_copy(&small, &newer, sizeof small, "v1"), 0);
    ck_assert_int_eq(small.a, 1);
    struct v1 zero = {0, 5, 0};
    ck_assert_int_eq(scope__opts_copy(&dst, &zero, sizeof dst, "v2"), SCOPE_EINVAL);
}
END_TEST

START_TEST(kv_parsing)
{
    const char *t = "usage_usec 12345\nuser_usec 10\nsystem_usec 99\n"
                    "nr_throttled 18446744073709551615\nbad x\nvoluntary_ctxt_switches:\t42\n";
    uint64_t v;
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "usage_usec", &v), 0);
    ck_assert_uint_eq(v, 12345);
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "system_usec", &v), 0);
    ck_assert_uint_eq(v, 99);
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "user", &v), -1); /* prefix is not a key */
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "nr_throttled", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "bad", &v), -1);
    ck_assert_int_eq(scope__kv_u64(t, strlen(t), "voluntary_ctxt_switches", &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(scope__kv_u64(t, 10, "user_usec", &v), -1); /* bounded by len */
    /* Found by fuzz_proc_stat: a key with ":" and nothing after it, at the
     * very end of an unterminated buffer, was read one byte past the end. */
    char *edge = malloc(11);
    memcpy(edge, "usage_usec:", 11);
    ck_assert_int_eq(scope__kv_u64(edge, 11, "usage_usec", &v), -1);
    free(edge);
    const char *o = "18446744073709551616";
    const char *p = o;
    ck_assert_int_eq(scope__parse_u64(&p, o + strlen(o), &v), -1); /* overflow */
}
END_TEST

START_TEST(buffers)
{
    scope__buf b = {0};
    for (int i = 0; i < 1000; i++)
        scope__buf_printf(&b, "%d,", i);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    scope__buf_printf(&b, "%s", big);
    ck_assert_int_eq(b.failed, 0);
    ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
    ck_assert_uint_eq(b.len, strlen(b.data));
    ck_assert_uint_eq(b.len, 3890 + 599);
    scope__buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("internal_core");
    TCase *t = tcase_create("internal_core");
    tcase_add_test(t, opts_copy_rules);
    tcase_add_test(t, kv_parsing);
    tcase_add_test(t, buffers);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
