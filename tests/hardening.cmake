# Hardening (issue 10): fault injection against a misbehaving loopback
# server, resource faults, examples under valgrind, security checks.
scope_add_check(check_faults SOURCES check_faults.c LABELS integration TIMEOUT 120)
# Allocation failure (malloc/calloc/realloc wrapped in this executable only)
# and running out of descriptors.
scope_add_check(check_resources SOURCES check_resources.c LABELS "unit;fixture" INTERNAL TIMEOUT 300)
target_link_options(check_resources PRIVATE
  "LINKER:--wrap=malloc" "LINKER:--wrap=calloc" "LINKER:--wrap=realloc")
