# scope-load reads request mixes from JSON with jansson (Debian: libjansson-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(scope-load PRIVATE PkgConfig::JANSSON)
# The --mix parser is shared with fuzz/fuzz_experiment.c.
target_sources(scope-load PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/common/experiment.c)
target_include_directories(scope-load PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
