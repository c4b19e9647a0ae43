# Prometheus client: parser/unit suite (no network but loopback port 1), and
# the integration suite against a real prometheus started by the test.
scope_add_check(check_prom SOURCES check_prom.c LABELS unit INTERNAL TIMEOUT 120)
