# scope-run reads experiment files and writes manifest.json with jansson.
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(scope-run PRIVATE PkgConfig::JANSSON)
# The experiment parser is shared with fuzz/fuzz_experiment.c.
target_sources(scope-run PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/common/experiment.c)
target_include_directories(scope-run PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
