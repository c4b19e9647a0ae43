# lib/load: https:// through OpenSSL (Debian: libssl-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
scope_area_link(PkgConfig::OPENSSL)
list(APPEND SCOPE_PC_REQUIRES openssl)
