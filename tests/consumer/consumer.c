/* A program outside the tree: finds libscope with pkg-config, records its
 * own process for 50 ms and prints the Prometheus text. */
#include <scope/scope.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    if (scope_version_number() < SCOPE_VERSION_NUMBER_OF(0, 1, 0))
        return 1;
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 10000000;
    o.duration_ns = 50000000;
    scope_recorder *r;
    scope_collector *c;
    if (scope_recorder_new(&r, &o) || scope_proc_open(&c, getpid(), NULL) ||
        scope_recorder_add(r, c) || scope_recorder_start(r) || scope_recorder_wait(r)) {
        fprintf(stderr, "consumer: %s\n", scope_error_message());
        return 1;
    }
    int rc = scope_export_write(scope_recorder_series(r), SCOPE_EXPORT_PROMETHEUS, stdout, NULL);
    scope_recorder_free(r);
    scope_collector_free(c);
    return rc ? 1 : 0;
}
