# Helpers that give every project target the same include path, warnings and sanitizers.
#
#   lpda_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#       -> static library lpda_<name> (alias lpda::<name>), headers in include/lpda/<name>/
#   lpda_test(<name> SOURCES ... DEPS ...)
#       -> doctest executable registered with ctest; TEST_SUITE names become ctest labels
function(lpda_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(lpda_${name} STATIC ${ARG_SOURCES})
  add_library(lpda::${name} ALIAS lpda_${name})
  target_include_directories(lpda_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lpda_${name} PUBLIC ${ARG_PUBLIC_DEPS} lpda_sanitizers
                                     PRIVATE ${ARG_PRIVATE_DEPS} lpda_warnings)
endfunction()

function(lpda_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} lpda_warnings lpda_sanitizers)
endfunction()

function(lpda_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/support/doctest_main.cpp)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} doctest::doctest lpda_test_support
                                        lpda_warnings lpda_sanitizers)
  # Paths reach the tests as compile definitions of lpda_test_support (an ENVIRONMENT list here
  # would be split by doctest_discover_tests and swallow the LABELS).
  doctest_discover_tests(${name} ADD_LABELS 1)
endfunction()
