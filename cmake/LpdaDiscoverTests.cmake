# Registers each doctest test case of a test executable as one ctest test labelled with its
# TEST_SUITE, after every build of the executable. One listing process per executable
# (`--list-test-cases --reporters=xml`): names and suites come from one run, and a name with a
# comma keeps its label (doctest's own discovery looks the suite up with the name as a filter,
# which doctest splits at commas, so such tests lost their label and ran in the wrong phase of
# scripts/test).
set(LPDA_DISCOVER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/lpda_add_tests.cmake)

function(lpda_discover_tests target)
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
  add_custom_command(
    TARGET ${target} POST_BUILD
    BYPRODUCTS ${tests_file}
    COMMAND ${CMAKE_COMMAND} -D TEST_TARGET=${target} -D TEST_EXECUTABLE=$<TARGET_FILE:${target}>
            -D TEST_WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR} -D CTEST_FILE=${tests_file}
            -P ${LPDA_DISCOVER_SCRIPT}
    VERBATIM)
  file(WRITE ${include_file}
       "if(EXISTS \"${tests_file}\")\n"
       "  include(\"${tests_file}\")\n"
       "else()\n"
       "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
