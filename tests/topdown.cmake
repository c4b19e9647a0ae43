# Top-down: recipes, encodings through sysfs fixtures, hand-derived
# fractions, perf CSV replay (internal: the CSV line parser).
scope_add_check(check_topdown SOURCES check_topdown.c LABELS unit fixture INTERNAL TIMEOUT 60)
