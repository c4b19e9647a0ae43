# bench_cgroup compares against libcgroup's stat reader when libcgroup-dev
# is installed (Debian: libcgroup-dev, listed in run.sh).
find_path(SCOPE_LIBCGROUP_INCLUDE libcgroup.h)
find_library(SCOPE_LIBCGROUP_LIB cgroup)
if(TARGET bench_cgroup AND SCOPE_LIBCGROUP_INCLUDE AND SCOPE_LIBCGROUP_LIB)
  target_include_directories(bench_cgroup PRIVATE ${SCOPE_LIBCGROUP_INCLUDE})
  target_link_libraries(bench_cgroup PRIVATE ${SCOPE_LIBCGROUP_LIB})
  target_compile_definitions(bench_cgroup PRIVATE SCOPE_HAVE_LIBCGROUP)
endif()
