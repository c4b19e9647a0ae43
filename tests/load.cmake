scope_add_check(check_load_http SOURCES check_load_http.c LABELS unit INTERNAL TIMEOUT 60)
scope_add_check(check_load SOURCES check_load.c LABELS integration TIMEOUT 120)
if(SCOPE_BUILD_EXAMPLES)
  add_test(NAME load_example COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/load_example_test.py
           $<TARGET_FILE:scope-load>)
  set_tests_properties(load_example PROPERTIES LABELS integration TIMEOUT 120
                       ENVIRONMENT "${SCOPE_TEST_ENV}")
endif()
