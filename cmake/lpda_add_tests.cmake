# Script mode (cmake -P), run by lpda_discover_tests after a test executable is built: writes
# CTEST_FILE with one add_test per doctest test case of TEST_EXECUTABLE, labelled with its suite.
# Fails the build, naming the test, for a test case outside any TEST_SUITE (scripts/test selects
# phases by label) or with a ';' in its name (ctest would split it into several arguments).
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --list-test-cases --reporters=xml
  WORKING_DIRECTORY "${TEST_WORKING_DIR}"
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_TARGET}: listing its test cases failed (${rc}): ${listing_err}")
endif()
# XML entities end in ';', which a CMake list splits at: replace them by tokens holding '<', which
# an attribute value cannot hold, and turn them back per name.
string(REPLACE "&quot;" "<q>" listing "${listing}")
string(REPLACE "&apos;" "<a>" listing "${listing}")
string(REPLACE "&lt;" "<l>" listing "${listing}")
string(REPLACE "&gt;" "<g>" listing "${listing}")
string(REPLACE "&amp;" "<m>" listing "${listing}")
if(listing MATCHES ";")
  string(REGEX MATCH "name=\"[^\"]*;[^\"]*\"" bad "${listing}")
  message(FATAL_ERROR "${TEST_TARGET}: a test case name holds ';', which ctest splits: ${bad}")
endif()

function(xml_unescape out text)
  string(REPLACE "<q>" "\"" text "${text}")
  string(REPLACE "<a>" "'" text "${text}")
  string(REPLACE "<l>" "<" text "${text}")
  string(REPLACE "<g>" ">" text "${text}")
  string(REPLACE "<m>" "&" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(script "")
set(count 0)
string(REGEX MATCHALL "<TestCase name=\"[^\"]*\" testsuite=\"[^\"]*\"" cases "${listing}")
foreach(entry IN LISTS cases)
  string(REGEX MATCH "name=\"([^\"]*)\" testsuite=\"([^\"]*)\"" _ "${entry}")
  xml_unescape(name "${CMAKE_MATCH_1}")
  xml_unescape(suite "${CMAKE_MATCH_2}")
  if(suite STREQUAL "")
    message(FATAL_ERROR "${TEST_TARGET}: test case \"${name}\" is in no TEST_SUITE; its suite is "
                        "its ctest label, which scripts/test selects phases by")
  endif()
  if(name MATCHES "]==]")
    message(FATAL_ERROR "${TEST_TARGET}: test case \"${name}\" holds \"]==]\"")
  endif()
  # doctest splits a filter at commas unless escaped.
  string(REPLACE "," "\\," filter "${name}")
  string(APPEND script
         "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--test-case=${filter}]==])\n"
         "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY "
         "[==[${TEST_WORKING_DIR}]==] LABELS [==[${suite}]==])\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_TARGET}: no test case listed")
endif()
file(WRITE "${CTEST_FILE}" "${script}")
