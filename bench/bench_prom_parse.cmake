# bench_prom_parse compares against yajl's SAX parser when libyajl-dev is
# installed (it is a benchmark peer only, never a libscope dependency).
pkg_check_modules(YAJL QUIET IMPORTED_TARGET yajl)
if(TARGET bench_prom_parse AND YAJL_FOUND)
  target_compile_definitions(bench_prom_parse PRIVATE SCOPE_BENCH_HAVE_YAJL)
  target_link_libraries(bench_prom_parse PRIVATE PkgConfig::YAJL)
endif()
