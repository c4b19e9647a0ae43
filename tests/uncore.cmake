# Uncore area: discovery, bandwidth plans and arithmetic against fixture
# sysfs trees (tests/fixtures/uncore, built by make_fixtures.sh).
scope_add_check(check_uncore SOURCES check_uncore.c LABELS unit fixture INTERNAL TIMEOUT 60)
# resctrl against a fake resctrl tree copied to a temporary directory.
scope_add_check(check_resctrl SOURCES check_resctrl.c LABELS unit fixture INTERNAL TIMEOUT 60)
