# Warning flags for libscope's own targets. SCOPE_WERROR turns them into errors.
function(scope_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wformat=2 -Wno-format-nonliteral -Wundef -Wpointer-arith -Wvla>
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>)
  if(SCOPE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
