# Hardening (issue 10): fault injection against a misbehaving loopback
# server, resource faults, examples under valgrind, security checks.
scope_add_check(check_faults SOURCES check_faults.c LABELS integration TIMEOUT 120)
