# lpda_sanitizers: an INTERFACE target carrying the sanitizer flags of the build.
#   LPDA_SANITIZE=ON         AddressSanitizer + UndefinedBehaviorSanitizer (preset `debug`)
#   LPDA_SANITIZE_THREAD=ON  ThreadSanitizer (preset `tsan`)
add_library(lpda_sanitizers INTERFACE)
if(LPDA_SANITIZE AND LPDA_SANITIZE_THREAD)
  message(FATAL_ERROR "LPDA_SANITIZE and LPDA_SANITIZE_THREAD cannot be combined: ThreadSanitizer "
                      "and AddressSanitizer do not work in one process")
endif()
if(LPDA_SANITIZE)
  target_compile_options(lpda_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(lpda_sanitizers INTERFACE -fsanitize=address,undefined)
  # Asio keeps freed handler and cancellation memory in a per-thread cache and hands it out
  # again, so AddressSanitizer would take a use of freed handler memory for a valid access. Off
  # in every target alike: the cache's functions are inline, and two definitions must not mix.
  add_compile_definitions(BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING)
elseif(LPDA_SANITIZE_THREAD)
  target_compile_options(lpda_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(lpda_sanitizers INTERFACE -fsanitize=thread)
endif()
