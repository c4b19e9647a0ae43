# Foundation tests: core, series, collector machinery + process collector,
# recorder, exporters; and the build-level checks (headers, exports, consumer).
scope_add_check(check_core SOURCES check_core.c LABELS unit)
scope_add_check(check_series SOURCES check_series.c LABELS unit)
scope_add_check(check_proc SOURCES check_proc.c LABELS unit)
scope_add_check(check_recorder SOURCES check_recorder.c LABELS unit)
scope_add_check(check_export SOURCES check_export.c LABELS unit)
scope_add_check(check_exporter SOURCES check_exporter.c LABELS unit)
scope_add_check(check_internal_core SOURCES check_internal_core.c LABELS unit INTERNAL)

add_test(NAME headers COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/headers/check_headers.sh
  ${CMAKE_C_COMPILER} ${CMAKE_CXX_COMPILER} ${PROJECT_SOURCE_DIR}/include)
set_tests_properties(headers PROPERTIES LABELS "headers")

add_test(NAME exports COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/abi/check_exports.sh
  $<TARGET_FILE:scope> ${PROJECT_BINARY_DIR}/libscope.map ${PROJECT_SOURCE_DIR}/include/scope)
set_tests_properties(exports PROPERTIES LABELS "abi")

add_test(NAME consumer COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.sh
  ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER})
set_tests_properties(consumer PROPERTIES LABELS "abi;nosan" TIMEOUT 300)

# The example a user runs first: output checked against the workload it ran
# (a command that sleeps has ~no CPU and its pid in the summary).
add_test(NAME example_scope_record COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/examples/scope_record.sh
  $<TARGET_FILE:scope-record>)
set_tests_properties(example_scope_record PROPERTIES LABELS "unit" TIMEOUT 120)

# Examples must be valgrind-clean: no errors, nothing definitely lost.
find_program(VALGRIND valgrind)
if(VALGRIND)
  add_test(NAME valgrind_scope_record COMMAND ${VALGRIND} --quiet --error-exitcode=99
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --trace-children=no $<TARGET_FILE:scope-record> -I 20 -t -o /dev/null -- sleep 0.3)
  set_tests_properties(valgrind_scope_record PROPERTIES LABELS "unit;nosan" TIMEOUT 300)
endif()

# Integration: Debian's prometheus scrapes scope-exporter (loopback, free
# ports, bounded, stopped by PID).
add_test(NAME integration_exporter_prometheus
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/exporter_prometheus.py
          $<TARGET_FILE:scope-exporter> $<TARGET_FILE:scope-prom>)
set_tests_properties(integration_exporter_prometheus PROPERTIES LABELS "integration" TIMEOUT 120)

# The ABI against the committed baseline (abidiff; see abi/check_abi.sh).
add_test(NAME abi COMMAND ${PROJECT_SOURCE_DIR}/abi/check_abi.sh $<TARGET_FILE:scope>)
set_tests_properties(abi PROPERTIES LABELS "abi;nosan" TIMEOUT 300)

# scope-run end to end: the demo (nginx direct vs proxy in cgroups) and two
# load nodes in two network namespaces merged (root: cgroups, ip netns).
add_test(NAME integration_scope_run
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/scope_run.py
          $<TARGET_FILE:scope-run>)
set_tests_properties(integration_scope_run PROPERTIES LABELS "integration;privileged" TIMEOUT 400)

# No padding in any size-tagged public struct (options and stats).
add_test(NAME opts_padding COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/headers/opts_padding.py
  ${CMAKE_C_COMPILER} ${PROJECT_SOURCE_DIR}/include)
set_tests_properties(opts_padding PROPERTIES LABELS "headers")

# The README's examples compile and run.
add_test(NAME readme_examples COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/readme/check_readme.sh
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER})
set_tests_properties(readme_examples PROPERTIES LABELS "unit;nosan" TIMEOUT 120)
