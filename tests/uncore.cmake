# Uncore area: discovery, bandwidth plans and arithmetic against fixture
# sysfs trees (tests/fixtures/uncore, built by make_fixtures.sh).
scope_add_check(check_uncore SOURCES check_uncore.c LABELS unit fixture INTERNAL TIMEOUT 60)
# resctrl against a fake resctrl tree copied to a temporary directory.
scope_add_check(check_resctrl SOURCES check_resctrl.c LABELS unit fixture INTERNAL TIMEOUT 60)
# scope-membw end to end (the clear failure here, --list --json on fixtures,
# the table on the loopback tree).
if(TARGET scope-membw)
  add_test(NAME membw_example COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_membw.py
           $<TARGET_FILE:scope-membw>)
  set_tests_properties(membw_example PROPERTIES LABELS "integration;fixture" TIMEOUT 120
    ENVIRONMENT "${SCOPE_TEST_ENV}")
endif()
