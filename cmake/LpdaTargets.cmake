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
  # Recorded for the module graph (lpda_write_module_graph): the folder below src/ and the
  # project modules this one links.
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(deps "")
  foreach(dep IN LISTS ARG_PUBLIC_DEPS ARG_PRIVATE_DEPS)
    if(dep MATCHES "^lpda::(.+)$")
      list(APPEND deps ${CMAKE_MATCH_1})
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY LPDA_MODULES ${name})
  set_property(GLOBAL PROPERTY LPDA_MODULE_FOLDER_${name} ${folder})
  set_property(GLOBAL PROPERTY LPDA_MODULE_DEPS_${name} ${deps})
endfunction()

# Writes <build>/module_graph.cmake: for every lpda_module its folder (src/<folder>,
# include/lpda/<folder>) and the modules it links. tests/architecture/check_dependencies.cmake
# reads it to fail on a cycle between modules and on an #include of a module that is not linked.
function(lpda_write_module_graph)
  get_property(modules GLOBAL PROPERTY LPDA_MODULES)
  set(text "set(LPDA_MODULES ${modules})\n")
  foreach(m IN LISTS modules)
    get_property(folder GLOBAL PROPERTY LPDA_MODULE_FOLDER_${m})
    get_property(deps GLOBAL PROPERTY LPDA_MODULE_DEPS_${m})
    string(APPEND text "set(LPDA_MODULE_FOLDER_${m} \"${folder}\")\n")
    string(APPEND text "set(LPDA_MODULE_DEPS_${m} \"${deps}\")\n")
  endforeach()
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/module_graph.cmake CONTENT "${text}")
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
  # One ctest test per test case, labelled with its TEST_SUITE (cmake/LpdaDiscoverTests.cmake).
  lpda_discover_tests(${name})
endfunction()
