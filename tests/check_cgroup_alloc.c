/* The cgroup collector's sampling path allocates nothing: malloc, calloc
 * and realloc are wrapped at link time (-Wl,--wrap) and counted while the
 * collector's sample op runs over the fixture nodes (every group of files:
 * CPU, memory, per-device I/O, network, pids, PSI) and over a live cgroup.
 * (Allocations made inside libc itself, as by fopen or strdup, are not seen
 * by the wrap; the sampling path calls only pread and pure parsers.) */
#include "cgroup/cgroup_int.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
static int counting;
static long allocs;
void *__wrap_malloc(size_t n)
{
    allocs += counting;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
    allocs += counting;
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
    allocs += counting;
    return __real_realloc(p, n);
}

static void check_tree(const char *root, const char *spec, int depth, int reopen)
{
    scope_cgroup_mounts *m;
    ck_assert_int_eq(scope_cgroup_mounts_new(&m, root), 0);
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.per_device = 1;
    o.depth = depth;
    o.reopen = reopen;
    scope_collector *c;
    ck_assert_int_eq(scope_cgroup_open(&c, m, spec, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    ck_assert_uint_gt(c->nslots, 0);
    /* the wrap is live, for the library's own objects too */
    counting = 1;
    allocs = 0;
    char *volatile p = scope__strndup("x", 1);
    free(p);
    counting = 0;
    ck_assert_int_eq(allocs, 1);
    allocs = 0;
    counting = 1;
    size_t put = 0;
    int rcs = 0; /* no ck_assert while counting: Check allocates in them */
    for (int i = 0; i < 20; i++) {
        memset(c->present, 0, c->nslots);
        rcs |= c->ops->sample(c, 1000 + i);
        for (size_t s = 0; s < c->nslots; s++)
            put += c->present[s];
    }
    counting = 0;
    ck_assert_int_eq(rcs, 0);
    ck_assert_msg(allocs == 0, "%ld allocations while sampling %s", allocs, spec);
    ck_assert_uint_eq(put, 20 * c->nslots); /* and every series got its value */
    scope_collector_free(c);
    scope_cgroup_mounts_free(m);
}

START_TEST(no_alloc_fixtures)
{
    char root[4096];
    const char *base = getenv("SCOPE_FIXTURES");
    ck_assert_ptr_nonnull(base);
    snprintf(root, sizeof root, "%s/cgroup/k8s-systemd-v2", base);
    check_tree(root, "pod:44cd44dc-8a63-406f-80d5-c3078b7c8541", 1, 0);
    check_tree(root, "pod:44cd44dc-8a63-406f-80d5-c3078b7c8541", 1, 1);
    snprintf(root, sizeof root, "%s/cgroup/v1-cgroupfs", base);
    check_tree(root, "container:f44210e4c0ffee00112233445566778899aabbccddeeff001122334455667788",
               0, 0);
    check_tree(root, "container:f44210e4c0ffee00112233445566778899aabbccddeeff001122334455667788",
               0, 1);
}
END_TEST

START_TEST(no_alloc_live)
{
    scope_cgroup_mounts *m;
    if (scope_cgroup_mounts_new(&m, NULL)) {
        printf("no_alloc_live: skipped, no cgroup mounted\n");
        return;
    }
    char spec[64];
    snprintf(spec, sizeof spec, "pid:%d", (int)getpid());
    scope_cgroup_mounts_free(m);
    check_tree(NULL, spec, 0, 0);
    check_tree(NULL, spec, 0, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cgroup_alloc");
    TCase *t = tcase_create("alloc");
    tcase_add_test(t, no_alloc_fixtures);
    tcase_add_test(t, no_alloc_live);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
