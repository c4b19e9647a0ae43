# cgroup area: parsers, discovery and the collector on fixture trees
# (unit/fixture), and on real cgroups created by the test (privileged).
scope_add_check(check_cgroup SOURCES check_cgroup.c LABELS "unit;fixture" INTERNAL TIMEOUT 60)
scope_add_check(check_target SOURCES check_target.c LABELS unit TIMEOUT 60)
scope_add_check(check_cgroup_live SOURCES check_cgroup_live.c LABELS "privileged" TIMEOUT 120)
