# lpda_warnings: an INTERFACE target every project target links to get the project's warning set.
add_library(lpda_warnings INTERFACE)
target_compile_options(lpda_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
# g++ 12 reports Asio's coroutine frame allocator (awaitable_frame_base::operator delete) as a
# mismatched new/delete: a known false positive of its coroutine lowering, not a real mismatch.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(lpda_warnings INTERFACE -Wno-mismatched-new-delete)
endif()
if(LPDA_WARNINGS_AS_ERRORS)
  target_compile_options(lpda_warnings INTERFACE -Werror)
endif()
