# lpda_sanitizers: an INTERFACE target carrying ASan + UBSan flags when LPDA_SANITIZE is on.
add_library(lpda_sanitizers INTERFACE)
if(LPDA_SANITIZE)
  target_compile_options(lpda_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(lpda_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
