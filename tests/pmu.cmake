# PMU area: parsing against sysfs fixture trees (internal helpers) and live
# software-event counting on this machine.
scope_add_check(check_pmu SOURCES check_pmu.c LABELS unit fixture INTERNAL TIMEOUT 60)
set_property(TEST check_pmu APPEND PROPERTY ENVIRONMENT "LIBPFM_ENCODE_INACTIVE=1")
# Live software-event counting (perf stat, schedstat, cgroup cpu.stat
# agreement); uses fork, a cgroup it creates and removes, and perf when
# installed.
scope_add_check(check_pmu_live SOURCES check_pmu_live.c LABELS integration TIMEOUT 120)
# The two example programs end to end.
add_test(NAME pmu_examples COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_pmu_examples.py
         ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}/tests/fixtures)
set_tests_properties(pmu_examples PROPERTIES LABELS "integration" TIMEOUT 120
                     ENVIRONMENT "${SCOPE_TEST_ENV}")
