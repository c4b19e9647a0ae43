# The scrape endpoint (lib/export/http.c) serves HTTP with libmicrohttpd.
find_package(PkgConfig REQUIRED)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
scope_area_link(PkgConfig::MHD)
list(APPEND SCOPE_PC_REQUIRES libmicrohttpd)
