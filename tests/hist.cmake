scope_add_check(check_hist SOURCES check_hist.c LABELS unit fixture TIMEOUT 120)
