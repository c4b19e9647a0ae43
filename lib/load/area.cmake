# lib/load: https:// through OpenSSL (Debian: libssl-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
scope_area_link(PkgConfig::OPENSSL)
list(APPEND SCOPE_PC_REQUIRES openssl)
# io_uring for TICK MODE (Debian: liburing-dev), optional: without it the
# engine uses epoll alone.
pkg_check_modules(URING IMPORTED_TARGET liburing)
if(URING_FOUND)
  scope_area_link(PkgConfig::URING)
  target_compile_definitions(scope_objects PRIVATE SCOPE_HAVE_URING)
  list(APPEND SCOPE_PC_REQUIRES liburing)
endif()
