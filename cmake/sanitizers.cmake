# SCOPE_SANITIZE=address,undefined builds everything (library, tests,
# examples) with those sanitizers; UBSan findings abort the program.
if(SCOPE_SANITIZE)
  add_compile_options(-fsanitize=${SCOPE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SCOPE_SANITIZE})
endif()
