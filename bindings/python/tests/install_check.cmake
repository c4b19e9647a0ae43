# Installs the build into PREFIX and imports the installed scope package
# with a clean environment (no SCOPE_LIBRARY, no LD_LIBRARY_PATH).
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
execute_process(
  COMMAND env -u SCOPE_LIBRARY -u SCOPE_BUILD_DIR -u LD_LIBRARY_PATH
          PYTHONPATH=${PREFIX}/${SITE} PYTHONDONTWRITEBYTECODE=1 ${PYTHON}
          ${CMAKE_CURRENT_LIST_DIR}/install_check.py ${PREFIX}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed")
endif()
file(REMOVE_RECURSE ${PREFIX})
