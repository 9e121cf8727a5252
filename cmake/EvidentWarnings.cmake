# Warnings on for every evident target; EVIDENT_WERROR turns them into errors (CI does).
function(evident_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wdouble-promotion -Wimplicit-fallthrough)
  # GCC 12 reports -Wmaybe-uninitialized inside std::string for brace-initialised temporaries
  # (a known false positive of its -O2 inliner); -Wuninitialized and the sanitizers stay on.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(EVIDENT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
