# bench_load: a Python driver comparing scope-load with Debian's wrk against a
# local nginx (see the script's docstring). Configured with the path of the
# scope-load example and installed as build/bench/bench_load for run.sh bench.
if(SCOPE_BUILD_EXAMPLES)
  set(SCOPE_LOAD_BIN ${PROJECT_BINARY_DIR}/examples/scope-load)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/bench_load.py ${CMAKE_CURRENT_BINARY_DIR}/bench_load.tmp @ONLY)
  file(COPY ${CMAKE_CURRENT_BINARY_DIR}/bench_load.tmp DESTINATION ${CMAKE_CURRENT_BINARY_DIR}/bench_load.d
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(RENAME ${CMAKE_CURRENT_BINARY_DIR}/bench_load.d/bench_load.tmp ${CMAKE_CURRENT_BINARY_DIR}/bench_load)
endif()
