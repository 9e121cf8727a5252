# Warnings on for every evident target; EVIDENT_WERROR turns them into errors (CI does).
function(evident_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wdouble-promotion -Wimplicit-fallthrough)
  if(EVIDENT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
