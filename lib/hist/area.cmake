# lib/hist: the .hlog / V2 encoding compresses with zlib (Debian: zlib1g-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
scope_area_link(PkgConfig::ZLIB)
list(APPEND SCOPE_PC_REQUIRES zlib)
