# The Python bindings' unittest suite (bindings/python/tests/test_*.py),
# one ctest per module, run by SCOPE_PYTHON (/usr/bin/python3) against the
# build tree's libscope.so.0.
#
# Sanitizer builds: ctypes can load an ASan-built library only when the ASan
# runtime is loaded first, so the tests then run with LD_PRELOAD of GCC's
# libasan.so (leak detection off: the interpreter itself keeps memory at
# exit). Where that runtime is not found (e.g. clang's static one) they are
# labelled nosan. Tests that measure RSS (test_memory), the notebooks and
# the install check are always nosan.
if(NOT SCOPE_PYTHON OR NOT EXISTS "${SCOPE_PYTHON}")
  message(STATUS "Python tests skipped: no interpreter (SCOPE_PYTHON)")
  return()
endif()
set(_py_env ${SCOPE_TEST_ENV}
  "SCOPE_LIBRARY=$<TARGET_SONAME_FILE:scope>"
  "PYTHONPATH=${PROJECT_SOURCE_DIR}/bindings/python"
  "PYTHONDONTWRITEBYTECODE=1")
set(_py_labels "python")
if(SCOPE_SANITIZE MATCHES "address")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE _asan OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_asan AND IS_ABSOLUTE "${_asan}" AND EXISTS "${_asan}")
    list(APPEND _py_env "LD_PRELOAD=${_asan}" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
  else()
    set(_py_labels "python;nosan")
  endif()
endif()
file(GLOB _py_tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bindings/python/tests/test_*.py)
list(SORT _py_tests)
foreach(t ${_py_tests})
  get_filename_component(mod ${t} NAME_WE)
  set(_labels "${_py_labels}")
  if(mod STREQUAL "test_memory")
    set(_labels "python;nosan")
  endif()
  add_test(NAME python_${mod}
           COMMAND ${SCOPE_PYTHON} -m unittest -v ${mod}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/tests)
  set_tests_properties(python_${mod} PROPERTIES LABELS "${_labels}" TIMEOUT 300
                       ENVIRONMENT "${_py_env}")
endforeach()

# `cmake --install` into a scratch prefix, then import the installed
# package with no variable set: it must find the library it was installed
# with.
add_test(NAME python_install
  COMMAND ${CMAKE_COMMAND} -DBUILD=${PROJECT_BINARY_DIR} -DPYTHON=${SCOPE_PYTHON}
          -DPREFIX=${PROJECT_BINARY_DIR}/python-install-test -DSITE=${SCOPE_PYTHON_SITE}
          -P ${PROJECT_SOURCE_DIR}/bindings/python/tests/install_check.cmake)
set_tests_properties(python_install PROPERTIES LABELS "python;nosan" TIMEOUT 120)

# Notebooks (examples/notebooks/*.ipynb), executed top to bottom with
# Debian's jupyter-nbconvert and python3-ipykernel (kernel: /usr/bin/python3).
find_program(SCOPE_JUPYTER NAMES jupyter PATHS /usr/bin NO_DEFAULT_PATH)
find_program(SCOPE_JUPYTER NAMES jupyter)
file(GLOB _notebooks CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/notebooks/*.ipynb)
if(_notebooks AND NOT SCOPE_JUPYTER)
  message(STATUS "Notebook tests skipped: no jupyter (Debian: jupyter-nbconvert python3-ipykernel)")
endif()
foreach(nb ${_notebooks})
  if(NOT SCOPE_JUPYTER)
    break()
  endif()
  get_filename_component(nbname ${nb} NAME_WE)
  add_test(NAME python_notebook_${nbname}
           COMMAND ${SCOPE_PYTHON} ${PROJECT_SOURCE_DIR}/examples/notebooks/run_notebook.py
                   ${SCOPE_JUPYTER} ${nb} ${PROJECT_BINARY_DIR}/notebooks)
  set_tests_properties(python_notebook_${nbname} PROPERTIES LABELS "python;nosan" TIMEOUT 300
                       ENVIRONMENT "${_py_env}")
endforeach()
