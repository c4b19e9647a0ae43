# cgroup area: parsers, discovery and the collector on fixture trees
# (unit/fixture), and on real cgroups created by the test (privileged).
scope_add_check(check_cgroup SOURCES check_cgroup.c LABELS "unit;fixture" INTERNAL TIMEOUT 60)
scope_add_check(check_target SOURCES check_target.c LABELS unit TIMEOUT 60)
scope_add_check(check_cgroup_live SOURCES check_cgroup_live.c LABELS "privileged" TIMEOUT 120)
# scope-cgtop on the v1 fixture node: the container's working set is
# total usage 209715200 - total_inactive_file 50331648 = 152 MiB.
if(TARGET scope-cgtop)
  add_test(NAME cgtop_fixture COMMAND sh -c
    "$<TARGET_FILE:scope-cgtop> --once --csv -i 0.05 --root ${PROJECT_SOURCE_DIR}/tests/fixtures/cgroup/v1-cgroupfs -d 3 /kubepods | grep -q '^\"/kubepods/burstable/pod80ea171a-411f-48cf-a603-04bd71a03c1e/f44210e4c0ffee00112233445566778899aabbccddeeff001122334455667788\",0.000,0.000,152.000,'")
  set_tests_properties(cgtop_fixture PROPERTIES LABELS "fixture" TIMEOUT 30)
endif()
# The sampling path allocates nothing (malloc/calloc/realloc wrapped at link
# time; the static twin's references are redirected too).
scope_add_check(check_cgroup_alloc SOURCES check_cgroup_alloc.c LABELS "unit;fixture" INTERNAL TIMEOUT 60)
target_link_options(check_cgroup_alloc PRIVATE
  "LINKER:--wrap=malloc" "LINKER:--wrap=calloc" "LINKER:--wrap=realloc")
