# scope-run reads experiment files and writes manifest.json with jansson.
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(scope-run PRIVATE PkgConfig::JANSSON)
