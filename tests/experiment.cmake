# The examples' JSON inputs (examples/common/experiment.c: scope-run's
# experiment file, scope-load's --mix), also fuzzed by fuzz/fuzz_experiment.c;
# the fuzz target's regression inputs live in tests/fixtures/fuzz/experiment.
pkg_check_modules(JANSSON_T QUIET IMPORTED_TARGET jansson)
if(JANSSON_T_FOUND)
  scope_add_check(check_experiment SOURCES check_experiment.c
    ${PROJECT_SOURCE_DIR}/examples/common/experiment.c LABELS "unit;fixture" TIMEOUT 60)
  target_include_directories(check_experiment PRIVATE ${PROJECT_SOURCE_DIR}/examples)
  target_link_libraries(check_experiment PRIVATE PkgConfig::JANSSON_T)
else()
  message(STATUS "check_experiment skipped: no jansson (Debian: libjansson-dev)")
endif()
