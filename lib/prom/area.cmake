# The Prometheus client needs libcurl (HTTP) and jansson (small JSON bodies:
# errors, metadata).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
scope_area_link(PkgConfig::CURL PkgConfig::JANSSON)
list(APPEND SCOPE_PC_REQUIRES libcurl jansson)
