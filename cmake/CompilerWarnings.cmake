# lpda_warnings: an INTERFACE target every project target links to get the project's warning set.
add_library(lpda_warnings INTERFACE)
target_compile_options(lpda_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
if(LPDA_WARNINGS_AS_ERRORS)
  target_compile_options(lpda_warnings INTERFACE -Werror)
endif()
