# Prometheus client: parser/unit suite (no network but loopback port 1), and
# the integration suite against a real prometheus started by the test.
scope_add_check(check_prom SOURCES check_prom.c LABELS unit INTERNAL TIMEOUT 120)
if(EXISTS /usr/bin/prometheus AND EXISTS /usr/bin/promtool)
  scope_add_check(check_prom_integration SOURCES check_prom_integration.c
                  LABELS integration TIMEOUT 240)
  # the independent side of the comparisons: plain libcurl + a jansson DOM
  target_link_libraries(check_prom_integration PRIVATE PkgConfig::CURL PkgConfig::JANSSON)
else()
  message(STATUS "prometheus/promtool not found: check_prom_integration not built")
endif()
