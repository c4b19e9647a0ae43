# scope-load reads request mixes from JSON with jansson (Debian: libjansson-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(scope-load PRIVATE PkgConfig::JANSSON)
