# Foundation tests: core, series, collector machinery + process collector,
# recorder, exporters; and the build-level checks (headers, exports, consumer).
scope_add_check(check_core SOURCES check_core.c LABELS unit)
scope_add_check(check_series SOURCES check_series.c LABELS unit)
scope_add_check(check_proc SOURCES check_proc.c LABELS unit)
scope_add_check(check_recorder SOURCES check_recorder.c LABELS unit)
scope_add_check(check_export SOURCES check_export.c LABELS unit)
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
