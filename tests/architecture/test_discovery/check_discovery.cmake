# Runs cmake/lpda_add_tests.cmake on the stand-in lister with LISTING, then checks the ctest file
# it wrote holds EXPECT_1, EXPECT_2, ... verbatim. A failed discovery fails this script with the
# discovery's message (the tests match it with PASS_REGULAR_EXPRESSION).
set(out "${WORK_DIR}/discovered_tests.cmake")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(REMOVE "${out}")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env "LISTING=${LISTING}"
          ${CMAKE_COMMAND} -D TEST_TARGET=lister -D TEST_EXECUTABLE=${LISTER}
          -D TEST_WORKING_DIR=${WORK_DIR} -D CTEST_FILE=${out} -P ${SCRIPT}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE text
  ERROR_VARIABLE text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "discovery failed: ${text}")
endif()
file(READ "${out}" written)
foreach(i RANGE 1 9)
  if(DEFINED EXPECT_${i})
    string(FIND "${written}" "${EXPECT_${i}}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "expected\n  ${EXPECT_${i}}\nin\n${written}")
    endif()
  endif()
endforeach()
message(STATUS "discovery wrote every expected line")
