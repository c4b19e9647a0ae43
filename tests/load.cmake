scope_add_check(check_load_http SOURCES check_load_http.c LABELS unit INTERNAL TIMEOUT 60)
scope_add_check(check_load SOURCES check_load.c LABELS integration TIMEOUT 120)
# The engine's two I/O paths: io_uring (where built and allowed; the default)
# and epoll (TLS, poll_ns, no io_uring): every load test runs on both.
if(URING_FOUND)
  target_compile_definitions(check_load PRIVATE SCOPE_HAVE_URING)
endif()
add_test(NAME check_load_epoll COMMAND check_load)
set_tests_properties(check_load_epoll PROPERTIES LABELS integration TIMEOUT 120
                     ENVIRONMENT "${SCOPE_TEST_ENV};SCOPE_LOAD_IO=epoll")
if(SCOPE_BUILD_EXAMPLES)
  add_test(NAME load_example COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/load_example_test.py
           $<TARGET_FILE:scope-load>)
  set_tests_properties(load_example PROPERTIES LABELS integration TIMEOUT 120
                       ENVIRONMENT "${SCOPE_TEST_ENV}")
endif()
