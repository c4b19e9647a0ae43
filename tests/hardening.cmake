# Hardening (issue 10): fault injection against a misbehaving loopback
# server, resource faults, examples under valgrind, security checks.
scope_add_check(check_faults SOURCES check_faults.c LABELS integration TIMEOUT 120)
# Allocation failure (malloc/calloc/realloc wrapped in this executable only)
# and running out of descriptors.
scope_add_check(check_resources SOURCES check_resources.c LABELS "unit;fixture" INTERNAL TIMEOUT 300)
target_link_options(check_resources PRIVATE
  "LINKER:--wrap=malloc" "LINKER:--wrap=calloc" "LINKER:--wrap=realloc")
# Examples under valgrind memcheck (short bounded runs; loopback servers
# started by the script). scope-record's own run is in tests/core.cmake.
add_executable(fault_serve fault_serve.c)
target_compile_definitions(fault_serve PRIVATE _GNU_SOURCE)
scope_warnings(fault_serve)
target_include_directories(fault_serve PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(fault_serve PRIVATE Threads::Threads)
find_program(VALGRIND valgrind)
if(VALGRIND AND TARGET scope-load AND TARGET scope-prom AND TARGET scope-toplev)
  add_test(NAME valgrind_examples COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/valgrind_examples.sh
    ${VALGRIND} $<TARGET_FILE_DIR:scope-load> $<TARGET_FILE:fault_serve> ${PROJECT_SOURCE_DIR})
  set_tests_properties(valgrind_examples PROPERTIES LABELS "integration;nosan" TIMEOUT 600)
endif()
# Security: safe file modes and no link following, resctrl names, and a
# library that never runs a shell (imports of the built .so and sources).
scope_add_check(check_security SOURCES check_security.c LABELS unit INTERNAL TIMEOUT 60)
add_test(NAME no_shell COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/no_shell.sh $<TARGET_FILE:scope>
  ${PROJECT_SOURCE_DIR})
set_tests_properties(no_shell PROPERTIES LABELS "unit" TIMEOUT 60)
