# The Python bindings' unittest suite under LeakSanitizer (issue 10: the
# Python suite runs clean, definitely lost 0 bytes). Sanitizer builds only:
# the same modules as the python_* tests (all but test_memory, which measures
# RSS) in one interpreter with GCC's libasan preloaded and leak detection
# ON. tests/lsan_python.supp suppresses only the interpreter's own
# allocations (see the file: stacks are cut to 4 frames so that a stack with
# a libscope frame is never suppressed); any leak allocated by libscope fails
# the test (LSan's exit status). Child interpreters the tests start inherit
# the same settings.
if(NOT SCOPE_PYTHON OR NOT EXISTS "${SCOPE_PYTHON}" OR NOT SCOPE_SANITIZE MATCHES "address")
  return()
endif()
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                OUTPUT_VARIABLE _lsan_asan OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _lsan_asan OR NOT IS_ABSOLUTE "${_lsan_asan}" OR NOT EXISTS "${_lsan_asan}")
  message(STATUS "python_lsan skipped: no shared ASan runtime to preload")
  return()
endif()
file(GLOB _lsan_tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bindings/python/tests/test_*.py)
list(SORT _lsan_tests)
set(_lsan_mods)
foreach(t ${_lsan_tests})
  get_filename_component(mod ${t} NAME_WE)
  if(NOT mod STREQUAL "test_memory")
    list(APPEND _lsan_mods ${mod})
  endif()
endforeach()
add_test(NAME python_lsan
         COMMAND ${SCOPE_PYTHON} -m unittest ${_lsan_mods}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/tests)
set_tests_properties(python_lsan PROPERTIES LABELS "python" TIMEOUT 600
  ENVIRONMENT "${SCOPE_TEST_ENV};SCOPE_LIBRARY=$<TARGET_SONAME_FILE:scope>;PYTHONPATH=${PROJECT_SOURCE_DIR}/bindings/python;PYTHONDONTWRITEBYTECODE=1;LD_PRELOAD=${_lsan_asan};ASAN_OPTIONS=detect_leaks=1:malloc_context_size=4:abort_on_error=1;LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/lsan_python.supp:print_suppressions=0")
