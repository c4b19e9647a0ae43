scope_add_check(check_load_http SOURCES check_load_http.c LABELS unit INTERNAL TIMEOUT 60)
scope_add_check(check_load SOURCES check_load.c LABELS integration TIMEOUT 120)
