# Enforces the direction of dependencies between the product's modules (docs/architecture.md).
#
#   cmake -DGRAPH=<build>/module_graph.cmake -DROOT=<source dir> -P check_dependencies.cmake
#
# GRAPH (written by lpda_write_module_graph) names every module, its folder below src/ and
# include/lpda/, and the modules it links. Fails (a FATAL_ERROR naming file and line) when
#  - the modules' links form a cycle, or
#  - a file of module M (src/<folder>/… or include/lpda/<folder>/…) includes "lpda/<folder of X>/…"
#    while M does not link X directly or through the modules it links.
# A file belongs to the module with the longest folder that holds it (src/agent_activity/sqlite/…
# to the module of "agent_activity/sqlite", not to that of "agent_activity").
cmake_minimum_required(VERSION 3.25)
include(${GRAPH})

# Closure of each module's links.
foreach(m IN LISTS LPDA_MODULES)
  set(closure ${LPDA_MODULE_DEPS_${m}})
  set(frontier ${closure})
  while(frontier)
    set(next "")
    foreach(d IN LISTS frontier)
      foreach(dd IN LISTS LPDA_MODULE_DEPS_${d})
        if(NOT dd IN_LIST closure)
          list(APPEND closure ${dd})
          list(APPEND next ${dd})
        endif()
      endforeach()
    endforeach()
    set(frontier ${next})
  endwhile()
  if(m IN_LIST closure)
    message(FATAL_ERROR "module ${m} depends on itself through its links: ${LPDA_MODULE_DEPS_${m}}")
  endif()
  set(CLOSURE_${m} ${closure})
endforeach()

# The module owning a path below src/ or include/lpda/ ("" when none does).
function(owner_of rel out)
  set(best "")
  set(best_len -1)
  foreach(m IN LISTS LPDA_MODULES)
    set(f "${LPDA_MODULE_FOLDER_${m}}")
    string(LENGTH "${f}" len)
    string(FIND "${rel}" "${f}/" at)
    if(at EQUAL 0 AND len GREATER best_len)
      set(best ${m})
      set(best_len ${len})
    endif()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(violations "")
foreach(base src include/lpda)
  file(GLOB_RECURSE files RELATIVE ${ROOT}/${base} ${ROOT}/${base}/*.hpp ${ROOT}/${base}/*.cpp
       ${ROOT}/${base}/*.h ${ROOT}/${base}/*.in)
  foreach(rel IN LISTS files)
    owner_of("${rel}" owner)
    if(owner STREQUAL "")
      continue()
    endif()
    file(STRINGS ${ROOT}/${base}/${rel} lines)
    set(n 0)
    foreach(line IN LISTS lines)
      math(EXPR n "${n} + 1")
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[\"<]lpda/([^\">]+)[\">]")
        owner_of("${CMAKE_MATCH_1}" target)
        if(target STREQUAL "" OR target STREQUAL owner OR target IN_LIST CLOSURE_${owner})
          continue()
        endif()
        string(APPEND violations
               "\n  ${base}/${rel}:${n}: module ${owner} includes lpda/${CMAKE_MATCH_1} of module "
               "${target}, which it does not link")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "includes against the direction of dependencies:${violations}")
endif()
list(LENGTH LPDA_MODULES count)
message(STATUS "${count} modules, no cycle, every #include of another module is of one it links")
